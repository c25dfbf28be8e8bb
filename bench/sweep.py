"""Benchmark: the month's reminder sweep (who is still uncontacted, one digest queued per
contact person) for a county and for a province's worth of households.

    .venv/bin/python -m bench.sweep --database-url postgresql://postgres@127.0.0.1/bench_perf11
    .venv/bin/python -m bench.sweep --database-url URL --households 50000
    .venv/bin/python -m bench.sweep --households 50000            # SQLite, a temporary file

For each size N (default: 50,000 then 1,000,000 households): the database named is dropped and
created again, migrated, then filled in bulk (PostgreSQL: COPY; SQLite: executemany) with N
monitored households in N/200 villages, one contact person per 33 households (1,500 for a
county, 30,000 for a province), every household contacted last month and 60% of them this
month before the 20th. Then, on the 20th at 09:00, the 20th's job runs the real use case
(`queue_contact_digests`: who is uncontacted, one outbox row per contact person) in one
transaction, timed; and it runs again, timed, queuing nothing (the catch-up after a restart).
Prints seconds, digests queued, households left, and this process's peak memory.
Goal (issue 11): under 10 s for 1,000,000 households on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from bench.processes import fresh_database
from bot.clock import FrozenClock, Month
from bot.config import Settings
from bot.core.coverage import reminders
from bot.core.coverage.progress import contacted_in
from bot.storage.batches import batches
from bot.storage.db import create_engine, create_session_factory
from bot.storage.models import (
    FIRST_TOWN_ID,
    Assignment,
    Contact,
    Household,
    OutboxMessage,
    Person,
    Village,
)
from bot.storage.uow import App

TZ = ZoneInfo("Asia/Shanghai")
MOMENT = datetime(2026, 3, 20, 9, 0, tzinfo=TZ)
MONTH = Month(2026, 3)
HOUSEHOLDS_PER_VILLAGE = 200
HOUSEHOLDS_PER_PERSON = 33
CONTACTED_SHARE = 0.6
GOAL_SECONDS = 10.0
BATCH = 50_000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "桂英秀兰建国志强丽华春梅德明玉珍海燕永福金凤"


def _name(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n // 20) % len(GIVEN)] + GIVEN[(n // 7) % 16]


def villages(n: int) -> Iterator[dict[str, Any]]:
    for village in range(max(1, n // HOUSEHOLDS_PER_VILLAGE)):
        yield {"id": village + 1, "name": f"第{village + 1}村", "town_id": FIRST_TOWN_ID}


def people(n: int, now: datetime) -> Iterator[dict[str, Any]]:
    village_count = max(1, n // HOUSEHOLDS_PER_VILLAGE)
    for person in range(max(1, n // HOUSEHOLDS_PER_PERSON)):
        village = person * HOUSEHOLDS_PER_PERSON // HOUSEHOLDS_PER_VILLAGE
        yield {
            "id": person + 1,
            "name": _name(person + 7),
            "role": "contact",
            "village_id": min(village, village_count - 1) + 1,
            "telegram_user_id": 800_000_000 + person,
            "active": True,
            "created_at": now,
        }


def households(n: int, now: datetime) -> Iterator[dict[str, Any]]:
    village_count = max(1, n // HOUSEHOLDS_PER_VILLAGE)
    for household in range(n):
        yield {
            "id": household + 1,
            "number": f"H{household:09d}",
            "village_id": min(household // HOUSEHOLDS_PER_VILLAGE, village_count - 1) + 1,
            "group_name": f"{household % 9 + 1}组",
            "head_name": _name(household),
            "id_number": f"3415231970{household:08d}",
            "members": 3,
            "category": "marginal",
            "risk_types": [],
            "status": "monitored",
            "created_at": now,
            "updated_at": now,
        }


def assignments(n: int, now: datetime) -> Iterator[dict[str, Any]]:
    last_person = max(1, n // HOUSEHOLDS_PER_PERSON)
    for household in range(n):
        yield {
            "id": household + 1,
            "household_id": household + 1,
            "person_id": min(household // HOUSEHOLDS_PER_PERSON, last_person - 1) + 1,
            "started_at": now,
        }


def contacts(n: int, now: datetime) -> Iterator[dict[str, Any]]:
    """Last month for every household; this month for 60% of them, spread over the 1st-19th."""
    last_person = max(1, n // HOUSEHOLDS_PER_PERSON)
    row = 0
    for household in range(n):
        person = min(household // HOUSEHOLDS_PER_PERSON, last_person - 1) + 1
        days = [date(2026, 2, 1 + household % 28)]
        if (household * 7919) % 100 < CONTACTED_SHARE * 100:
            days.append(date(2026, 3, 1 + household % 19))
        for day in days:
            row += 1
            yield {
                "id": row,
                "household_id": household + 1,
                "person_id": person,
                "occurred_on": day,
                "entered_at": now,
                "channel": "phone",
                "problems": [],
                "events": [],
                "status": "active",
                "draft_key": f"bench-{row}",
            }


async def fill(app: App, n: int) -> float:
    started = time.monotonic()
    now = (MOMENT - timedelta(days=60)).astimezone(UTC)
    tables = (
        (Village, villages(n)),
        (Person, people(n, now)),
        (Household, households(n, now)),
        (Assignment, assignments(n, now)),
        (Contact, contacts(n, now)),
    )
    engine = app.sessions.kw["bind"]
    async with engine.begin() as connection:
        postgres = connection.dialect.name == "postgresql"
        raw = (await connection.get_raw_connection()).driver_connection if postgres else None
        for model, rows in tables:
            for batch in batches(rows, BATCH):
                if raw is not None:
                    await _copy(raw, model, batch)
                else:
                    await connection.execute(insert(model), batch)
        if raw is not None:
            for model, _rows in tables:
                table = model.__tablename__
                await raw.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
    if postgres:
        # Settled as a database in service is: no autovacuum of the fresh rows mid-measurement.
        async with engine.connect() as connection:
            raw = (await connection.get_raw_connection()).driver_connection
            await raw.execute("VACUUM ANALYZE")
    return time.monotonic() - started


async def _copy(raw: Any, model: type, batch: list[dict[str, Any]]) -> None:
    """COPY, with values as PostgreSQL takes them: UTC timestamps without zone, JSON text."""
    columns = list(batch[0])
    records = [tuple(_pg(row[column]) for column in columns) for row in batch]
    await raw.copy_records_to_table(model.__tablename__, records=records, columns=columns)  # type: ignore[attr-defined]


def _pg(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, list):
        return json.dumps(value)
    return value


async def sweep(app: App) -> tuple[float, int]:
    started = time.monotonic()
    async with app.uow() as uow:
        queued = await reminders.queue_contact_digests(uow, app.settings, MONTH, "d20")
        await uow.commit()
    return time.monotonic() - started, queued


async def measure(database_url: str, n: int) -> None:
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    app = App(
        settings, FrozenClock(TZ, MOMENT), create_session_factory(create_engine(database_url))
    )
    try:
        filled = await fill(app, n)
        async with app.uow() as uow:
            uncontacted = select(func.count(Household.id)).where(~contacted_in(MONTH))
            left = (await uow.session.execute(uncontacted)).scalar()
            contacts_stored = (await uow.session.execute(select(func.count(Contact.id)))).scalar()
        print(
            f"{n:>9,} households, {max(1, n // HOUSEHOLDS_PER_PERSON):,} contact persons, "
            f"{contacts_stored:,} contacts: generated in {filled:.1f} s; {left:,} uncontacted"
        )
        seconds, queued = await sweep(app)
        again, requeued = await sweep(app)
        async with app.uow() as uow:
            rows = (await uow.session.execute(select(func.count(OutboxMessage.id)))).scalar()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        verdict = "ok" if seconds < GOAL_SECONDS else "OVER GOAL"
        print(
            f"    sweep: {seconds:6.2f} s, {queued:,} digests queued ({rows:,} outbox rows); "
            f"again: {again:.2f} s, {requeued} queued; peak memory {peak:.0f} MB: {verdict}"
        )
    finally:
        await app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL database of the benchmark's own")
    parser.add_argument("--households", type=int, action="append", help="N (repeatable)")
    arguments = parser.parse_args()
    sizes = arguments.households or [50_000, 1_000_000]
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            database_url = fresh_database(arguments.database_url, Path(folder), f"sweep_{n}")
            asyncio.run(measure(database_url, n))


if __name__ == "__main__":
    main()
