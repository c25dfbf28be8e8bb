"""Screenshots of the office dashboard: every page, at 390 px (a phone) and 1366 px (an
office PC), in Chinese and English, as the town office and as a village admin, from the demo
town served on a local port. Look at them: Chinese renders, nothing overflows, the overview
says at a glance who has not been contacted.

    ./scripts/screenshots [FOLDER]        (default: screenshots/)
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import select

from bot.config import Settings
from bot.core.demo import fill_demo_town
from bot.core.policy import Actor
from bot.core.signin.sessions import issue_link
from bot.domain.model import OPEN_FLAG_STATUSES, Role
from bot.storage.migrate import upgrade
from bot.storage.models import Household, Person, RedFlag, Village
from bot.storage.uow import App
from bot.telegram.app import build_app
from bot.web.server import build_web_app
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS

WIDTHS = {"phone": 390, "desktop": 1366}


async def _people(app: App) -> tuple[Actor, Actor]:
    async with app.uow() as uow:
        dahe = (
            await uow.session.execute(select(Village).where(Village.name == "大河村"))
        ).scalar_one()
        now = app.clock.now()
        office = Person(
            name="周主任", role=Role.TOWN_OFFICE, town_id=dahe.town_id, active=True, created_at=now
        )
        admin = Person(
            name="大河村书记",
            role=Role.VILLAGE_ADMIN,
            village_id=dahe.id,
            active=True,
            created_at=now,
        )
        uow.session.add_all([office, admin])
        await uow.commit()
        return (
            Actor(office.id, office.name, Role.TOWN_OFFICE, town_id=dahe.town_id),
            Actor(admin.id, admin.name, Role.VILLAGE_ADMIN, dahe.id),
        )


async def _pages(app: App, actor: Actor) -> list[tuple[str, str]]:
    """(name, path) of each page to photograph, with a household the actor may read (one
    with an open red flag, when there is one)."""
    mine = Household.village_id == actor.village_id if actor.village_id else Household.id > 0
    async with app.uow() as uow:
        flagged = (
            await uow.session.execute(
                select(RedFlag.household_id, RedFlag.id)
                .join(Household, Household.id == RedFlag.household_id)
                .where(RedFlag.status.in_(OPEN_FLAG_STATUSES), mine)
                .order_by(RedFlag.id)
            )
        ).first()
        household_id = (
            flagged[0]
            if flagged
            else (await uow.session.execute(select(Household.id).where(mine))).scalar()
        )
    pages = [
        ("overview", "/web/"),
        ("households", "/web/households"),
        ("households-not-contacted", "/web/households?contacted=no"),
        ("household", f"/web/households/{household_id}"),
        ("flags", "/web/flags"),
        ("people", "/web/people"),
        ("reports", "/web/reports"),
    ]
    if flagged:
        pages.insert(5, ("flag", f"/web/flags/{flagged[1]}"))
    return pages


@asynccontextmanager
async def served_demo(fill: Callable[[App], Awaitable[object]]) -> AsyncIterator[tuple[App, str]]:
    """A demo installation (`fill` puts its data in a new SQLite file) served on a local port:
    the app and the dashboard's base URL."""
    with tempfile.TemporaryDirectory(prefix="bangfu-shots-") as data:
        url = f"sqlite+aiosqlite:///{data}/demo.sqlite3"
        upgrade(url)
        settings = Settings(_env_file=None, database_url=url, bot_token="1:SCREENSHOTS")  # type: ignore[call-arg]
        app = build_app(settings)
        runner = web.AppRunner(build_web_app(app))
        try:
            await fill(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            yield app, f"http://127.0.0.1:{runner.addresses[0][1]}"
        finally:
            await runner.cleanup()
            await app.close()


async def photograph(
    tab: Any, base: str, pages: list[tuple[str, str]], folder: Path, stem: str
) -> list[Path]:
    """Each (name, path) page as `stem` names it ({name}), whole; says which overflow."""
    written = []
    for name, path in pages:
        await tab.goto(base + path)
        await tab.wait_for_load_state("networkidle")
        shot = folder / f"{stem.format(name=name)}.png"
        await tab.screenshot(path=str(shot), full_page=True)
        wide = await tab.evaluate("document.documentElement.scrollWidth > window.innerWidth")
        print(f"{shot}{'  OVERFLOWS' if wide else ''}")
        written.append(shot)
    return written


async def photograph_as(
    browser: Any,
    app: App,
    actor: Actor,
    base: str,
    who_language_width: tuple[str, str, str],
    pages: list[tuple[str, str]],
    folder: Path,
) -> list[Path]:
    """The pages as `actor` sees them, signed in by a one-time link, in one language and width;
    files named who-page-language-width."""
    who, language, width_name = who_language_width
    context = await browser.new_context(
        viewport={"width": WIDTHS[width_name], "height": 900}, device_scale_factor=1
    )
    try:
        tab = await context.new_page()
        await tab.goto(f"{base}/web/signin?token={await issue_link(app, actor)}")
        await tab.goto(f"{base}/web/language/{language}")
        stem = f"{who}-{{name}}-{language}-{width_name}"
        return await photograph(tab, base, pages, folder, stem)
    finally:
        await context.close()


async def shoot(folder: Path) -> list[Path]:
    from playwright.async_api import async_playwright

    written: list[Path] = []
    async with served_demo(fill_demo_town) as (app, base):
        office, admin = await _people(app)
        async with async_playwright() as driver:
            browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for who, actor in (("office", office), ("admin", admin)):
                for language in ("zh", "en"):
                    for width_name in WIDTHS:
                        pages = await _pages(app, actor)
                        chosen = pages if who == "office" else pages[:4]
                        written += await photograph_as(
                            browser, app, actor, base, (who, language, width_name), chosen, folder
                        )
            await browser.close()
    return written


def main(shoot: Callable[[Path], Awaitable[list[Path]]] = shoot) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", default="screenshots", type=Path)
    folder = parser.parse_args().folder
    folder.mkdir(parents=True, exist_ok=True)
    asyncio.run(shoot(folder))


if __name__ == "__main__":
    main()
