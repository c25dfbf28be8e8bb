"""One `bangfu run` per database: the leader lock (PostgreSQL advisory lock, or a file lock
beside the SQLite file) refuses a second instance, is released when its holder dies however
it dies, and the other CLI commands keep working beside a running bot."""

from __future__ import annotations

import asyncio
import os
import signal
import stat
import sys
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.cli import main
from bot.core.delivery.kinds import MessageKind
from bot.core.delivery.outbox import OutboxStatus
from bot.storage import leader
from bot.storage.leader import leader_lock
from bot.storage.models import OutboxMessage
from bot.storage.uow import App
from tests.conftest import PG_URL
from tests.town_builder import TownBuilder

HOLD = """
import asyncio, sys
from bot.storage import leader
from bot.storage.leader import leader_lock

async def hold():
    lock = leader_lock(sys.argv[1])
    print("taken" if await lock.try_take() else "refused", flush=True)
    await asyncio.Event().wait()

asyncio.run(hold())
"""


async def test_a_second_lock_on_the_same_database_is_refused_until_the_first_is_released(
    app: App, database_url: str
) -> None:
    first, second = leader_lock(database_url), leader_lock(database_url)
    try:
        assert await first.try_take()
        assert not await second.try_take()
        assert f"pid {os.getpid()}" in await second.holder()
        await first.release()
        assert await second.try_take()
    finally:
        await first.release()
        await second.release()


async def test_a_killed_holder_leaves_the_lock_free(app: App, database_url: str) -> None:
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLD, database_url, stdout=asyncio.subprocess.PIPE
    )
    lock = leader_lock(database_url)
    try:
        assert holder.stdout is not None
        assert await asyncio.wait_for(holder.stdout.readline(), 30) == b"taken\n"
        assert not await lock.try_take()

        holder.send_signal(signal.SIGKILL)  # no clean-up of any kind
        await holder.wait()

        assert await lock.try_take()
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()
        await lock.release()


async def test_a_second_bangfu_run_stops_with_a_clear_message_and_jobs_still_queue_beside_it(
    app: App, database_url: str, cli_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    town = TownBuilder(app)
    village = await town.village("河口村")
    person = await town.person("王建华", village=village, telegram_user_id=700_000_001)
    await town.household(village, "张桂英", person)
    running = leader_lock(database_url)  # the first `bangfu run`
    assert await running.try_take()
    try:
        status = await asyncio.to_thread(main, ["run"])
        refused = capsys.readouterr().err
        assert status == 3
        assert "已经有一个 bangfu 在运行" in refused and f"pid {os.getpid()}" in refused

        at = ["jobs", "run", "contact_digest", "--at", "2026-03-20 09:00"]
        assert await asyncio.to_thread(main, at) == 0
        assert "新排队 1 条消息" in capsys.readouterr().out
        assert await asyncio.to_thread(main, ["outbox", "status"]) == 0
        assert "等待发送：1 条" in capsys.readouterr().out
    finally:
        await running.release()
    # `jobs run` queued the digest and sent nothing: sending is the running bot's job.
    async with app.uow() as uow:
        [row] = (await uow.session.execute(select(OutboxMessage))).scalars()
    assert (row.kind, row.status, row.attempts) == (
        MessageKind.CONTACT_DIGEST,
        OutboxStatus.QUEUED,
        0,
    )


@pytest.mark.skipif(not PG_URL, reason="an advisory lock's connection: PostgreSQL only")
async def test_a_postgresql_lock_whose_connection_ends_is_reported_lost(
    app: App, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(leader, "WATCH_SECONDS", 0.05)
    lock = leader_lock(database_url)
    assert await lock.try_take()
    try:
        # PostgreSQL restarts, or the network between them fails: the lock's session ends.
        engine = create_async_engine(database_url)
        async with engine.connect() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = :name"
                ),
                {"name": leader.whoami()[: leader.APPLICATION_NAME_LENGTH]},
            )
        await engine.dispose()

        await asyncio.wait_for(lock.lost(), 5)
        other = leader_lock(database_url)
        assert await other.try_take()  # which is why bangfu stops when it is lost
        await other.release()
    finally:
        await lock.release()


async def test_the_lock_makes_a_missing_database_folder_private(tmp_path: Path) -> None:
    """`bangfu run` takes the lock before the database is opened: the folder it makes for
    both is 0700, as the database's own (no warning that others can list it)."""
    lock = leader_lock(f"sqlite+aiosqlite:///{tmp_path / 'data' / 'bangfu.sqlite3'}")
    try:
        assert await lock.try_take()
        assert stat.S_IMODE((tmp_path / "data").stat().st_mode) == 0o700
    finally:
        await lock.release()
