"""Benchmark: importing a 100,000-row roster, all or nothing, in one transaction.

    .venv/bin/python -m bench.big_roster                       # a temporary SQLite file
    .venv/bin/python -m bench.big_roster --database-url postgresql://postgres@127.0.0.1/bench

Writes a CSV roster of --rows households (short values in every column: the size of the file
is not what is measured) in 13 villages with 600 contact persons, imports it into an empty
database, then imports it again (every household known: the update path). PostgreSQL takes
at most 32,767 values in one query; the import looks households up IMPORT_BATCH_SIZE at a time,
so this works at any size (tests/unit/test_large_imports.py checks the batching itself).
A PostgreSQL database given with --database-url must be empty: the script creates the schema.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import func, select

from bot.config import Settings, normalise_database_url
from bot.core.policy import CLI_OPERATOR
from bot.core.roster.columns import HEADERS
from bot.core.roster.importing import import_roster
from bot.documents.roster_sheet import read_roster
from bot.domain.validation import id_check_character
from bot.storage.migrate import upgrade
from bot.storage.models import Assignment, Household
from bot.telegram.app import build_app

VILLAGES, CONTACT_PERSONS = 13, 600


def write_roster(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADERS)
        for serial in range(rows):
            born = date(1950, 1, 1) + timedelta(days=serial // 1000)  # a unique ID number each
            body = f"341525{born:%Y%m%d}{serial % 1000:03d}"
            person = serial % CONTACT_PERSONS
            writer.writerow(
                [
                    f"村{serial % VILLAGES}",
                    "",
                    f"{serial:09d}",
                    f"户{serial}",
                    body + id_check_character(body),
                    "",
                    "3",
                    "边缘户",
                    "",
                    "",
                    f"人{person}",
                    f"139{person:08d}",
                ]
            )


async def run(url: str, rows: int, folder: Path) -> None:
    roster = folder / "roster.csv"
    write_roster(roster, rows)
    upgrade(url)
    app = build_app(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    try:
        for attempt in ("first import", "again (all known)"):
            started = time.perf_counter()
            report = await import_roster(app, CLI_OPERATOR, read_roster(roster))
            elapsed = time.perf_counter() - started
            print(
                f"{attempt}: {elapsed:.1f} s, {report.created} created, "
                f"{report.unchanged} unchanged, {report.contact_persons_created} contact persons"
            )
        async with app.uow() as uow:
            households = (await uow.session.execute(select(func.count(Household.id)))).scalar()
            assigned = (await uow.session.execute(select(func.count(Assignment.id)))).scalar()
        print(f"households: {households}, assignments: {assigned}")
    finally:
        await app.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="an empty database (default: temporary SQLite)")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bangfu-bench-") as folder:
        url = normalise_database_url(
            args.database_url or f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        )
        asyncio.run(run(url, args.rows, Path(folder)))


if __name__ == "__main__":
    main()
