"""Benchmark: what one update costs bangfu, beside a bare aiogram echo bot on the same stand-in.

    .venv/bin/python -m bench.per_update                          # SQLite, 20 rounds
    .venv/bin/python -m bench.per_update --database-url postgresql://postgres@127.0.0.1/bench_perf11
    .venv/bin/python -m bench.per_update --database-url postgresql://postgres@127.0.0.1/bench_w \
        --redis-url redis://127.0.0.1:6379/6 --workers 3

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

`--workers N`: webhook mode instead of polling. The presses are posted as Telegram posts
updates (the secret header, at most 40 connections at once; a person's next press once the
last is answered 200, i.e. handled) to N worker processes sharing one
port (SO_REUSEPORT), bangfu's on PostgreSQL and Redis (bench/webhook_workers.py), the echo
bot's N aiogram webhook handlers; their answers go to the stand-in. CPU is the sum over the N
processes, memory is per worker. The stand-in and the posting run in this process and are
not counted, but they share the machine's cores with the workers.
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
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bench.processes import (
    Usage,
    cpu_between,
    cpu_of,
    engine_pids,
    fresh_database,
    py_spy,
    start_child,
    stop_child,
    usage,
)
from bench.sweep import households
from bench.webhook_workers import Door, forget, free_port, redis_prefix
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
    cpu: float  # all the bot's processes
    rss_mb: list[float]  # each process's
    engines: dict[str, float] = field(default_factory=dict)  # CPU s of PostgreSQL, Redis

    @property
    def per_second(self) -> float:
        return self.updates / self.seconds

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / self.updates

    def line(self) -> str:
        workers = f" x{len(self.rss_mb)}" if len(self.rss_mb) > 1 else ""
        rss = max(self.rss_mb)
        return (
            f"{self.bot + workers:>10}: {self.updates:,} updates in {self.seconds:6.2f} s = "
            f"{self.per_second:7.1f} updates/s, {self.cpu_ms:5.2f} ms CPU/update, "
            f"RSS {rss:5.0f} MB per process (largest)"
        )

    def engines_line(self) -> str:
        """What the engines every worker shares spent per update, and so how many updates/s
        one core of each would carry: where adding workers stops adding throughput. Redis's
        figure is the whole server's: other clients of it meanwhile count too."""
        if not self.engines:
            return ""
        spent = [(name, 1000 * cpu / self.updates) for name, cpu in self.engines.items()]
        per_update = ", ".join(f"{name} {ms:.2f} ms" for name, ms in spent)
        carried = ", ".join(f"{name} ~{1000 / ms:,.0f}" for name, ms in spent if ms > 0)
        return (
            f"{'':>10}  shared engines: {per_update} of CPU per update "
            f"(one core of each carries: {carried} updates/s)"
        )


@dataclass(frozen=True)
class Mode:
    """Polling (`workers` 0), or the presses posted to `workers` webhook processes."""

    database_url: str
    workers: int = 0
    redis_url: str | None = None
    port: int = 0
    prefix: str = field(default_factory=redis_prefix)

    def child(self, name: str, api_url: str) -> list[str]:
        """A bot process's arguments (`bench.per_update --child ...`)."""
        if not self.workers:
            return [name, *([self.database_url] if name == "bangfu" else []), api_url]
        shared = [api_url, str(self.port), self.database_url, self.redis_url or "", self.prefix]
        return [f"{name}-worker", *shared]


def settings_for(database_url: str, api_url: str, **extra: object) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,
        database_url=database_url,
        telegram_api_url=api_url,
        **extra,  # type: ignore[arg-type]
    )


def worker_settings(api_url: str, port: str, database_url: str, redis_url: str, prefix: str):  # type: ignore[no-untyped-def]
    return settings_for(
        database_url,
        api_url,
        redis_url=redis_url or None,
        redis_prefix=prefix,
        webhook_listen=f"127.0.0.1:{port}",
        nightly_backup=False,
    )


# The bots, each in a process of its own.


