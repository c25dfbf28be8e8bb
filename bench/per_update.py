"""Benchmark: what one update costs bangfu, beside a bare aiogram echo bot on the same stand-in.

    .venv/bin/python -m bench.per_update                          # SQLite, 20 rounds
    .venv/bin/python -m bench.per_update --database-url postgresql://postgres@127.0.0.1/bench_perf11
    .venv/bin/python -m bench.per_update --rounds 40 --workers 3

50 contact persons, 40 households each, press "🏠 我的农户" on their reply keyboard; every
press is an update the bot answers with the first page of their list (the real dispatcher,
middlewares, routers and database). The same presses then go to an aiogram bot that only
echoes the text back. Each bot polls the Bot API stand-in (tests/telegram_api, in this
process) from a process of its own, so its CPU time is its own (Linux /proc). After a warm-up
round, `--rounds` presses per person are queued at once; the figures are taken from the first
press queued to the last answer stored.

bangfu's pacer keeps to Telegram's ~30 messages/s and one a second per person; here it runs on
a clock 1,000 times faster (as the e2e suite runs it 20 times faster), so that the figure is
the bot's own cost, not Telegram's limit. The PostgreSQL database named is dropped and created
again: give the benchmark a database of its own.

`--workers N`: several workers need webhook mode (`bangfu run --webhook`); this benchmark drives
polling, which serves one worker, so it measures one and says so.
Goal (issue 11): at least 0.5 of the echo bot's updates/s, at most 2 ms of CPU per update.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bench.processes import fresh_database, start_child, stop_child, usage
from bench.sweep import households
from bot.clock import FrozenClock
from bot.config import Settings
from bot.domain.model import Role
from bot.storage.models import Assignment, Household, Person, Village
from bot.storage.uow import App
from tests.telegram_api import FakeTelegram, TelegramUser

TZ = ZoneInfo("Asia/Shanghai")
MOMENT = datetime(2026, 3, 12, 10, 0, tzinfo=TZ)
TOKEN = "123456:PER-UPDATE"
PEOPLE = 50
HOUSEHOLDS_EACH = 40
PRESS = "🏠 我的农户"
PACE_FACTOR = 1000
GOAL_RATIO = 0.5
GOAL_CPU_MS = 2.0


@dataclass(frozen=True)
class Run:
    bot: str
    updates: int
    seconds: float
    cpu: float
    rss_mb: float

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / self.updates

    def line(self) -> str:
        return (
            f"{self.bot:>7}: {self.updates:,} updates in {self.seconds:6.2f} s = "
            f"{self.per_second:7.1f} updates/s, {self.cpu_ms:5.2f} ms CPU/update, "
            f"RSS {self.rss_mb:5.0f} MB"
        )


def settings_for(database_url: str, api_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,
        database_url=database_url,
        telegram_api_url=api_url,
    )


# The bots, each in a process of its own.


async def bangfu_child(database_url: str, api_url: str) -> None:
    from bot.telegram.app import build_app, build_bot, build_dispatcher
    from tests.fast_clock import FastClock

    settings = settings_for(database_url, api_url)
    app = build_app(settings, FrozenClock(TZ, MOMENT))
    bot = build_bot(settings, pacer=FastClock(PACE_FACTOR).pacer())
    try:
        await build_dispatcher(app).start_polling(bot, polling_timeout=2)
    finally:
        await bot.session.close()
        await app.close()


async def echo_child(api_url: str) -> None:
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    bot = Bot(TOKEN, session=session)
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    try:
        await dispatcher.start_polling(bot, polling_timeout=2)
    finally:
        await bot.session.close()


# The parent: data, the stand-in, the presses.


async def seed(app: App, users: list[TelegramUser]) -> None:
    now = app.clock.now()
    async with app.uow() as uow:
        village = Village(name="大河村")
        uow.session.add(village)
        await uow.session.flush()
        people = await uow.session.execute(
            insert(Person).returning(Person.id, sort_by_parameter_order=True),
            [
                {
                    "name": user.first_name,
                    "role": Role.CONTACT,
                    "village_id": village.id,
                    "telegram_user_id": user.id,
                    "active": True,
                    "created_at": now,
                }
                for user in users
            ],
        )
        person_ids = list(people.scalars())
        rows = list(households(len(users) * HOUSEHOLDS_EACH, now))
        for row in rows:
            row["village_id"] = village.id
        await uow.session.execute(insert(Household), rows)
        await uow.session.execute(
            insert(Assignment),
            [
                {
                    "household_id": household,
                    "person_id": person_ids[n // HOUSEHOLDS_EACH],
                    "started_at": now,
                }
                for n, household in enumerate(row["id"] for row in rows)
            ],
        )
        await uow.commit()


async def measure(name: str, arguments: list[str], rounds: int) -> Run:
    """One bot: start it, warm it up with a press each, then time `rounds` presses each."""
    async with FakeTelegram(now=lambda: MOMENT, unknown_chat_error=False) as telegram:
        users = [TelegramUser(telegram, f"联系人{n:02d}") for n in range(PEOPLE)]
        if name == "bangfu":
            database_url = arguments[0]
            app = App(
                settings=settings_for(database_url, telegram.url),
                clock=FrozenClock(TZ, MOMENT),
                sessions=_sessions(database_url),
            )
            await seed(app, users)
            await app.close()
        child = await start_child("bench.per_update", "--child", name, *arguments, telegram.url)
        try:
            await telegram.wait_until_polling(timeout=60)
            for user in users:
                await user.send(PRESS, settle=False)
            await telegram.wait_for_sends(PEOPLE, timeout=120)
            sent_before = len(telegram.sends)
            if name == "bangfu" and os.environ.get("BENCH_PROFILE"):
                child.send_signal(signal.SIGUSR1)
            spy = await _py_spy(child.pid) if name == "bangfu" else None
            before = usage(child.pid)
            started = time.monotonic()
            for _round in range(rounds):
                for user in users:
                    await user.send(PRESS, settle=False)
            await telegram.wait_for_sends(sent_before + rounds * PEOPLE, timeout=600)
            seconds = time.monotonic() - started
            after = usage(child.pid)
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                await spy.wait()
            _check_answers(name, users)
        finally:
            await stop_child(child)
    return Run(name, rounds * PEOPLE, seconds, after.cpu - before.cpu, after.rss_mb)


async def _py_spy(pid: int) -> asyncio.subprocess.Process | None:
    """With BENCH_PYSPY=FILE: py-spy samples the bot during the timed presses, whichever of
    its threads holds the GIL (collapsed stacks in FILE; `pip install py-spy` in the venv
    first)."""
    output = os.environ.get("BENCH_PYSPY")
    if not output:
        return None
    spy = Path(sys.executable).with_name("py-spy")
    return await asyncio.create_subprocess_exec(
        str(spy),
        "record",
        "--pid",
        str(pid),
        "--format",
        "raw",
        "--output",
        output,
        "--rate",
        "200",
        "--threads",
        "--nonblocking",
        "--gil",  # the thread holding the interpreter only: CPU, not threads waiting
    )


def _sessions(database_url: str):  # type: ignore[no-untyped-def]
    from bot.storage.db import create_engine, create_session_factory

    return create_session_factory(create_engine(database_url))


def _check_answers(name: str, users: list[TelegramUser]) -> None:
    """Every answer is the list (or the echo), so the bench times the real work."""
    expected = f"共 {HOUSEHOLDS_EACH} 户" if name == "bangfu" else PRESS
    wrong = [m.text for user in users for m in user.messages if expected not in m.text]
    if wrong:
        raise SystemExit(f"{name} answered something else, e.g. {wrong[0]!r}")


async def run(database_url: str, rounds: int) -> int:
    engine = "SQLite" if database_url.startswith("sqlite") else "PostgreSQL"
    print(f"{PEOPLE} contact persons x {HOUSEHOLDS_EACH} households, {rounds} presses each")
    bangfu = await measure("bangfu", [database_url], rounds)
    print(bangfu.line() + f"  ({engine})")
    echo = await measure("echo", [], rounds)
    print(echo.line())
    ratio = bangfu.per_second / echo.per_second
    verdict = "ok" if ratio >= GOAL_RATIO and bangfu.cpu_ms <= GOAL_CPU_MS else "BELOW GOAL"
    print(
        f"ratio bangfu/echo: {ratio:.2f} (goal >= {GOAL_RATIO}); bangfu "
        f"{bangfu.cpu_ms:.2f} ms CPU/update (goal <= {GOAL_CPU_MS}), echo "
        f"{echo.cpu_ms:.2f}: {verdict}"
    )
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        logging.basicConfig(level=logging.WARNING)
        if sys.argv[2] == "bangfu":
            profile = os.environ.get("BENCH_PROFILE")  # cProfile of the timed presses
            if profile:
                import cProfile

                profiler = cProfile.Profile()
                signal.signal(signal.SIGUSR1, lambda *_: profiler.enable())
            try:
                asyncio.run(bangfu_child(sys.argv[3], sys.argv[4]))
            finally:
                if profile:
                    profiler.disable()
                    profiler.dump_stats(profile)
        else:
            asyncio.run(echo_child(sys.argv[3]))
        raise SystemExit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL database of the benchmark's own")
    parser.add_argument("--rounds", type=int, default=20, help="presses per person, timed")
    parser.add_argument("--workers", type=int, default=1, help="bot processes (webhook mode)")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if arguments.workers > 1:
        print(
            f"--workers {arguments.workers}: this benchmark drives polling, which serves one "
            "worker; posting the presses to webhook workers (bangfu run --webhook) is not in "
            "it yet, so one worker is measured"
        )
    with tempfile.TemporaryDirectory() as folder:
        url = fresh_database(arguments.database_url, Path(folder), "per_update")
        raise SystemExit(asyncio.run(run(url, arguments.rounds)))
