"""Simulation: the 20th's digest wave of a province on one installation with one bot per
county (docs/scale.md), against the Bot API stand-in, on one database.

    .venv/bin/python -m bench.province_wave                      # 10 counties, SQLite
    .venv/bin/python -m bench.province_wave --counties 100 --database-url postgresql://…/bench_wave

Each county has 300 contact persons and 10,000 households (33 each, as in a county of
the issue: a province of 100 counties is 1,000,000 households and 30,000 contact persons),
60% contacted this month before the 20th (bench/sweep.py makes the data). At 09:00 on the 20th
the real use case queues one digest per contact person in the one database. Then every county
has its own bot token: its own Bot, its own pacer (Telegram's ~30 messages/s is per bot) and its
own stand-in enforcing Telegram's limits for that token (429 when sent to too fast), and the
real outbox sender delivers that county's digests (a sender per token here, taking its
county's rows; the real renderer re-reads the database for each digest).

The pacers and the stand-ins run on the real clock by default; `--speed F` runs both on a
clock F times faster (as the e2e suite does; every Telegram limit still holds on it). All the
tokens share this one process's CPU, so the measured wave is CPU-bound here; the figures are:
- that nothing was refused (no 429), every digest was sent, and no token went over its limit;
- per token, the time Telegram's limit needs for its digests (the pacer's 28.5 a second);
- the CPU the senders used per digest (this process), and from it how long a province's wave
  takes when CPU is the limit, on `--cores` worker cores;
- the longer of the two, for a province of 100 counties (30,000 digests), against the morning
  (09:00 to 12:00). The province is extrapolated from the counties simulated, stated so.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from aiogram import Bot
from sqlalchemy import select

from bench.processes import fresh_database
from bench.sweep import HOUSEHOLDS_PER_PERSON, MOMENT, MONTH, TZ, fill
from bot.clock import FrozenClock
from bot.config import Settings
from bot.core.coverage import reminders
from bot.core.delivery.outbox import OutboxStatus
from bot.storage.db import create_engine, create_session_factory
from bot.storage.models import OutboxMessage, Person
from bot.storage.uow import App
from bot.telegram.app import build_bot
from bot.telegram.pacing import OVERALL_PER_SECOND, Priority
from scheduler.sender import OutboxSender
from tests.fast_clock import FastClock
from tests.telegram_api import FakeTelegram

PERSONS_PER_COUNTY = 300
HOUSEHOLDS_PER_COUNTY = 10_000
MORNING_SECONDS = 3 * 3600  # 09:00 to 12:00
PROVINCE_PERSONS = 30_000
PROVINCE_COUNTIES = 100


class CountySender(OutboxSender):
    """The real sender, taking only its county's rows: in the installation each county's rows
    go to that county's bot; here the bench says which rows those are (the other counties'
    recipients are lanes this sender leaves alone)."""

    def __init__(self, app: App, bot: Bot, others: set[str]) -> None:
        super().__init__(app, bot)
        self.others = others

    async def _due(self, taken: set[int], busy_lanes: set[str]) -> list[tuple[int, str]]:
        return await super()._due(taken, busy_lanes | self.others)


async def county_recipients(app: App, counties: int) -> list[list[str]]:
    """Each county's contact persons as outbox recipients (villages numbered county by county)."""
    villages_per_county = HOUSEHOLDS_PER_COUNTY // 200
    by_county: list[list[str]] = [[] for _ in range(counties)]
    async with app.uow() as uow:
        for person_id, village_id in await uow.session.execute(
            select(Person.id, Person.village_id)
        ):
            county = min((village_id - 1) // villages_per_county, counties - 1)
            by_county[county].append(f"person:{person_id}")
    return by_county


async def simulate(database_url: str, counties: int, speed: float, cores: int) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_url=database_url, bot_token="1:x", telegram_api_url="http://x"
    )
    app = App(
        settings, FrozenClock(TZ, MOMENT), create_session_factory(create_engine(database_url))
    )
    households = counties * HOUSEHOLDS_PER_COUNTY
    filled = await fill(app, households)
    async with app.uow() as uow:
        queued = await reminders.queue_contact_digests(uow, settings, MONTH, "d20")
        await uow.commit()
    print(
        f"{counties} counties: {households:,} households, "
        f"{households // HOUSEHOLDS_PER_PERSON:,} contact persons (generated in {filled:.0f} s); "
        f"{queued:,} digests queued at 09:00 on the 20th"
    )
    clock = FastClock(speed)
    stand_ins, senders = [], []
    by_county = await county_recipients(app, counties)
    everyone = {recipient for recipients in by_county for recipient in recipients}
    for county, recipients in enumerate(by_county):
        telegram = await FakeTelegram(now=lambda: MOMENT, unknown_chat_error=False).start()
        clock.enforce_limits(telegram)
        token = f"{7_000_000 + county}:county-{county}"
        county_settings = settings.model_copy(
            update={"bot_token": token, "telegram_api_url": telegram.url}
        )
        bot = build_bot(county_settings, pacer=clock.pacer())
        sender = CountySender(app, bot, everyone - set(recipients))
        sender.pacer.reopen(Priority.BACKGROUND)
        stand_ins.append(telegram)
        senders.append(sender)
    cpu_before, started = time.process_time(), time.monotonic()
    try:
        await asyncio.gather(*(sender.drain_once() for sender in senders))
    finally:
        for sender in senders:
            await sender.bot.session.close()
        for telegram in stand_ins:
            await telegram.stop()
    cpu = time.process_time() - cpu_before
    wall = time.monotonic() - started
    await report(app, stand_ins, queued, cpu, wall, speed, cores, counties)
    await app.close()


