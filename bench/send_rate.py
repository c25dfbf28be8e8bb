"""Benchmark: how fast the outbox sender drains a month-end wave of reminders.

    .venv/bin/python -m bench.send_rate              # 1,000 then 10,000 reminders
    .venv/bin/python -m bench.send_rate --n 2000     # one wave of 2,000

For each N: a temporary SQLite database with N contact persons, one uncontacted household
each; the 20th's digest job queues N reminders through the real outbox; the real sender
drains them into the Bot API stand-in (tests/telegram_api), started in this process with
Telegram's flood limits enforced (it answers 429 when sent to too fast). Prints the sustained
send rate, the most sends in any one second, the 429s and the elapsed time.
Goal (issue 3): at least 28 messages/s sustained, zero 429s.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from bot.clock import FrozenClock, Month
from bot.config import Settings
from bot.core.coverage import reminders
from bot.domain.model import Category, Role
from bot.storage.migrate import upgrade
from bot.storage.models import Assignment, Household, Person, Village
from bot.storage.uow import App
from bot.telegram.app import build_app, build_bot
from scheduler.sender import OutboxSender
from tests.telegram_api import FakeTelegram

TZ = ZoneInfo("Asia/Shanghai")
# The 20th at 09:00, when the first digests of the month go out (outside quiet hours).
MOMENT = datetime(2026, 3, 20, 9, 0, tzinfo=TZ)
FIRST_CHAT = 500_000_001
GOAL_RATE = 28.0


@dataclass(frozen=True)
class Result:
    n: int
    queued: int
    sent: int
    elapsed: float  # seconds from the sender's start to the last row settled
    sustained: float  # sends per second between the first and the last send
    peak: int  # most sends in any one-second window, as the stand-in saw them
    retry_after: int  # 429 answers
    peak_per_chat: int

    def line(self) -> str:
        verdict = "ok" if self.sustained >= GOAL_RATE and self.retry_after == 0 else "BELOW GOAL"
        return (
            f"{self.n:>7,} reminders  sent {self.sent:>7,}  in {self.elapsed:7.1f} s  "
            f"sustained {self.sustained:5.1f} msg/s  peak {self.peak:>2}/s  "
            f"per chat {self.peak_per_chat}/s  429s {self.retry_after}  [{verdict}]"
        )


async def seed(app: App, n: int) -> None:
    """N contact persons, each holding one monitored household, in one village."""
    now = app.clock.now()
    async with app.uow() as uow:
        village = Village(name="大河村")
        uow.session.add(village)
        await uow.session.flush()
        await uow.session.execute(
            insert(Person),
            [
                {
                    "name": f"联系人{i:05d}",
                    "role": Role.CONTACT,
                    "village_id": village.id,
                    "telegram_user_id": FIRST_CHAT + i,
                    "active": True,
                    "created_at": now,
                }
                for i in range(n)
            ],
        )
        await uow.session.execute(
            insert(Household),
            [
                {
                    "number": f"B{i:08d}",
                    "village_id": village.id,
                    "group_name": f"{1 + i % 9}组",
                    "head_name": f"农户{i:05d}",
                    "id_number": f"3415231970{i:08d}",
                    "members": 3,
                    "category": Category.MARGINAL,
                    "risk_types": [],
                    "status": "monitored",
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(n)
            ],
        )
        people = (await uow.session.execute(select(Person.id).order_by(Person.id))).scalars()
        households = (
            await uow.session.execute(select(Household.id).order_by(Household.id))
        ).scalars()
        await uow.session.execute(
            insert(Assignment),
            [
                {"household_id": household, "person_id": person, "started_at": now}
                for person, household in zip(list(people), list(households), strict=True)
            ],
        )
        await uow.commit()


async def run_wave(n: int, folder: Path) -> Result:
    async with FakeTelegram(enforce_limits=True, unknown_chat_error=False) as telegram:
        url = f"sqlite+aiosqlite:///{folder / f'wave-{n}.sqlite3'}"
        upgrade(url)
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token="123456:BENCH",
            database_url=url,
            telegram_api_url=telegram.url,
        )
        app = build_app(settings, FrozenClock(TZ, MOMENT))
        bot = build_bot(settings)
        try:
            await seed(app, n)
            async with app.uow() as uow:
                queued = await reminders.queue_contact_digests(
                    uow, settings, Month.of(MOMENT.date()), "d20"
                )
                await uow.commit()
            started = time.monotonic()
            await OutboxSender(app, bot).drain_once()
            elapsed = time.monotonic() - started
        finally:
            await bot.session.close()
            await app.close()
        sends = telegram.sends
        span = sends[-1].at - sends[0].at if len(sends) > 1 else 0.0
        return Result(
            n=n,
            queued=queued,
            sent=len(sends),
            elapsed=elapsed,
            sustained=(len(sends) - 1) / span if span else 0.0,
            peak=telegram.max_per_second(),
            retry_after=telegram.retry_after_count,
            peak_per_chat=telegram.max_per_chat_per_second(),
        )


async def main(sizes: list[int]) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    print(f"Outbox sender against the Bot API stand-in, limits enforced (goal ≥ {GOAL_RATE}/s)")
    below_goal = False
    with tempfile.TemporaryDirectory(prefix="bangfu-send-rate-") as folder:
        for n in sizes:
            result = await run_wave(n, Path(folder))
            print(result.line(), flush=True)
            below_goal |= result.sustained < GOAL_RATE or result.retry_after > 0
            below_goal |= result.sent != result.queued
    return 1 if below_goal else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--n",
        type=int,
        action="append",
        help="reminders in a wave; repeat for several waves (default: 1000 and 10000)",
    )
    arguments = parser.parse_args()
    raise SystemExit(asyncio.run(main(arguments.n or [1000, 10_000])))
