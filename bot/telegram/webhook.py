"""Webhook mode: Telegram posts each update to the workers (`bangfu run --webhook URL`).

aiogram's aiohttp handler (`SimpleRequestHandler`, `setup_application`) serves the path of
the public URL; each update is handled before it is answered, so an update a worker could not
finish is not lost behind a 200. At the door, before aiogram reads anything:

- the `X-Telegram-Bot-Api-Secret-Token` header must be the webhook secret: a wrong or missing
  one gets 401 (aiogram's check, compared in constant time);
- a body that is not an update (not JSON, or not an Update's shape) gets 400;
- a body over WEBHOOK_MAX_BODY_BYTES gets 413 (aiohttp's `client_max_size`).

Each refusal is logged with the peer's address and why, never the header's value nor the
token. The secret is WEBHOOK_SECRET, or when unset one derived from BOT_TOKEN (an HMAC): every
worker computes the same one and nothing has to be stored; whoever could read it could read
the token, which is what it protects.

`build_webhook_app(..., extra=...)` lets another adapter (the web dashboard) add its routes
or sub-applications to the same aiohttp application.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web
from pydantic import ValidationError

from bot.config import Settings

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_CONTEXT = b"bangfu webhook secret"
HANDLE_TIMEOUT_SECONDS = 55.0  # Telegram gives up on a webhook call after about a minute

Extra = Callable[[web.Application], None]


def webhook_secret(settings: Settings) -> str:
    """WEBHOOK_SECRET, or one derived from the token (64 hex characters: Telegram accepts
    1-256 of A-Z, a-z, 0-9, _ and -)."""
    if settings.webhook_secret:
        return settings.webhook_secret
    if not settings.bot_token:
        raise ValueError("BOT_TOKEN is not set")
    return hmac.new(settings.bot_token.encode(), SECRET_CONTEXT, hashlib.sha256).hexdigest()


def webhook_path(url: str) -> str:
    """The path Telegram posts to: the public URL's (a proxy passes it on unchanged)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise ValueError(f"not a webhook URL: {url!r} (expected https://host/path)")
    return parts.path or "/"


class UpdatesAtTheDoor(SimpleRequestHandler):
    """aiogram's handler, with 400 for a body that is no update, and each refusal logged."""

    async def handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not self.verify_secret(given, self.bot):
            why = "wrong secret header" if given else "no secret header"
            log.warning("webhook call from %s refused (401): %s", request.remote, why)
            return web.Response(status=401, text="Unauthorized")
        try:
            return await super().handle(request)
        except web.HTTPRequestEntityTooLarge:
            log.warning("webhook call from %s refused (413): body too large", request.remote)
            raise
        except (json.JSONDecodeError, UnicodeDecodeError, ValidationError) as error:
            why = type(error).__name__
            log.warning(
                "webhook call from %s refused (400): not an update (%s)", request.remote, why
            )
            return web.Response(status=400, text="Bad Request: not a Telegram update")


def build_webhook_app(
    settings: Settings,
    dispatcher: Dispatcher,
    bot: Bot,
    path: str,
    extra: Extra | None = None,
    **data: Any,
) -> web.Application:
    """The aiohttp application of one worker: the webhook at `path`, and whatever `extra`
    adds (the dashboard's routes)."""
    application = web.Application(client_max_size=settings.webhook_max_body_bytes)
    handler = UpdatesAtTheDoor(
        dispatcher,
        bot,
        handle_in_background=False,
        secret_token=webhook_secret(settings),
        **data,
    )
    handler.register(application, path=path)
    setup_application(application, dispatcher, bot=bot, **data)
    if extra is not None:
        extra(application)
    return application
