"""What every dashboard view shares: `signed_in` (the view needs a signed-in office person;
it gets their `Actor`), `render` (a template with the layout's context), the month asked for."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from yarl import URL

from bot.clock import Month
from bot.core.policy import NO_SUCH_TOWN, Act, Actor, may
from bot.core.reports.county_board import town_count, town_in_reach
from bot.core.signin.sessions import csrf_token
from bot.errors import InvalidInput, NotFound
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.storage.uow import App
from bot.web.keys import ACTOR, APP, CSRF, LANGUAGE, SHOW_COUNTY, TEMPLATES, TOWN

View = Callable[[web.Request, Actor], Awaitable[web.StreamResponse]]

NOT_SIGNED_IN = N_(
    "Please sign in: send /web to the bot for a sign-in link, or open the dashboard from "
    "the bot's menu button in Telegram."
)
BAD_MONTH = N_("Give the month as YYYY-MM, e.g. 2026-03.")


def signed_in(view: View) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The view runs for a signed-in office person only; anyone else gets 401 and the way in.
    With `?town=<id>` the county office reads that town only (404 for anyone else, and for a
    town that does not exist)."""

    @functools.wraps(view)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        actor = request.get(ACTOR)
        if actor is None:
            return render_error(request, _(NOT_SIGNED_IN), 401)
        request[SHOW_COUNTY] = may(actor, Act.READ_COUNTY) or await town_count(app_of(request)) > 1
        request[TOWN] = None
        asked = request.query.get("town")
        if asked is not None:
            if not asked.isdigit() or len(asked) > 9:
                raise NotFound(NO_SUCH_TOWN)
            actor, name = await town_in_reach(app_of(request), actor, int(asked))
            request[TOWN] = (int(asked), name)
        return await view(request, actor)

    return wrapper


def app_of(request: web.Request) -> App:
    return request.app[APP]


def month_asked(request: web.Request) -> Month:
    """The month in `?month=YYYY-MM`, else this month in the town's time zone."""
    app = app_of(request)
    text = request.query.get("month")
    if not text:
        return app.clock.this_month()
    try:
        return Month.parse(text)
    except ValueError:
        raise InvalidInput(BAD_MONTH) from None


def see_other(request: web.Request, url: str) -> web.HTTPSeeOther:
    """Post/redirect/get to `url`, in the same view: a page opened in one town by the county
    office (`?town=<id>`) stays in that town after its form was sent."""
    town = request.get(TOWN)
    if town is not None:
        url = str(URL(url).update_query(town=str(town[0])))
    return web.HTTPSeeOther(url)


def render(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    """The template, with what the layout needs: who is signed in, the CSRF token, the page."""
    env = request.app[TEMPLATES]
    token = request.get(CSRF)
    town = request.get(TOWN)
    html = env.get_template(template).render(
        actor=request.get(ACTOR),
        csrf=csrf_token(token) if token else "",
        language=request.get(LANGUAGE, "zh"),
        path=request.path,
        query=request.query_string,
        town=town,
        in_town=f"?town={town[0]}" if town else "",  # a link's only parameter
        and_town=f"&town={town[0]}" if town else "",  # after a link's others
        show_county=request.get(SHOW_COUNTY, False),
        **{"page": "", **context},
    )
    response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def render_error(request: web.Request, message: str, status: int) -> web.Response:
    return render(request, "error.html", status=status, message=message, status_code=status)
