"""What `bangfu run` says once it knows the bot's name, polling or webhook alike."""

from __future__ import annotations

from bot.cli.output import say
from bot.core.onboarding import first_start
from bot.core.onboarding import invites as onboarding
from bot.i18n import gettext as _
from bot.storage.uow import App


async def greet(app: App, username: str) -> None:
    """Remember the bot's username (for invite links), and print the first town office
    admin's one-time link while there is no town office account yet."""
    await first_start.remember_bot_username(app, username)
    code = await first_start.first_start_admin_code(app)
    if code:
        say(
            _(
                "No town office account yet. Open this one-time link in Telegram "
                "to become the town office admin:"
            )
        )
        say(onboarding.invite_link(username, code), flush=True)
