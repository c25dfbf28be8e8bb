"""`bangfu run --webhook URL [--listen HOST:PORT] [--workers N]`: webhook mode.

The command upgrades the database, says hello to Telegram (the bot's name, the first admin
link, the "/" menus) and sets the webhook with its secret; then it serves the updates itself
(one worker), or starts N worker processes (`bangfu run --webhook URL --worker`) that share
the port with SO_REUSEPORT, and watches them: a worker that dies is started again, and
SIGTERM or Ctrl-C stops them all (each lets its updates and sends on their way finish). The
workers take turns at the leader lock (bot/telegram/workers.py). Several workers need
PostgreSQL (one database for all) and REDIS_URL (their shared state): README "Several workers".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
from dataclasses import dataclass

from sqlalchemy.engine import make_url

from bot.cli.greeting import greet
from bot.cli.output import say
from bot.clock import Clock
from bot.config import Settings
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.storage.leader import leader_lock
from bot.storage.migrate import upgrade
from bot.telegram.app import build_app, build_bot, build_dispatcher
from bot.telegram.commands import publish_commands
from bot.telegram.pacing import SendPacer
from bot.telegram.stopping import stop_on_signals, until_stopped
from bot.telegram.webhook import webhook_path, webhook_secret
from bot.telegram.workers import parse_listen, serve_webhook

log = logging.getLogger(__name__)

RESTART_DELAY_SECONDS = 1.0
QUICK_DEATH_SECONDS = 5.0  # a worker that dies this soon after starting, five times running,
QUICK_DEATHS = 5  # ...cannot start (the port is taken, a setting is wrong): give up
WORKER_STOP_SECONDS = 45.0  # a stopping worker's grace, then it is killed

WORKERS_NEED = N_(
    "Several workers need PostgreSQL (DATABASE_URL=postgresql://...) and Redis "
    "(REDIS_URL=redis://...): they share one database and their conversation state. "
    "See the README, section Several workers."
)
BAD_WEBHOOK = N_("Cannot serve the webhook: {error}")


def add_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument(
        "--webhook", metavar="URL", help="public https URL Telegram posts updates to (no polling)"
    )
    run.add_argument("--listen", metavar="HOST:PORT", help="where to listen (WEBHOOK_LISTEN)")
    run.add_argument(
        "--workers", type=int, default=1, metavar="N", help="worker processes (webhook only)"
    )
    run.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)  # one of N


async def run_webhook(settings: Settings, args: argparse.Namespace) -> int:
    listen = args.listen or settings.webhook_listen
    try:
        webhook_path(args.webhook)
        parse_listen(listen)
    except ValueError as error:
        say(_(BAD_WEBHOOK).format(error=error), file=sys.stderr)
        return 2
    postgres = make_url(settings.database_url).get_backend_name() == "postgresql"
    if args.workers > 1 and not (postgres and settings.redis_url):
        say(_(WORKERS_NEED), file=sys.stderr)
        return 2
    stop = asyncio.Event()
    with stop_on_signals(stop):
        if not args.worker and not await _set_up(settings, args.webhook, stop):
            return 0
        if args.workers > 1:
            return await _supervise(args.webhook, listen, args.workers, stop)
        return await work(settings, args.webhook, listen, stop)


async def _set_up(settings: Settings, url: str, stop: asyncio.Event) -> bool:
    """Once per start, before any worker: the database, the bot's name, the webhook. False
    when asked to stop meanwhile."""
    upgrade(settings.database_url)
    app = build_app(settings)
    bot = build_bot(settings)
    try:
        me = await until_stopped(bot.get_me(), stop)
        if me is None:
            return False
        await greet(app, me.username or "")
        await publish_commands(bot, settings)
        dispatcher = build_dispatcher(app)
        updates = dispatcher.resolve_used_update_types()
        await dispatcher.fsm.storage.close()  # the workers build their own
        await bot.set_webhook(url, secret_token=webhook_secret(settings), allowed_updates=updates)
        log.info("webhook set for @%s", me.username)
        return True
    finally:
        await bot.session.close()
        await app.close()


async def work(
    settings: Settings,
    url: str,
    listen: str,
    stop: asyncio.Event,
    clock: Clock | None = None,
    pacer: SendPacer | None = None,
) -> int:
    """One worker until `stop` (`clock` and `pacer`: bench/per_update.py's, faster ones)."""
    app = build_app(settings, clock)
    bot = build_bot(settings, pacer)
    lock = leader_lock(settings.database_url)
    try:
        await serve_webhook(app, bot, url, listen, lock, stop)
    finally:
        await lock.release()
        await bot.session.close()
        await app.close()
    log.info("webhook worker stopped")
    return 0


@dataclass
class Worker:
    process: asyncio.subprocess.Process
    started: float


async def _supervise(url: str, listen: str, count: int, stop: asyncio.Event) -> int:
    """Run `count` workers until `stop`, starting again any that dies."""
    command = [sys.executable, "-m", "bot.cli", "run", "--webhook", url, "--listen", listen]
    workers: dict[asyncio.Task[int], Worker] = {}
    quick_deaths = 0

    async def start() -> None:
        process = await asyncio.create_subprocess_exec(*command, "--worker")
        log.info("worker started, pid %s", process.pid)
        workers[asyncio.create_task(process.wait())] = Worker(process, time.monotonic())

    for _number in range(count):
        await start()
    stopping = asyncio.create_task(stop.wait())
    try:
        while not stop.is_set():
            done, _pending = await asyncio.wait(
                {*workers, stopping}, return_when=asyncio.FIRST_COMPLETED
            )
            for task in done - {stopping}:
                worker = workers.pop(task)
                log.error(
                    "worker pid %s ended (status %s); starting another",
                    *(worker.process.pid, task.result()),
                )
                quick = time.monotonic() - worker.started < QUICK_DEATH_SECONDS
                quick_deaths = quick_deaths + 1 if quick else 0
                if quick_deaths >= QUICK_DEATHS:
                    log.error("workers keep dying at start; giving up (see their log above)")
                    stop.set()
                    break
                await asyncio.sleep(RESTART_DELAY_SECONDS)
                await start()
    finally:
        stopping.cancel()
        await _stop_all(workers)
    return 1 if quick_deaths >= QUICK_DEATHS else 0


async def _stop_all(workers: dict[asyncio.Task[int], Worker]) -> None:
    for worker in workers.values():
        with contextlib.suppress(ProcessLookupError):
            worker.process.send_signal(signal.SIGTERM)
    if not workers:
        return
    _done, late = await asyncio.wait(workers, timeout=WORKER_STOP_SECONDS)
    for task in late:
        with contextlib.suppress(ProcessLookupError):
            workers[task].process.kill()
    await asyncio.gather(*workers, return_exceptions=True)