async def bangfu_child(database_url: str, api_url: str) -> None:
    from bot.cli import settle_start_up_objects
    from bot.telegram.app import build_app, build_bot, build_dispatcher, poll
    from tests.fast_clock import FastClock

    settle_start_up_objects()  # as `bangfu run` does before it starts
    settings = settings_for(database_url, api_url)
    app = build_app(settings, FrozenClock(TZ, MOMENT))
    bot = build_bot(settings, pacer=FastClock(PACE_FACTOR).pacer())
    try:
        await poll(build_dispatcher(app), bot, polling_timeout=2)  # as `bangfu run` polls
    finally:
        await bot.session.close()
        await app.close()


async def bangfu_worker(*arguments: str) -> None:
    """`bangfu run --webhook URL --worker`, with the benchmark's clock and a fast pacer."""
    from bench.webhook_workers import FastRedisPacer
    from bot.cli import settle_start_up_objects
    from bot.cli.workers_cmd import work
    from bot.telegram.shared_state import redis_client
    from bot.telegram.stopping import stop_on_signals
    from tests.fast_clock import FastClock

    settle_start_up_objects()  # as `bangfu run` does before it starts
    settings = worker_settings(*arguments)
    local = FastClock(PACE_FACTOR).pacer()
    pacer = FastRedisPacer(redis_client(settings), settings.redis_prefix, PACE_FACTOR, local)
    stop = asyncio.Event()
    with stop_on_signals(stop):
        url = f"http://{settings.webhook_listen}/telegram/updates"
        clock = FrozenClock(TZ, MOMENT)
        await work(settings, url, settings.webhook_listen, stop, clock, pacer)


def echo_bot(api_url: str):  # type: ignore[no-untyped-def]
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

    return bot, dispatcher


async def echo_child(api_url: str) -> None:
    bot, dispatcher = echo_bot(api_url)
    try:
        await dispatcher.start_polling(bot, polling_timeout=2)
    finally:
        await bot.session.close()


async def echo_worker(*arguments: str) -> None:
    from bench.webhook_workers import serve_echo

    settings = worker_settings(*arguments)
    bot, dispatcher = echo_bot(settings.telegram_api_url)
    url = f"http://{settings.webhook_listen}/telegram/updates"
    await serve_echo(dispatcher, bot, settings, url)


CHILDREN = {"bangfu-worker": bangfu_worker, "echo-worker": echo_worker}


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


async def measure(name: str, mode: Mode, rounds: int) -> Run:
    """One bot: start it, warm it up with a press each, then time `rounds` presses each."""
    async with FakeTelegram(now=lambda: MOMENT, unknown_chat_error=False) as telegram:
        users = [TelegramUser(telegram, f"联系人{n:02d}") for n in range(PEOPLE)]
        if name == "bangfu":
            app = App(
                settings=settings_for(mode.database_url, telegram.url),
                clock=FrozenClock(TZ, MOMENT),
                sessions=_sessions(mode.database_url),
            )
            await seed(app, users)
            await app.close()
        arguments = mode.child(name, telegram.url)
        children = [
            await start_child("bench.per_update", "--child", *arguments)
            for _worker in range(max(mode.workers, 1))
        ]
        door = Door(mode.port, settings_for(mode.database_url, telegram.url))
        try:
            if mode.workers:
                await door.open(mode.workers)
            else:
                await telegram.wait_until_polling(timeout=60)

            async def press_once() -> None:
                updates = [await user.send(PRESS, settle=False) for user in users]
                if mode.workers:
                    await door.post(updates)

            async def press_in_turn(user: TelegramUser) -> None:
                """As Telegram posts one chat's updates: the next once this one is handled."""
                for _round in range(rounds):
                    await door.post([await user.send(PRESS, settle=False)])

            await press_once()
            await telegram.wait_for_sends(PEOPLE, timeout=120)
            sent_before = len(telegram.sends)
            if name == "bangfu" and os.environ.get("BENCH_PROFILE"):
                children[0].send_signal(signal.SIGUSR1)
            spy = await py_spy(children[0].pid) if name == "bangfu" else None
            engines = (
                await engine_pids(mode.database_url, mode.redis_url) if name == "bangfu" else {}
            )
            engines_before = cpu_of(engines)
            before = [usage(child.pid) for child in children]
            started = time.monotonic()
            if mode.workers:
                await asyncio.gather(*(press_in_turn(user) for user in users))
            else:
                await asyncio.gather(*(press_once() for _round in range(rounds)))
            await telegram.wait_for_sends(sent_before + rounds * PEOPLE, timeout=600)
            seconds = time.monotonic() - started
            after = [usage(child.pid) for child in children]
            if engines:  # the pools may have opened backends meanwhile
                engines = await engine_pids(mode.database_url, mode.redis_url)
            engines_spent = cpu_between(engines_before, cpu_of(engines))
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                await spy.wait()
            _check_answers(name, users)
        finally:
            await door.close()
            for child in children:
                await stop_child(child)
            if mode.redis_url:
                await forget(mode.redis_url, mode.prefix)
    rss = [u.rss_mb for u in after]
    return Run(name, rounds * PEOPLE, seconds, _cpu(before, after), rss, engines_spent)


