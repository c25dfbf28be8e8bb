"""The dashboard's aiohttp application: its routes under /web/, served beside polling
(`start_web`, when WEB_PORT is set) or mounted into another aiohttp app (the webhook's) with
`add_dashboard`."""

from __future__ import annotations

import logging
from pathlib import Path

from aiogram import Bot
from aiohttp import web

from bot.storage.uow import App
from bot.web.auth import routes as auth_routes
from bot.web.auth.middleware import domain_errors, who_is_asking
from bot.web.keys import APP, BOT, BOT_TOKEN, TEMPLATES
from bot.web.templates import build_templates
from bot.web.views import ROUTE_TABLES

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"


def add_dashboard(web_app: web.Application, app: App, bot: Bot | None = None) -> None:
    """Put the dashboard's routes and middlewares on `web_app` (a new one, or the webhook's);
    with the running `bot`, contacts' photos are shown too."""
    if not app.settings.bot_token:
        raise ValueError("BOT_TOKEN is not set: the dashboard checks Mini App sign-ins with it")
    web_app[APP] = app
    web_app[BOT_TOKEN] = app.settings.bot_token
    web_app[TEMPLATES] = build_templates(app.settings.tz)
    if bot is not None:
        web_app[BOT] = bot
    web_app.middlewares.append(domain_errors)
    web_app.middlewares.append(who_is_asking)
    web_app.router.add_routes(auth_routes.routes)
    for table in ROUTE_TABLES:
        web_app.router.add_routes(table)
    web_app.router.add_static("/web/static/", STATIC, append_version=True)


def build_web_app(app: App, bot: Bot | None = None) -> web.Application:
    web_app = web.Application()
    add_dashboard(web_app, app, bot)
    return web_app


async def start_web(app: App, bot: Bot | None = None) -> web.AppRunner:
    """Serve the dashboard on WEB_HOST:WEB_PORT until the runner is cleaned up."""
    runner = web.AppRunner(build_web_app(app, bot), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, app.settings.web_host, app.settings.web_port)
    await site.start()
    log.info(
        "office dashboard on http://%s:%s/web/ (WEB_BASE_URL %s)",
        app.settings.web_host,
        app.settings.web_port,
        app.settings.web_base_url or "not set",
    )
    return runner
