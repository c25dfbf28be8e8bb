"""Benchmark: one cold office overview of the county in a fresh process (issue 12: under 1 s
server time for 50,000 households). Prints numbers; asserts nothing.

    .venv/bin/python -m bench.overview_cold prepare --database-url URL   # once: load, send 11
    .venv/bin/python -m bench.overview_cold time --database-url URL      # each run
    .venv/bin/python -m bench.overview_cold time --web --database-url URL  # through aiohttp

`prepare` loads bench.reports' data set into an empty database, adds a county office person
and sends the 11 months before February 2026 on their 1st, as the scheduler does. `time`
starts as `bangfu run` does (start-up objects out of garbage collection) and times
`office_overview` for the county office on 27 February: the 11 sent months read as kept, the
running month counted (nothing cached: a fresh process). It prints the wall and the process's
CPU time (on PostgreSQL the database's own work is not in the CPU time) and the load average.
With `--web` it times `GET /web/?month=2026-02` through the real aiohttp application instead
(signed in by a /web link first): the use case, the template, the response. `time` changes
nothing the overview counts, so it can be repeated on the same database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import time
from datetime import datetime

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bench.reports import MONTH, TZ, load
from bot.cli import settle_start_up_objects
from bot.clock import FrozenClock
from bot.config import Settings, normalise_database_url
from bot.core.coverage.month_summary import Tally
from bot.core.coverage.overview import office_overview
from bot.core.policy import CLI_OPERATOR, Actor
from bot.core.reports.summaries import record_sent, summary_for_month
from bot.core.signin.sessions import issue_link
from bot.domain.model import Role
from bot.storage.models import Person
from bot.storage.uow import App
from bot.telegram.app import build_app
from bot.web.server import build_web_app

CLERK = "县办"


def _settings(url: str) -> Settings:
    return Settings(_env_file=None, database_url=url, bot_token="1:BENCH")  # type: ignore[call-arg]


async def prepare(url: str) -> None:
    started = time.perf_counter()
    counts = await load(url)
    print(f"generated {counts} in {time.perf_counter() - started:.1f} s", flush=True)
    clock = FrozenClock(TZ, datetime(2026, 2, 27, 10, 0, tzinfo=TZ))
    app = build_app(_settings(url), clock)
    try:
        async with app.uow() as uow:
            last = await uow.session.scalar(select(func.max(Person.id)))
            uow.session.add(
                Person(
                    id=(last or 0) + 1,
                    name=CLERK,
                    role=Role.COUNTY_OFFICE,
                    active=True,
                    created_at=clock.now(),
                )
            )
            await uow.commit()
        sent = MONTH
        for _ in range(11):
            sent = sent.previous()
            clock.set(datetime(sent.next().year, sent.next().month, 1, 8, tzinfo=TZ))
            await record_sent(app, sent, await summary_for_month(app, CLI_OPERATOR, sent))
        print(f"prepared in {time.perf_counter() - started:.1f} s")
    finally:
        await app.close()


async def measure(url: str, web: bool) -> None:
    clock = FrozenClock(TZ, datetime(2026, 2, 27, 10, 5, tzinfo=TZ))
    app = build_app(_settings(url), clock)
    settle_start_up_objects()  # as `bangfu run` does
    try:
        async with app.uow() as uow:
            clerk = await uow.session.scalar(select(Person).where(Person.name == CLERK))
            assert clerk is not None, "run `prepare` first"
            actor = Actor(clerk.id, clerk.name, Role.COUNTY_OFFICE)
        if web:
            wall, cpu, town = await _through_the_web(app, actor)
        else:
            wall, cpu = time.perf_counter(), time.process_time()
            town = (await office_overview(app, actor, MONTH)).coverage.town
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        load_average = os.getloadavg()
        print(
            f"cold overview{' (GET /web/)' if web else ''}: wall {wall:.3f} s, CPU {cpu:.3f} s "
            f"(households {town.households}, contacted {town.contacted}; "
            f"load {' '.join(f'{n:.2f}' for n in load_average)})"
        )
    finally:
        await app.close()


async def _through_the_web(app: App, actor: Actor) -> tuple[float, float, Tally]:
    async with TestClient(TestServer(build_web_app(app))) as client:
        token = await issue_link(app, actor)
        signed = await client.get(f"/web/signin?token={token}", allow_redirects=False)
        assert signed.status == 303  # not followed: the overview is timed below
        wall, cpu = time.perf_counter(), time.process_time()
        response = await client.get(f"/web/?month={MONTH}")
        page = await response.text()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert response.status == 200, page[:200]
    found = re.search(r'id="town-contacted">(\d+)<.*id="town-households">(\d+)<', page)
    assert found, "no town numbers on the page"
    return wall, cpu, Tally(households=int(found[2]), contacted=int(found[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=("prepare", "time"))
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--web", action="store_true", help="time GET /web/ through aiohttp")
    args = parser.parse_args()
    url = normalise_database_url(args.database_url)
    asyncio.run(prepare(url) if args.step == "prepare" else measure(url, args.web))


if __name__ == "__main__":
    main()
