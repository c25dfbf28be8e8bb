"""`bangfu invite`: a one-time link that registers a person in the bot."""

from __future__ import annotations

import argparse
import logging
import sys

from aiogram.exceptions import TelegramAPIError
from aiohttp import ClientError

from bot.cli.output import say
from bot.clock import local_minute
from bot.config import Settings
from bot.core.onboarding import first_start
from bot.core.onboarding import invites as onboarding
from bot.core.policy import CLI_OPERATOR
from bot.domain.model import Role
from bot.i18n import gettext as _
from bot.storage.migrate import upgrade
from bot.storage.uow import App
from bot.telegram.app import build_app, build_bot

log = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    invite = commands.add_parser(
        "invite",
        help="print a one-time link that registers a person in the bot",
        description="Prints https://t.me/<bot>?start=<code> on its own line. The link works once "
        "and expires after INVITE_TTL_DAYS (7) days; a new invite replaces the person's older "
        "unused link.",
    )
    invite.add_argument("--name", required=True, help="the person's name, as in the roster")
    invite.add_argument(
        "--role", required=True, choices=[role.value for role in Role], help="what they may do"
    )
    invite.add_argument("--village", help="their village (required for village_admin)")
    invite.add_argument("--phone", help="their phone, to tell namesakes apart")
    invite.set_defaults(handler=invite_person)


async def invite_person(settings: Settings, args: argparse.Namespace) -> int:
    upgrade(settings.database_url)
    app = build_app(settings)
    try:
        username = await _bot_username(app, settings)
        if username is None:
            say(
                _(
                    "Cannot make the link: the bot's username is unknown. Set BOT_TOKEN "
                    "(in .env or the environment) and run this again."
                ),
                file=sys.stderr,
            )
            return 2
        issued = await onboarding.create_invite(
            app, CLI_OPERATOR, args.name, args.role, village=args.village, phone=args.phone
        )
    finally:
        await app.close()

    if issued.new_village:
        say(_("New village added: {village}.").format(village=issued.village_name))
    if issued.new_person:
        say(_("{name} was not in the roster and has been added.").format(name=issued.person.name))
    expires = local_minute(issued.expires_at, settings.tz)
    say(
        _("One-time link for {name} ({role}), valid until {expires}:").format(
            name=issued.person.name, role=issued.role.label, expires=expires
        )
    )
    say(onboarding.invite_link(username, issued.code), flush=True)
    return 0


async def _bot_username(app: App, settings: Settings) -> str | None:
    """Ask Telegram who the bot is when a token is set; else use the one the bot remembered."""
    if settings.bot_token:
        bot = build_bot(settings)
        try:
            me = await bot.get_me()
        except (TelegramAPIError, ClientError, OSError) as error:
            log.warning("Telegram did not answer getMe (%s); using the remembered name", error)
        else:
            if me.username:
                await first_start.remember_bot_username(app, me.username)
                return me.username
        finally:
            await bot.session.close()
    return await first_start.bot_username(app)