async def report(app, stand_ins, queued, cpu, wall, speed, cores, counties) -> None:  # type: ignore[no-untyped-def]
    async with app.uow() as uow:
        statuses = list((await uow.session.execute(select(OutboxMessage.status))).scalars())
    sent = statuses.count(OutboxStatus.SENT)
    lengths = [_length(telegram) for telegram in stand_ins]
    per_token = max(len(telegram.sends) for telegram in stand_ins)
    fastest = max(telegram.max_per_second() for telegram in stand_ins)
    too_fast = sum(telegram.retry_after_count for telegram in stand_ins)
    per_digest = cpu / max(1, sent)
    print(
        f"  sent {sent:,} of {queued:,}; 429s: {too_fast}; "
        f"most sends in a second on a token: {fastest}"
    )
    print(
        f"  per token: up to {per_token} digests, which Telegram's limit lets out in "
        f"{per_token / OVERALL_PER_SECOND:.0f} s; first to last send took {max(lengths):.0f} s "
        f"on the {'virtual ' if speed != 1 else ''}clock (this process's CPU shared by "
        f"{counties} tokens)"
    )
    print(
        f"  CPU: {cpu:.1f} s for {sent:,} digests = {1000 * per_digest:.1f} ms each "
        f"(wall {wall:.0f} s)"
    )
    telegram_bound = PROVINCE_PERSONS / PROVINCE_COUNTIES / OVERALL_PER_SECOND
    cpu_bound = per_digest * PROVINCE_PERSONS / cores
    finish = max(telegram_bound, cpu_bound)
    out_by = (MOMENT + timedelta(seconds=finish)).strftime("%H:%M")
    verdict = "within" if finish < MORNING_SECONDS else "NOT within"
    print(
        f"  a province ({PROVINCE_PERSONS:,} digests, {PROVINCE_COUNTIES} county bots): "
        f"Telegram-bound {telegram_bound / 60:.1f} min, CPU-bound on {cores} cores "
        f"{cpu_bound / 60:.1f} min: the last digest is out by {out_by} ({verdict} the "
        "morning, 09:00-12:00)"
    )


def _length(telegram: FakeTelegram) -> float:
    times = [send.at for send in telegram.sends]
    return max(times) - min(times) if times else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--counties", type=int, default=10)
    parser.add_argument("--database-url", help="a PostgreSQL database of the benchmark's own")
    parser.add_argument("--speed", type=float, default=1.0, help="virtual clock speed-up")
    parser.add_argument("--cores", type=int, default=2, help="worker cores for the CPU bound")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        database_url = fresh_database(arguments.database_url, Path(folder), "province_wave")
        asyncio.run(simulate(database_url, arguments.counties, arguments.speed, arguments.cores))


if __name__ == "__main__":
    main()
