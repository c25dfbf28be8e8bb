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

import time
from datetime import datetime

from aiohttp.test_utils import TestClient, TestServer

from bench.dashboard import run, sign_in_county_office
from bench.reports import MONTH, TZ
from bot.cli import settle_start_up_objects
from bot.clock import FrozenClock
from bot.config import Settings
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


async def measure(url: str) -> None:
    clock = FrozenClock(TZ, datetime(2026, 2, 27, 10, 0, tzinfo=TZ))
    settings = Settings(_env_file=None, database_url=url, bot_token="1:BENCH")  # type: ignore[call-arg]
    app = build_app(settings, clock)
    settle_start_up_objects()  # as `bangfu run` does
    try:
        async with TestClient(TestServer(build_web_app(app))) as client:
            await sign_in_county_office(app, client)
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


if __name__ == "__main__":
    run(__doc__.split("\n")[0], measure)
