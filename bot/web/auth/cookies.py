"""The session cookie: its name and how it is set (HttpOnly, SameSite=Lax, Secure over https)."""

from __future__ import annotations

from aiohttp import web

from bot.config import Settings

SESSION_COOKIE = "bangfu_session"
LANGUAGE_COOKIE = "bangfu_lang"
PREFIX = "/web"


def set_session_cookie(
    response: web.StreamResponse, settings: Settings, token: str, max_age: int
) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="Lax",
        secure=settings.web_is_https,
    )


def clear_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path=PREFIX)
