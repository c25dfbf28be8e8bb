"""Three webhook workers on PostgreSQL and Redis: every worker serves updates, one leads, and
when the leader is killed (kill -9) mid-wave another takes over: each outbox row reaches the
stand-in exactly once, except the rows on the wire at the kill (sent, not yet recorded), which
may arrive twice (at-least-once).

This runs the real `bangfu run --webhook URL --workers 3` as a process tree against the Bot
API stand-in, so it needs PostgreSQL (TEST_DATABASE_URL) and Redis; on SQLite it is skipped.
Every wait is bounded generously; no assertion is about speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import re
import signal
import socket
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis
from sqlalchemy import select

from bot.core.delivery.outbox import OutboxStatus
from bot.storage.leader import leader_lock
from bot.storage.models import OutboxMessage
from bot.storage.uow import App
from bot.telegram.webhook import SECRET_HEADER
from tests.conftest import PG_URL
from tests.e2e.wave import queue_rendered
from tests.telegram_api import FakeTelegram, TelegramUser

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="several workers share one PostgreSQL database (TEST_DATABASE_URL)"
)

ROWS = 150  # about five seconds of sends at Telegram's 30 a second
KILL_AFTER = 40  # sends seen on the stand-in before the leader is killed
LEASE_SECONDS = 5  # the dead leader's claimed rows are due again after this long
PATIENCE = 120.0  # seconds: generous bounds for a busy machine


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def until(condition: Callable[[], bool | Awaitable[bool]], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while not await _value(condition()):
        if loop.time() > deadline:
            raise AssertionError(f"not within {PATIENCE}s: {what}")
        await asyncio.sleep(0.1)


class Workers:
    """`bangfu run --webhook URL --workers 3` in its own process group."""

    def __init__(self, app: App, telegram: FakeTelegram, tmp_path: Path, redis_url: str) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/telegram/updates"
        self.log = tmp_path / "workers.log"
        self.env = os.environ | {
            "BOT_TOKEN": app.settings.bot_token or "",
            "DATABASE_URL": app.settings.database_url,
            "TELEGRAM_API_URL": telegram.url,
            "REDIS_URL": redis_url,
            "REDIS_PREFIX": f"bangfu-test-{uuid.uuid4().hex}",
            "LEADER_POLL_SECONDS": "0.5",
            "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
            "NIGHTLY_BACKUP": "false",
            "BACKUP_DIR": str(tmp_path / "backups"),
        }
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        command = [sys.executable, "-m", "bot.cli", "run", "--webhook", self.url]
        command += ["--listen", f"127.0.0.1:{self.port}", "--workers", "3"]
        with self.log.open("wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                *command,
                env=self.env,
                cwd=self.log.parent,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )

    async def leader_pid(self) -> int | None:
        lock = leader_lock(self.app.settings.database_url)
        try:
            holder = await lock.holder()
        finally:
            await lock.release()
        found = re.search(r"pid (\d+)", holder)
        return int(found.group(1)) if found else None

    async def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), PATIENCE)
        except TimeoutError:
            os.killpg(self.process.pid, signal.SIGKILL)
            await self.process.wait()
        redis = Redis.from_url(self.env["REDIS_URL"])
        async for left in redis.scan_iter(f"{self.env['REDIS_PREFIX']}:*"):
            await redis.delete(left)
        await redis.aclose()

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]


@pytest.fixture
async def workers(
    app: App, telegram: FakeTelegram, tmp_path: Path, redis_url: str
) -> AsyncIterator[Workers]:
    telegram.unknown_chat_error = False  # the wave goes to people the stand-in never saw
    running = Workers(app, telegram, tmp_path, redis_url)
    await running.start()
    try:
        await until(lambda: bool(telegram.webhook), "the webhook set")
        await until(lambda: has_leader(running), "a leader")
        yield running
    except BaseException:
        print(running.output())
        raise
    finally:
        await running.stop()


async def _value(result: bool | Awaitable[bool]) -> bool:
    return await result if inspect.isawaitable(result) else result


async def has_leader(workers: Workers) -> bool:
    return await workers.leader_pid() is not None


async def statuses(app: App, row_ids: Iterable[int]) -> dict[int, tuple[str, int]]:
    """The wave's rows only: the leader's own jobs may queue others (on the 1st, last month's
    summary), which this test does not follow."""
    async with app.uow() as uow:
        found = await uow.session.execute(
            select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.parts_sent).where(
                OutboxMessage.id.in_(list(row_ids))
            )
        )
        return {row_id: (status, sent) for row_id, status, sent in found}


def sends_per_text(telegram: FakeTelegram) -> Counter[str]:
    return Counter(call.params.get("text", "") for call in telegram.calls("sendMessage"))


async def test_three_workers_serve_and_when_the_leader_is_killed_mid_wave_another_takes_over(
    workers: Workers,
    telegram: FakeTelegram,
    app: App,
    make_user: Callable[..., TelegramUser],
) -> None:
    await updates_are_served(workers, telegram, make_user)
    first_leader = await workers.leader_pid()
    assert first_leader is not None
    texts = await queue_rendered(app, ROWS, datetime.now(UTC))

    await until(lambda: len(telegram.calls("sendMessage")) >= KILL_AFTER, "sends begin")
    os.kill(first_leader, signal.SIGKILL)
    await asyncio.sleep(0.5)  # what was on the wire reaches the stand-in
    at_the_kill = sends_per_text(telegram)
    rows_then = await statuses(app, texts)
    # On the wire at the kill: the stand-in has it, the database does not say it was sent.
    on_the_wire = {
        texts[row_id]
        for row_id, (status, sent) in rows_then.items()
        if status == OutboxStatus.QUEUED and sent == 0 and at_the_kill[texts[row_id]]
    }
    assert len(at_the_kill) < ROWS, "the wave ended before the kill: nothing was tested"

    await until(lambda: all_sent(app, texts), "every row sent after the takeover")
    new_leader = await workers.leader_pid()
    assert new_leader not in (None, first_leader)

    sends = sends_per_text(telegram)
    assert all(sends[text] >= 1 for text in texts.values())
    twice = {text for text in texts.values() if sends[text] > 1}
    assert twice <= on_the_wire, (twice, on_the_wire)
    assert all(sends[text] <= 2 for text in texts.values())


async def updates_are_served(
    workers: Workers, telegram: FakeTelegram, make_user: Callable[..., TelegramUser]
) -> None:
    """Updates posted with the secret are answered, by whichever worker gets them."""
    assert telegram.webhook["url"] == workers.url
    secret = telegram.webhook["secret_token"]
    async with aiohttp.ClientSession() as client:
        for number in range(6):  # the kernel spreads the connections over the workers
            user = make_user(f"李{number}")
            update = await user.send("/start", settle=False)
            headers = {SECRET_HEADER: secret, "Content-Type": "application/json"}
            async with client.post(workers.url, data=json.dumps(update), headers=headers) as sent:
                assert sent.status == 200, workers.output()
            assert (await user.next_message(timeout=PATIENCE)).text
        async with client.post(workers.url, data="{}", headers={SECRET_HEADER: "x"}) as refused:
            assert refused.status == 401


async def all_sent(app: App, row_ids: Iterable[int]) -> bool:
    found = (await statuses(app, row_ids)).values()
    return all(status == OutboxStatus.SENT for status, _ in found)
