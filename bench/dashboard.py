"""Benchmark: the office dashboard's overview on a county-size installation (issue 12: under
1 s server time for 50,000 households). Prints numbers; asserts nothing.

    .venv/bin/python -m bench.dashboard                   # a temporary SQLite file
    .venv/bin/python -m bench.dashboard --database-url postgresql://postgres@127.0.0.1/bench

Loads bench.reports' data set (250 villages, 50,000 households, 600,000 contacts over the
year to February 2026), signs a county office person in by a /web link (the county is
theirs), and times
`GET /web/?month=2026-02` through the real aiohttp application (the use case, the template,
the response), on 27 February:
- before any month's summary was sent (a fresh installation: the 11 months before are not
  reported, so not counted; only the running month is), and
- after the 11 months before it were sent on their 1st, as the scheduler does (their numbers
  are then read as kept; only the running month is counted) — the normal case; and then
- again within WEB_OVERVIEW_SECONDS, when the running month's count is reused.
A PostgreSQL database given with --database-url must be empty.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bench.reports import MONTH, TZ, load
from bot.cli import settle_start_up_objects
from bot.clock import FrozenClock
from bot.config import Settings, normalise_database_url
from bot.core.policy import CLI_OPERATOR, Actor
from bot.core.reports.summaries import record_sent, summary_for_month
from bot.core.signin.sessions import issue_link
from bot.domain.model import Role
from bot.storage.models import Person
from bot.storage.uow import App
from bot.telegram.app import build_app
from bot.web.server import build_web_app

RUNS = 5


async def _time_overview(client: TestClient, runs: int) -> list[float]:
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await client.get(f"/web/?month={MONTH}")
        body = await response.read()
        took.append(time.perf_counter() - started)
        assert response.status == 200, body[:200]
    return took


def _line(label: str, took: list[float]) -> str:
    return (
        f"{label}: median {statistics.median(took):.3f} s, "
        f"min {min(took):.3f} s, max {max(took):.3f} s over {len(took)} requests"
    )


async def measure(url: str) -> None:
    clock = FrozenClock(TZ, datetime(2026, 2, 27, 10, 0, tzinfo=TZ))
    settings = Settings(_env_file=None, database_url=url, bot_token="1:BENCH")  # type: ignore[call-arg]
    app = build_app(settings, clock)
    settle_start_up_objects()  # as `bangfu run` does
    try:
        async with TestClient(TestServer(build_web_app(app))) as client:
            await sign_in_county_office(app, client)
            print(_line("overview, no month sent yet", await _time_overview(client, 2)))
            started = time.perf_counter()
            sent = MONTH
            for _ in range(11):
                sent = sent.previous()
                clock.set(datetime(sent.next().year, sent.next().month, 1, 8, tzinfo=TZ))
                await record_sent(app, sent, await summary_for_month(app, CLI_OPERATOR, sent))
            clock.set(datetime(2026, 2, 27, 10, 5, tzinfo=TZ))  # the running month counted anew
            took = time.perf_counter() - started
            print(f"(11 monthly summaries sent, as on each 1st: {took:.1f} s)")
            print(_line("overview, earlier months sent, counting", await _time_overview(client, 1)))
            print(
                _line("overview, within WEB_OVERVIEW_SECONDS", await _time_overview(client, RUNS))
            )
    finally:
        await app.close()


async def sign_in_county_office(app: App, client: TestClient) -> None:
    """A county office person added to bench.reports' data, signed in by a /web link."""
    async with app.uow() as uow:
        # bench.reports writes its ids itself (PostgreSQL's sequence is not advanced).
        last = await uow.session.scalar(select(func.max(Person.id)))
        clerk = Person(
            id=(last or 0) + 1,
            name="县办",
            role=Role.COUNTY_OFFICE,
            active=True,
            created_at=app.clock.now(),
        )
        uow.session.add(clerk)
        await uow.commit()
    token = await issue_link(app, Actor(clerk.id, clerk.name, Role.COUNTY_OFFICE))
    signed = await client.get(f"/web/signin?token={token}", allow_redirects=False)
    assert signed.status == 303  # not followed: the pages are timed by the caller


def run(description: str, measure: Callable[[str], Awaitable[None]]) -> None:
    """The command line both dashboard benchmarks share: load the data, then measure."""
    parser = argparse.ArgumentParser(description=description)
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
    run(__doc__.split("\n")[0], measure)