def _cpu(before: list[Usage], after: list[Usage]) -> float:
    return sum(late.cpu - early.cpu for early, late in zip(before, after, strict=True))


def _sessions(database_url: str):  # type: ignore[no-untyped-def]
    from bot.storage.db import create_engine, create_session_factory

    return create_session_factory(create_engine(database_url))


def _check_answers(name: str, users: list[TelegramUser]) -> None:
    """Every answer is the list (or the echo), so the bench times the real work."""
    expected = f"共 {HOUSEHOLDS_EACH} 户" if name == "bangfu" else PRESS
    wrong = [m.text for user in users for m in user.messages if expected not in m.text]
    if wrong:
        raise SystemExit(f"{name} answered something else, e.g. {wrong[0]!r}")


async def run(mode: Mode, rounds: int) -> int:
    engine = "SQLite" if mode.database_url.startswith("sqlite") else "PostgreSQL"
    how = f"posted to {mode.workers} webhook workers" if mode.workers else "polled"
    print(f"{PEOPLE} contact persons x {HOUSEHOLDS_EACH} households, {rounds} presses each, {how}")
    bangfu = await measure("bangfu", mode, rounds)
    print(bangfu.line() + f"  ({engine})")
    if bangfu.engines:
        print(bangfu.engines_line())
    echo = await measure("echo", mode, rounds)
    print(echo.line())
    ratio = bangfu.per_second / echo.per_second
    verdict = "ok" if ratio >= GOAL_RATIO and bangfu.cpu_ms <= GOAL_CPU_MS else "BELOW GOAL"
    print(
        f"ratio bangfu/echo: {ratio:.2f} (goal >= {GOAL_RATIO}); bangfu "
        f"{bangfu.cpu_ms:.2f} ms CPU/update (goal <= {GOAL_CPU_MS}), echo "
        f"{echo.cpu_ms:.2f}: {verdict}"
    )
    return 0


def child(name: str, arguments: list[str]) -> None:
    logging.basicConfig(level=logging.WARNING)
    bots = {"bangfu": bangfu_child, "echo": echo_child, **CHILDREN}
    profile = os.environ.get("BENCH_PROFILE") if name.startswith("bangfu") else None
    if not profile:
        asyncio.run(bots[name](*arguments))
        return
    import cProfile  # of the timed presses: the parent signals their start to one process

    profiler = cProfile.Profile()
    signalled: list[bool] = []

    def start_profiling(*_: object) -> None:
        signalled.append(True)
        profiler.enable()

    signal.signal(signal.SIGUSR1, start_profiling)
    try:
        asyncio.run(bots[name](*arguments))
    finally:
        profiler.disable()
        if signalled:  # the other workers' empty profiles would overwrite it
            profiler.dump_stats(profile)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], sys.argv[3:])
        raise SystemExit(0)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL database of the benchmark's own")
    parser.add_argument("--rounds", type=int, default=20, help="presses per person, timed")
    parser.add_argument(
        "--workers", type=int, default=0, help="N webhook workers (default: polling)"
    )
    parser.add_argument("--redis-url", help="Redis for the workers (needed for N > 1)")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if arguments.workers > 1 and not (arguments.database_url and arguments.redis_url):
        parser.error("--workers N > 1 needs --database-url (PostgreSQL) and --redis-url")
    with tempfile.TemporaryDirectory() as folder:
        url = fresh_database(arguments.database_url, Path(folder), "per_update")
        mode = Mode(url, arguments.workers, arguments.redis_url, free_port())
        raise SystemExit(asyncio.run(run(mode, arguments.rounds)))
