"""Invitations and onboarding (owned by the onboarding work; signatures fixed here)."""

from __future__ import annotations

from bot.storage.uow import App


async def remember_bot_username(app: App, username: str) -> None:
    raise NotImplementedError


async def first_start_admin_code(app: App) -> str | None:
    raise NotImplementedError


def invite_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"
