"""`bangfu jobs run` beside a running bot: both may run the same ladder step at the same
moment. The one that commits second would break the outbox's unique key; instead its run is
made again, finds the other's rows and queues nothing, and the operator reads that the
messages were already queued. Played deterministically: the bot's run is made to happen
between the CLI's check and its insert, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.clock import FrozenClock
from bot.core.delivery import outbox
from bot.storage.models import JobRun, OutboxMessage
from bot.storage.uow import App, UnitOfWork
from bot.telegram.app import build_app
from scheduler.jobs import JOBS, run_job
from tests.conftest import TZ
from tests.town_builder import TownBuilder

DIGEST = JOBS["contact_digest"]
THE_20TH = datetime(2026, 3, 20, 9, 0, tzinfo=TZ)


async def seed(app: App) -> None:
    town = TownBuilder(app)
    village = await town.village("河口村")
    for number, name in enumerate(("王建华", "李春华", "张德明")):
        person = await town.person(name, village=village, telegram_user_id=700_000_001 + number)
        await town.household(village, f"农户{number}", person)


def the_bot_runs_it_first(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first look for outbox keys runs the whole step in another transaction (the
    running bot's scheduler, committing first), then answers as the CLI saw it before."""
    original = outbox.queued_before
    interleaved = False

    async def stale_check(uow: UnitOfWork, keys: list[str]) -> set[str]:
        nonlocal interleaved
        if not interleaved:
            interleaved = True
            answer = await original(uow, keys)
            the_bot = build_app(app.settings, FrozenClock(TZ, THE_20TH))  # its own process
            try:
                await run_job(the_bot, DIGEST, THE_20TH)
            finally:
                await the_bot.close()
            return answer
        return await original(uow, keys)

    monkeypatch.setattr(outbox, "queued_before", stale_check)


async def outbox_keys(app: App) -> list[str]:
    async with app.uow() as uow:
        return list((await uow.session.execute(select(OutboxMessage.key))).scalars())


async def test_a_step_queued_by_the_bot_meanwhile_is_queued_once_not_a_traceback(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(app)
    the_bot_runs_it_first(app, monkeypatch)

    assert await run_job(app, DIGEST, THE_20TH) == 0

    keys = await outbox_keys(app)
    assert len(keys) == 3 and len(set(keys)) == 3
    async with app.uow() as uow:
        runs = (await uow.session.execute(select(func.count(JobRun.id)))).scalar_one()
    assert runs == 1


async def test_the_operator_reads_that_the_messages_were_already_queued(
    app: App, cli_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(app)
    the_bot_runs_it_first(app, monkeypatch)

    at = ["jobs", "run", "contact_digest", "--at", "2026-03-20 09:00"]
    assert await asyncio.to_thread(main, at) == 0

    printed = capsys.readouterr()
    assert "没有新消息要排队。这些消息已经排过队" in printed.out
    assert "Traceback" not in printed.out + printed.err
    assert len(set(await outbox_keys(app))) == len(await outbox_keys(app)) == 3
