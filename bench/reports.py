"""Benchmark: the monthly coverage summary and the six forms on a county-size data set.

    .venv/bin/python -m bench.reports                   # a temporary SQLite file
    .venv/bin/python -m bench.reports --database-url postgresql://postgres@127.0.0.1/bench

Generates 20 towns' worth of data (250 villages, 50,000 households, 3,000 contact persons,
600,000 contacts over the year to February 2026, red flags, reassignments, withdrawn and
backdated contacts) with bulk inserts, then measures, each in a fresh process so that the peak
memory is the measurement's own:
- one town's month (13 villages, ~2,600 households): summary + text, chart and workbook, and
  the six forms for each of its villages;
- the whole county's month: the same over all 250 villages.
Goals (issue 4): a town under 2 s and 300 MB, the county under 20 s.
A PostgreSQL database given with --database-url must be empty: the script creates the schema.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text

from bot.clock import FrozenClock, Month
from bot.config import Settings, normalise_database_url
from bot.core.coverage.month_coverage import coverage_for_month
from bot.core.policy import CLI_OPERATOR
from bot.core.reports.summaries import summary_for_month
from bot.documents.forms import export_forms
from bot.documents.summary_report import render_report
from bot.storage.migrate import upgrade
from bot.storage.models import Assignment, Contact, Household, Person, RedFlag, Village
from bot.storage.uow import App
from bot.telegram.app import build_app

TZ = ZoneInfo("Asia/Shanghai")
MONTH = Month(2026, 2)
YEAR = [Month(2025, 3)]
while len(YEAR) < 12:
    YEAR.append(YEAR[-1].next())
TOWNS, VILLAGES, HOUSEHOLDS, PEOPLE = 20, 250, 50_000, 3_000
CHANNELS = (["home_visit"] * 9) + (["phone"] * 6) + (["wechat"] * 3) + ["sms", "video"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["桂英", "秀兰", "建国", "德明", "玉珍", "志强", "家富", "春花", "长林", "金山"]
BATCH = 20_000


def local(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ).astimezone(UTC)


def town_villages(town: int) -> list[int]:
    """Village ids of one town: towns take 12 or 13 of the 250 villages each."""
    return [v for v in range(1, VILLAGES + 1) if (v - 1) * TOWNS // VILLAGES == town]


def generate(rng: random.Random) -> dict[Any, list[dict[str, Any]]]:
    created = local(date(2025, 1, 1))
    rows: dict[Any, list[dict[str, Any]]] = {
        Village: [{"id": v, "name": f"第{v:03d}村"} for v in range(1, VILLAGES + 1)],
        Person: [],
        Household: [],
        Assignment: [],
        Contact: [],
        RedFlag: [],
    }
    for p in range(1, PEOPLE + 1):
        rows[Person].append(
            {
                "id": p,
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "phone": f"139{p:08d}",
                "role": "contact",
                "village_id": (p - 1) * VILLAGES // PEOPLE + 1,
                "active": True,
                "unreachable_since": created if p % 97 == 0 else None,
                "created_at": created,
            }
        )
    for h in range(1, HOUSEHOLDS + 1):
        village = (h - 1) * VILLAGES // HOUSEHOLDS + 1
        rows[Household].append(
            {
                "id": h,
                "number": f"3415{h:012d}",
                "village_id": village,
                "group_name": f"{rng.randint(1, 8)}组",
                "head_name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                "id_number": f"341523{1950 + h % 50}0101{h % 1000:03d}X",
                "phone": f"138{h:08d}",
                "members": rng.randint(1, 6),
                "category": rng.choices(
                    ["marginal", "lifted_monitored", "lifted_policy", "lifted_no_policy"],
                    [3, 2, 3, 2],
                )[0],
                "income": Decimal(rng.randint(3000, 20000)),
                "income_measured_on": date(2025, 12, 31),
                "risk_types": rng.sample(["01", "03", "04", "0201", "09"], rng.randint(0, 2)),
                "status": rng.choices(["monitored", "risk_removed", "adjusted_out"], [94, 3, 3])[0],
                "created_at": created,
                "updated_at": created,
            }
        )
        person = _assign(rows[Assignment], rng, h, village, created)
        _contacts(rows[Contact], rng, h, person)
        if rng.random() < 0.05:
            _flag(rows[RedFlag], rng, h)
    return rows


def _person_in(rng: random.Random, village: int) -> int:
    first = (village - 1) * PEOPLE // VILLAGES + 1
    last = village * PEOPLE // VILLAGES
    return rng.randint(first, last)


def _assign(
    rows: list[dict[str, Any]], rng: random.Random, h: int, village: int, created: datetime
) -> int:
    person, ended = _person_in(rng, village), None
    if rng.random() < 0.05:  # reassigned (or left without anyone) some day in the year
        ended = local(date(2025, 3, 1) + timedelta(days=rng.randint(0, 364)))
    rows.append({"household_id": h, "person_id": person, "started_at": created, "ended_at": ended})
    if ended is not None and rng.random() < 0.8:
        person = _person_in(rng, village)
        rows.append({"household_id": h, "person_id": person, "started_at": ended, "ended_at": None})
    return person


def _contacts(rows: list[dict[str, Any]], rng: random.Random, h: int, person: int) -> None:
    for month in YEAR:
        for _ in range(rng.choices([0, 1, 2], [10, 80, 10])[0]):
            day = month.first_day + timedelta(days=rng.randint(0, month.last_day.day - 1))
            late = timedelta(days=rng.randint(1, 20)) if rng.random() < 0.1 else timedelta()
            rows.append(
                {
                    "household_id": h,
                    "person_id": person,
                    "occurred_on": day,
                    "entered_at": local(day, 18) + late,
                    "channel": rng.choice(CHANNELS),
                    "problems": ["housing"] if rng.random() < 0.03 else [],
                    "events": [],
                    "status": "withdrawn" if rng.random() < 0.03 else "active",
                    "draft_key": f"bench-{h}-{len(rows)}",
                }
            )


def _flag(rows: list[dict[str, Any]], rng: random.Random, h: int) -> None:
    raised = local(date(2025, 3, 1) + timedelta(days=rng.randint(0, 364)), 9)
    acknowledged = raised + timedelta(hours=rng.randint(1, 60))
    closed = acknowledged + timedelta(days=rng.randint(5, 60)) if rng.random() < 0.6 else None
    rows.append(
        {
            "household_id": h,
            "source": "platform",
            "reason": "省平台红色预警",
            "status": "closed" if closed else "acknowledged",
            "raised_at": raised,
            "acknowledged_at": acknowledged,
            "deadline": (acknowledged + timedelta(days=30)).date(),
            "closed_at": closed,
        }
    )


async def load(url: str) -> dict[str, int]:
    upgrade(url)
    app = build_app(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    try:
        async with app.sessions() as session:
            if (await session.execute(select(func.count(Village.id)))).scalar_one():
                raise SystemExit("The database is not empty: give an empty one.")
        rows = generate(random.Random(2026))
        async with app.sessions.kw["bind"].begin() as connection:
            for model, table_rows in rows.items():
                for start in range(0, len(table_rows), BATCH):
                    await connection.execute(
                        insert(model.__table__), table_rows[start : start + BATCH]
                    )
            await connection.execute(text("ANALYZE"))
        return {model.__tablename__: len(table_rows) for model, table_rows in rows.items()}
    finally:
        await app.close()


async def measure(url: str, scope: str, out: Path) -> dict[str, Any]:
    """One town's or the county's month: summary, its three renderings, the forms."""
    at = datetime(2026, 3, 1, 8, 0, tzinfo=TZ)
    app = build_app(Settings(_env_file=None, database_url=url), FrozenClock(TZ, at))  # type: ignore[call-arg]
    baseline = _peak_mb()
    cpu = time.process_time()
    try:
        start = time.perf_counter()
        if scope == "town":
            villages = town_villages(0)
            summary = await coverage_for_month(app, CLI_OPERATOR, MONTH, village_ids=villages)
        else:
            summary = await summary_for_month(app, CLI_OPERATOR, MONTH)
        computed = time.perf_counter()
        render_report(summary, TZ).write(out)
        rendered = time.perf_counter()
        files = await _forms(app, scope, out / "forms")
        done = time.perf_counter()
    finally:
        await app.close()
    return {
        "scope": scope,
        "villages": len(summary.villages),
        "households": summary.town.households,
        "contacted": summary.town.contacted,
        "summary_s": round(computed - start, 2),
        "render_s": round(rendered - computed, 2),
        "forms_s": round(done - rendered, 2),
        "form_files": files,
        "total_s": round(done - start, 2),
        "cpu_s": round(time.process_time() - cpu, 2),  # wall time suffers on a shared machine
        "peak_rss_mb": round(_peak_mb()),
        "rss_after_imports_mb": round(baseline),
    }


async def _forms(app: App, scope: str, out: Path) -> int:
    if scope == "county":
        return len(await export_forms(app, CLI_OPERATOR, out_dir=out))
    async with app.sessions() as session:
        query = select(Village.name).where(Village.id.in_(town_villages(0)))
        names = (await session.execute(query)).scalars().all()
    return sum([len(await export_forms(app, CLI_OPERATOR, n, out_dir=out)) for n in names])


def _peak_mb() -> float:
    """This process's own peak resident memory. VmHWM, not ru_maxrss: on Linux ru_maxrss keeps
    the parent's peak across fork and exec, which would count the data generation."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _run_measurement(url: str, scope: str, out: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.reports", "--measure", scope, "--out", str(out)]
    result = subprocess.run(
        [*command, "--database-url", url],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="an empty database (default: temporary SQLite)")
    parser.add_argument("--measure", choices=["town", "county"], help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bangfu-bench-") as folder:
        url = normalise_database_url(args.database_url or f"sqlite:///{folder}/county.sqlite3")
        if args.measure:
            print(json.dumps(asyncio.run(measure(url, args.measure, args.out or Path(folder)))))
            return
        started = time.perf_counter()
        counts = asyncio.run(load(url))
        print(f"generated {counts} in {time.perf_counter() - started:.1f} s", flush=True)
        for scope in ("town", "county"):
            print(json.dumps(_run_measurement(url, scope, Path(folder) / scope)), flush=True)


if __name__ == "__main__":
    main()
