"""`bangfu run` and `bangfu db upgrade`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.cli import workers_cmd
from bot.cli.greeting import greet
from bot.cli.output import say
from bot.config import Settings
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.storage.leader import LeaderLock, leader_lock
from bot.storage.migrate import upgrade
from bot.telegram.app import build_app, build_bot, serve
from bot.telegram.stopping import stop_on_signals, until_stopped

log = logging.getLogger(__name__)

NO_TOKEN = N_(
    "BOT_TOKEN is not set.\n"
    "1. In Telegram, open @BotFather and send /newbot; it answers with a token.\n"
    "2. Put it in a file named .env in this folder:  BOT_TOKEN=123456:ABC...\n"
    "3. Start bangfu again (./scripts/start, or bangfu run)."
)
ANOTHER_INSTANCE = N_(
    "Another bangfu is already running on this database ({holder}), so this one stops: "
    "two would send every message twice.\n"
    "Stop the other one first if you mean to restart it. Commands such as "
    "bangfu jobs run and bangfu outbox status work beside it."
)
ANOTHER_INSTANCE_STATUS = 3
LOCK_LOST_STATUS = 1


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    run = commands.add_parser("run", help="upgrade the database, then run the bot and scheduler")
    workers_cmd.add_arguments(run)
    run.set_defaults(handler=run_service)
    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_commands.add_parser("upgrade", help="apply migrations").set_defaults(handler=db_upgrade)


def db_upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    upgrade(settings.database_url)
    say(_("Database is up to date: {url}").format(url=_safe_url(settings.database_url)))
    return 0


async def run_service(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.bot_token:
        say(_(NO_TOKEN), file=sys.stderr)
        return 2
    if getattr(args, "webhook", None):
        return await workers_cmd.run_webhook(settings, args)
    if getattr(args, "workers", 1) > 1:
        say(_("--workers needs --webhook URL: polling is one process."), file=sys.stderr)
        return 2
    # SIGTERM or Ctrl-C from the first moment: one during start-up (the lock, migrations,
    # getMe) stops here cleanly with 0, as one while polling does.
    stop = asyncio.Event()
    with stop_on_signals(stop):
        lock = leader_lock(settings.database_url)
        if not await lock.try_take():
            holder = await lock.holder()
            log.error("another bangfu run holds the leader lock of this database (%s)", holder)
            print(_(ANOTHER_INSTANCE).format(holder=holder or "?"), file=sys.stderr)
            await lock.release()
            return ANOTHER_INSTANCE_STATUS
        try:
            return await _run_as_leader(settings, lock, stop)
        finally:
            await lock.release()


async def _run_as_leader(settings: Settings, lock: LeaderLock, stop: asyncio.Event) -> int:
    """Run the bot and the scheduler until asked to stop, or until the leader lock is lost
    (then another instance may take over: stop, with a non-zero status, to be restarted)."""
    if stop.is_set():
        return _stopped_during_start_up()
    # Blocks the loop; a signal meanwhile is acted on when it is done, before polling starts.
    upgrade(settings.database_url)
    if stop.is_set():
        return _stopped_during_start_up()
    app = build_app(settings)
    bot = build_bot(settings)
    watch = asyncio.create_task(_stop_when_lost(lock, stop))
    try:
        # bot.me(): kept, so polling's own start asks Telegram no second time.
        me = await until_stopped(bot.me(), stop)
        if me is None or stop.is_set():
            return LOCK_LOST_STATUS if watch.done() else _stopped_during_start_up()
        await greet(app, me.username or "")
        # A webhook left by webhook mode makes Telegram refuse polling (409); its pending
        # updates are kept and polled.
        await bot.delete_webhook(drop_pending_updates=False)
        log.info("bangfu is running as @%s", me.username)
        await serve(app, bot, stop)
        return LOCK_LOST_STATUS if watch.done() else 0
    finally:
        watch.cancel()
        await bot.session.close()
        await app.close()


def _stopped_during_start_up() -> int:
    log.info("stopped during start-up, before polling began")
    return 0


async def _stop_when_lost(lock: LeaderLock, stop: asyncio.Event) -> None:
    await lock.lost()
    log.error(
        "the leader lock's database connection was lost: stopping, so that a restart takes it again"
    )
    stop.set()


def _safe_url(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
