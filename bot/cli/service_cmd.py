"""`bangfu run` and `bangfu db upgrade`."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.app import build_app, build_bot, serve
from bot.cli.output import say
from bot.config import Settings
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.services import onboarding
from bot.storage.migrate import upgrade

log = logging.getLogger(__name__)

NO_TOKEN = N_(
    "BOT_TOKEN is not set.\n"
    "1. In Telegram, open @BotFather and send /newbot; it answers with a token.\n"
    "2. Put it in a file named .env in this folder:  BOT_TOKEN=123456:ABC...\n"
    "3. Start bangfu again (./scripts/start, or bangfu run)."
)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    run = commands.add_parser("run", help="upgrade the database, then run the bot and scheduler")
    run.set_defaults(handler=run_service)
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply migrations").set_defaults(handler=db_upgrade)


def db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    upgrade(settings.database_url)
    say(_("Database is up to date: {url}").format(url=_safe_url(settings.database_url)))
    return 0


async def run_service(settings: Settings, _args: argparse.Namespace) -> int:
    if not settings.bot_token:
        say(_(NO_TOKEN), file=sys.stderr)
        return 2
    upgrade(settings.database_url)
    app = build_app(settings)
    bot = build_bot(settings)
    try:
        me = await bot.get_me()
        await onboarding.remember_bot_username(app, me.username or "")
        code = await onboarding.first_start_admin_code(app)
        if code:
            say(
                _(
                    "No town office account yet. Open this one-time link in Telegram "
                    "to become the town office admin:"
                )
            )
            say(onboarding.invite_link(me.username or "", code), flush=True)
        log.info("bangfu is running as @%s", me.username)
        await serve(app, bot)
    finally:
        await bot.session.close()
    return 0


def _safe_url(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
