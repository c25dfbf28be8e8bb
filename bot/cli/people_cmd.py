"""`bangfu invite`: a one-time link that registers a person in the bot; `--all`: links for
everyone not yet joined, as a workbook to paste into WeChat or print as slips."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from aiogram.exceptions import TelegramAPIError, TelegramNetworkError
from aiohttp import ClientError

from bot.cli.output import say
from bot.clock import local_minute
from bot.config import Settings
from bot.core.onboarding import bulk_invites, first_start
from bot.core.onboarding import invites as onboarding
from bot.core.policy import CLI_OPERATOR
from bot.documents.invite_sheet import invite_workbook
from bot.domain.model import Role
from bot.i18n import gettext as _
from bot.private_files import private_folder
from bot.storage.migrate import upgrade
from bot.storage.uow import App
from bot.telegram.app import build_app, build_bot
from bot.telegram.session import single_try


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    invite = commands.add_parser(
        "invite",
        help="print a one-time link that registers a person in the bot",
        description="Prints https://t.me/<bot>?start=<code> on its own line. The link works once "
        "and expires after INVITE_TTL_DAYS (7) days; a new invite replaces the person's older "
        "unused link. With --all: a link for every person of the role (contact persons by "
        "default) not yet joined, written to --out as a workbook (a list with a message to "
        "paste into WeChat, and slips to print). Run again, it gives new links only to those "
        "whose link expired or who had none; a still valid unused link is kept (listed "
        "without the link, which is stored only as a hash) unless --renew.",
    )
    who = invite.add_mutually_exclusive_group(required=True)
    who.add_argument("--name", help="the person's name, as in the roster")
    who.add_argument(
        "--all", action="store_true", help="everyone of the role not yet joined (bulk)"
    )
    invite.add_argument(
        "--role",
        choices=[role.value for role in Role],
        help="what they may do (required with --name; with --all: contact by default)",
    )
    invite.add_argument(
        "--village", help="their village (required for village_admin; with --all: only there)"
    )
    invite.add_argument("--phone", help="their phone, to tell namesakes apart")
    invite.add_argument(
        "--town", help="a town office person's town (乡镇), where the county has several"
    )
    invite.add_argument(
        "--out", type=Path, default=Path("invites.xlsx"), help="with --all: the workbook to write"
    )
    invite.add_argument(
        "--renew",
        action="store_true",
        help="with --all: replace still valid unused links too (the earlier sheet was lost)",
    )
    invite.set_defaults(handler=invite_people)


async def invite_people(settings: Settings, args: argparse.Namespace) -> int:
    if not args.all and args.role is None:
        say(_("Add --role: contact, village_admin or town_office."), file=sys.stderr)
        return 2
    upgrade(settings.database_url)
    app = build_app(settings)
    try:
        username = await _bot_username(app, settings)
        if username is None:
            return 2
        if args.all:
            return await _invite_all(app, username, args)
        return await _invite_one(app, username, args)
    finally:
        await app.close()


async def _invite_all(app: App, username: str, args: argparse.Namespace) -> int:
    invites = await bulk_invites.invite_everyone_not_joined(
        app,
        CLI_OPERATOR,
        username,
        role=args.role or Role.CONTACT,
        village=args.village,
        renew=args.renew,
    )
    if not invites.rows:
        say(_("Everyone ({role}) has joined: nobody to invite.").format(role=invites.role.label))
        return 0
    out: Path = args.out
    private_folder(out.parent)
    invite_workbook(invites, app.settings.tz, out)
    if invites.kept:
        said = _(
            "{count} people not yet joined: {issued} new link(s), {kept} still valid "
            "link(s) kept. Written to {path} (readable only by you: the links are keys)."
        )
    else:
        said = _(
            "{count} people not yet joined, each with a new link. Written to {path} (readable "
            "only by you: the links are keys)."
        )
    say(said.format(count=len(invites.rows), issued=invites.issued, kept=invites.kept, path=out))
    if invites.kept:
        say(
            _(
                "The {kept} kept link(s) were handed out before and still work. If that "
                "sheet was lost, run this again with --renew to replace them."
            ).format(kept=invites.kept)
        )
    return 0


async def _invite_one(app: App, username: str, args: argparse.Namespace) -> int:
    issued = await onboarding.create_invite(
        app,
        CLI_OPERATOR,
        args.name,
        args.role,
        village=args.village,
        phone=args.phone,
        town=args.town,
    )
    if issued.new_village:
        say(_("New village added: {village}.").format(village=issued.village_name))
    if issued.new_person:
        say(_("{name} was not in the roster and has been added.").format(name=issued.person.name))
    expires = local_minute(issued.expires_at, app.settings.tz)
    say(
        _("One-time link for {name} ({role}), valid until {expires}:").format(
            name=issued.person.name, role=issued.role.label, expires=expires
        )
    )
    say(onboarding.invite_link(username, issued.code), flush=True)
    return 0


async def _bot_username(app: App, settings: Settings) -> str | None:
    """Ask Telegram who the bot is when a token is set; else use the one the bot remembered.
    None, once the clerk has been told why (in their language) and what to do."""
    problem = None
    if settings.bot_token:
        bot = build_bot(settings)
        try:
            with single_try():  # the clerk at the terminal hears at once why not
                me = await bot.get_me()
        except (TelegramNetworkError, ClientError, OSError, TimeoutError) as error:
            problem = _(
                "Telegram could not be reached ({error}). Check the network, or TELEGRAM_PROXY "
                "if Telegram is reached through a proxy; `bangfu doctor` checks both."
            ).format(error=type(error).__name__)
        except TelegramAPIError as error:
            problem = _(
                "Telegram refused the bot's token ({error}). Check BOT_TOKEN; "
                "`bangfu doctor` checks it."
            ).format(error=error.message)
        else:
            if me.username:
                await first_start.remember_bot_username(app, me.username)
                return me.username
        finally:
            await bot.session.close()
    remembered = await first_start.bot_username(app)
    if remembered is not None:
        if problem is not None:  # the links still work: the bot's name does not change
            say(problem, file=sys.stderr)
            say(_("Using the bot's name from its last start: @{name}.").format(name=remembered))
        return remembered
    say(_("Cannot make the link: the bot's username is not known yet."), file=sys.stderr)
    say(
        problem or _("Set BOT_TOKEN (in .env or the environment) and run this again."),
        file=sys.stderr,
    )
    return None
