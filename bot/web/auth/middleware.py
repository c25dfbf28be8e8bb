"""Every dashboard request: who is signed in (checked anew each time, so a deactivated
person's session is over at once), their language, the CSRF token of every POST, and domain
errors as HTTP answers that show nothing they should not."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.core.signin.sessions import actor_for_session, csrf_matches
from bot.errors import Conflict, DomainError, InvalidInput, NotAllowed, NotFound
from bot.i18n import LANGUAGES, set_language
from bot.storage.uow import App
from bot.web.auth.cookies import LANGUAGE_COOKIE, PREFIX, SESSION_COOKIE
from bot.web.keys import ACTOR, APP, CSRF, LANGUAGE
from bot.web.pages import render_error

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# POSTs that start a session carry their own credential (the init data), not a CSRF token.
NO_CSRF = frozenset({"/web/app/session"})
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
STATUS = ((NotAllowed, 403), (NotFound, 404), (InvalidInput, 400), (Conflict, 409))


def is_dashboard(request: web.Request) -> bool:
    return request.path == PREFIX or request.path.startswith(f"{PREFIX}/")


@web.middleware
async def who_is_asking(request: web.Request, handler: Handler) -> web.StreamResponse:
    if not is_dashboard(request) or request.path.startswith(f"{PREFIX}/static/"):
        return await handler(request)  # e.g. the webhook's POST, when mounted beside it
    app: App = request.app[APP]
    token = request.cookies.get(SESSION_COOKIE)
    actor = await actor_for_session(app, token) if token else None
    request[ACTOR] = actor
    request[CSRF] = token if actor is not None else None
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    language = chosen if chosen in LANGUAGES else app.settings.default_language
    request[LANGUAGE] = language
    set_language(language)
    if request.method == "POST" and request.path not in NO_CSRF:
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            sent = (await request.post()).get(CSRF_FIELD)  # type: ignore[assignment]
        if token is None or actor is None or not csrf_matches(token, sent):
            log.warning(
                "refused: POST %s without a valid CSRF token (person %s)",
                request.path,
                actor and actor.person_id,
            )
            raise web.HTTPForbidden(text="CSRF token missing or wrong")
    return await handler(request)


@web.middleware
async def domain_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A use case's refusal as a page in the reader's words, with the matching status."""
    if not is_dashboard(request):
        return await handler(request)
    try:
        return await handler(request)
    except DomainError as error:
        status = next((code for kind, code in STATUS if isinstance(error, kind)), 400)
        if status in (403, 404):
            actor = request.get(ACTOR)
            log.warning(
                "refused %s %s for person %s: %s",
                request.method,
                request.path,
                actor and actor.person_id,
                error.msgid,
            )
        return render_error(request, error.render(), status)
