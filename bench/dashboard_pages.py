"""Benchmark: every page of the office dashboard on a county-size installation, as the county
office reads them (the whole county: 250 villages, 50,000 households, 3,000 contact persons).
Prints numbers; asserts nothing. bench.dashboard times the overview alone, in more cases.

    .venv/bin/python -m bench.dashboard_pages                  # a temporary SQLite file
    .venv/bin/python -m bench.dashboard_pages --database-url URL [--loaded]

Loads bench.reports' data set (unless --loaded), signs a county office person in by a /web
link and times each page twice through the real aiohttp application on 27 February 2026: the
first request (nothing cached in the process) and the one right after it.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import datetime

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bench.reports import MONTH, TZ, load
from bot.cli import settle_start_up_objects
from bot.clock import FrozenClock
from bot.config import Settings, normalise_database_url
from bot.core.policy import Actor
from bot.core.signin.sessions import issue_link
from bot.domain.model import Role
from bot.storage.models import Person
from bot.storage.uow import App
from bot.telegram.app import build_app
from bot.web.server import build_web_app

PAGES = (
    ("overview", f"/web/?month={MONTH}"),
    ("people", f"/web/people?month={MONTH}"),
    ("households, not contacted", f"/web/households?month={MONTH}&contacted=no"),
    ("households, a name", "/web/households?q=王桂"),
    ("households, 户编号", "/web/households?q=3415000000012345"),
    ("flags board", "/web/flags"),
    ("a household", "/web/households/12345"),
    ("reports", f"/web/reports?month={MONTH}"),
)


async def _county_office(app_url: str, clock: FrozenClock) -> tuple[App, Actor]:
    settings = Settings(_env_file=None, database_url=app_url, bot_token="1:BENCH")  # type: ignore[call-arg]
    app = build_app(settings, clock)
    async with app.uow() as uow:
        # bench.reports writes its ids itself (PostgreSQL's sequence is not advanced).
        last = await uow.session.scalar(select(func.max(Person.id)))
        clerk = Person(
            id=(last or 0) + 1,
            name="县办",
            role=Role.COUNTY_OFFICE,
            active=True,
            created_at=clock.now(),
        )
        uow.session.add(clerk)
        await uow.commit()
    return app, Actor(clerk.id, clerk.name, Role.COUNTY_OFFICE)


async def measure(url: str) -> None:
    clock = FrozenClock(TZ, datetime(2026, 2, 27, 10, 0, tzinfo=TZ))
    app, actor = await _county_office(url, clock)
    settle_start_up_objects()  # as `bangfu run` does
    try:
        async with TestClient(TestServer(build_web_app(app))) as client:
            token = await issue_link(app, actor)
            signed = await client.get(f"/web/signin?token={token}", allow_redirects=False)
            assert signed.status == 303
            for label, path in PAGES:
                took = []
                for _ in range(2):
                    started = time.perf_counter()
                    response = await client.get(path)
                    body = await response.read()
                    took.append(time.perf_counter() - started)
                    assert response.status == 200, (path, body[:300])
                print(
                    f"{label:28} first {took[0]:.3f} s, again {took[1]:.3f} s, "
                    f"{len(body) / 1024:.0f} KB",
                    flush=True,
                )
    finally:
        await app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="an empty database (default: temporary SQLite)")
    parser.add_argument(
        "--loaded", action="store_true", help="the database holds the data set already"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bangfu-bench-") as folder:
        url = normalise_database_url(args.database_url or f"sqlite:///{folder}/county.sqlite3")
        if not args.loaded:
            started = time.perf_counter()
            counts = asyncio.run(load(url))
            print(f"generated {counts} in {time.perf_counter() - started:.1f} s", flush=True)
        asyncio.run(measure(url))


if __name__ == "__main__":
    main()
