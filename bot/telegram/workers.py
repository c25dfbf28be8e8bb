"""One webhook worker: it serves updates, and leads when it holds the leader lock.

Every worker answers the updates Telegram posts to it (several workers share one port with
SO_REUSEPORT, the kernel spreading the connections). Exactly one of them, the holder of the
leader lock (bot/storage/leader.py: a PostgreSQL advisory lock), also runs the scheduler and
the outbox sender. The others try to take the lock every LEADER_POLL_SECONDS (3 s by
default): PostgreSQL frees a dead leader's lock as soon as its connection closes, which the
kernel does at once even after kill -9, so another worker leads within about that time. A
leader whose lock connection is lost stops leading (another may have the lock by then) and
goes back to trying.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os

from aiogram import Bot
from aiohttp import web

from bot.storage.leader import LeaderLock
from bot.storage.uow import App
from bot.telegram.app import STOP_GRACE_SECONDS, build_dispatcher
from bot.telegram.stopping import UpdatesInFlight
from bot.telegram.webhook import Extra, build_webhook_app, webhook_path

log = logging.getLogger(__name__)


def parse_listen(listen: str) -> tuple[str, int]:
    """ "HOST:PORT" (or ":PORT", every interface) as a host and a port."""
    host, _, port = listen.rpartition(":")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"not HOST:PORT: {listen!r}")
    return host.strip("[]") or "0.0.0.0", int(port)


async def serve_webhook(
    app: App,
    bot: Bot,
    url: str,
    listen: str,
    lock: LeaderLock,
    stop: asyncio.Event,
    extra: Extra | None = None,
) -> None:
    """Serve Telegram's updates on `listen` until `stop`, leading whenever this worker holds
    `lock`; then stop taking updates, let those being handled finish, and stop leading."""
    host, port = parse_listen(listen)
    in_flight = UpdatesInFlight()
    dispatcher = build_dispatcher(app, in_flight=in_flight)
    application = build_webhook_app(app.settings, dispatcher, bot, webhook_path(url), extra)
    runner = web.AppRunner(application, access_log=None, shutdown_timeout=STOP_GRACE_SECONDS)
    await runner.setup()
    site = web.TCPSite(runner, host, port, reuse_port=True)
    await site.start()
    log.info("webhook worker (pid %s) listening on %s:%s", os.getpid(), host, port)
    leading = asyncio.create_task(lead_when_free(app, bot, lock, stop), name="leader")
    try:
        await stop.wait()
    finally:
        await site.stop()
        await in_flight.finished(STOP_GRACE_SECONDS)
        await leading
        await runner.cleanup()


async def lead_when_free(app: App, bot: Bot, lock: LeaderLock, stop: asyncio.Event) -> None:
    """Until `stop`: take the lock when it is free, and while holding it run the scheduler
    and the outbox sender."""
    poll = app.settings.leader_poll_seconds
    while not stop.is_set():
        try:
            taken = await lock.try_take()
        except Exception as error:  # the database is down: a follower keeps serving
            log.warning("could not try the leader lock (%s); again in %ss", error, poll)
            taken = False
        if not taken:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll)
            continue
        log.info(
            "this worker (pid %s) leads: it runs the scheduler and the outbox sender", os.getpid()
        )
        try:
            await _lead(app, bot, lock, stop)
        except Exception:
            log.exception("leading failed; the lock is given up and tried again")
        finally:
            await lock.release()
        if not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll)


async def _lead(app: App, bot: Bot, lock: LeaderLock, stop: asyncio.Event) -> None:
    from scheduler import start_scheduler

    scheduler = await start_scheduler(app, bot)
    try:
        lost = asyncio.create_task(lock.lost())
        stopping = asyncio.create_task(stop.wait())
        done, pending = await asyncio.wait({lost, stopping}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        if lost in done:
            log.error("the leader lock's connection was lost: this worker stops leading")
    finally:
        await scheduler.stop()
