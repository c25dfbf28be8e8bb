"""The ways in and out: a /web link (`GET /web/signin?token=…`), the Mini App (`GET /web/app`
reads Telegram's init data in the page and posts it to `/web/app/session`), signing out, and
choosing the page language."""

from __future__ import annotations

import logging

from aiogram.utils.web_app import safe_parse_webapp_init_data
from aiohttp import web

from bot.core.signin.sessions import (
    NewSession,
    end_session,
    redeem_link,
    start_mini_app_session,
)
from bot.i18n import LANGUAGES, N_
from bot.i18n import gettext as _
from bot.storage.uow import App
from bot.web.auth.cookies import (
    LANGUAGE_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    clear_session_cookie,
    set_session_cookie,
)
from bot.web.keys import BOT_TOKEN
from bot.web.pages import app_of, render, render_error

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

INIT_DATA_NOT_VALID = N_(
    "Telegram's sign-in data could not be checked (it is forged or too old). "
    "Close the dashboard and open it again from the bot's menu button."
)


@routes.get("/web/signin")
async def sign_in_by_link(request: web.Request) -> web.StreamResponse:
    app = app_of(request)
    raise _to_the_overview(app, await redeem_link(app, request.query.get("token", "")))


@routes.get("/web/app")
async def mini_app_entry(request: web.Request) -> web.StreamResponse:
    """The Mini App's first page: its script posts the init data Telegram put in the URL."""
    return render(request, "mini_app.html")


@routes.post("/web/app/session")
async def sign_in_by_init_data(request: web.Request) -> web.StreamResponse:
    app = app_of(request)
    form = await request.post()
    init_data = str(form.get("init_data", ""))
    try:
        checked = safe_parse_webapp_init_data(request.app[BOT_TOKEN], init_data)
    except ValueError:
        log.warning("refused: Mini App init data with a wrong signature")
        return render_error(request, _(INIT_DATA_NOT_VALID), 401)
    age = (app.clock.now() - checked.auth_date).total_seconds()
    if age > app.settings.web_init_data_max_age_seconds or checked.user is None:
        log.warning("refused: Mini App init data %d s old", age)
        return render_error(request, _(INIT_DATA_NOT_VALID), 401)
    # Not an office person's account: NotAllowed, answered 403 by the middleware.
    raise _to_the_overview(app, await start_mini_app_session(app, checked.user.id))


def _to_the_overview(app: App, started: NewSession) -> web.HTTPSeeOther:
    """Signed in: the session cookie, and on to the overview (post/redirect/get)."""
    response = web.HTTPSeeOther(f"{PREFIX}/")
    set_session_cookie(response, app.settings, started.token, started.max_age_seconds)
    return response


@routes.post("/web/signout")
async def sign_out(request: web.Request) -> web.StreamResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await end_session(app_of(request), token)
    response = web.HTTPSeeOther(f"{PREFIX}/signed-out")
    clear_session_cookie(response)
    raise response


@routes.get("/web/signed-out")
async def signed_out(request: web.Request) -> web.StreamResponse:
    return render(request, "signed_out.html")


@routes.get("/web/language/{language}")
async def choose_language(request: web.Request) -> web.StreamResponse:
    language = request.match_info["language"]
    if language not in LANGUAGES:
        raise web.HTTPNotFound()
    back = request.query.get("back", f"{PREFIX}/")
    if not back.startswith(f"{PREFIX}/") or back.startswith("//"):
        back = f"{PREFIX}/"  # never redirect off the dashboard
    response = web.HTTPSeeOther(back)
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, path=PREFIX, samesite="Lax")
    raise response
