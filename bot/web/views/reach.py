"""What the dashboard's action views share: an id out of the reader's reach answers 404, like
one that does not exist (the policy refuses both alike, so nothing tells which ids exist);
the posted form; where to go back to after an action."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from bot.core.policy import NOT_YOUR_FLAG, NOT_YOUR_HOUSEHOLD, Actor
from bot.errors import NotAllowed, NotFound

View = Callable[[web.Request, Actor], Awaitable[web.StreamResponse]]
OUT_OF_REACH = frozenset({NOT_YOUR_FLAG, NOT_YOUR_HOUSEHOLD})


def out_of_reach_is_not_found(view: View) -> View:
    """A flag or household the reader may not read is, for them, not there (404); a role's
    refusal (a village admin doing the town office's act) stays NotAllowed (403)."""

    @functools.wraps(view)
    async def wrapper(request: web.Request, actor: Actor) -> web.StreamResponse:
        try:
            return await view(request, actor)
        except NotAllowed as error:
            if error.msgid in OUT_OF_REACH:
                raise NotFound(error.msgid, **error.params) from None
            raise

    return wrapper


async def form_of(request: web.Request) -> MultiDictProxy[str]:
    """The posted fields (files are never asked for here: anything else is dropped)."""
    posted = await request.post()
    fields = MultiDict((key, value) for key, value in posted.items() if isinstance(value, str))
    return MultiDictProxy(fields)


def row_id(request: web.Request, name: str) -> int:
    """An id from the URL (the route's pattern allows only 1–9 digits)."""
    return int(request.match_info[name])
