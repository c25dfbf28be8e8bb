"""What `bangfu run` says once it knows the bot's name, polling or webhook alike."""

from __future__ import annotations

from bot.cli.output import bangfu_command, say
from bot.core.onboarding import first_start
from bot.core.onboarding import invites as onboarding
from bot.i18n import gettext as _
from bot.storage.uow import App


async def greet(app: App, username: str) -> None:
    """Remember the bot's username (for invite links), and print the first town office
    admin's one-time link while there is no town office account yet (or, when the roster
    names town office people who have not joined, the command that makes their links)."""
    await first_start.remember_bot_username(app, username)
    start = await first_start.first_start(app)
    if start.code:
        say(
            _(
                "No town office account yet. Open this one-time link in Telegram "
                "to become the town office admin:"
            )
        )
        say(onboarding.invite_link(username, start.code), flush=True)
    elif start.offices_waiting:
        say(
            _(
                "{count} town office people are on the roster and none has joined yet. "
                "Their invitation links, as a sheet:"
            ).format(count=start.offices_waiting)
        )
        command = bangfu_command("invite", all=True, role="town_office", out="offices.xlsx")
        say("  " + command, flush=True)
