"""Typed keys of what the dashboard keeps on its aiohttp application and requests."""

from __future__ import annotations

from typing import Optional

from aiogram import Bot
from aiohttp import web
from jinja2 import Environment

from bot.core.policy import Actor
from bot.storage.uow import App

APP = web.AppKey("bangfu_app", App)
TEMPLATES = web.AppKey("bangfu_templates", Environment)
# The bot's token checks Mini App init data; the username makes t.me links.
BOT_TOKEN = web.AppKey("bangfu_bot_token", str)
# The running bot, when there is one (bangfu run): contacts' photos are fetched through it.
BOT = web.AppKey("bangfu_bot", Bot)
# Set on each request by bot/web/auth/middleware.py: who is signed in (None: nobody), their
# session's secret (for the page's CSRF token) and the page language.
ACTOR = web.RequestKey("bangfu_actor", Optional[Actor])  # noqa: UP045 (a runtime value)
CSRF = web.RequestKey("bangfu_session_token", Optional[str])  # noqa: UP045
LANGUAGE = web.RequestKey("bangfu_language", str)
# The county office's drill-down into a town (`?town=<id>`): its id and name; and whether the
# menu shows the county page (set by bot/web/pages.py `signed_in`).
TOWN = web.RequestKey("bangfu_town", Optional[tuple[int, str]])  # noqa: UP045
SHOW_COUNTY = web.RequestKey("bangfu_show_county", bool)
