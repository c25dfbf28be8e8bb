"""Screenshots of the dashboard's county page and of one town opened from it, as the county
office, from a small demo county (5 towns) served on a local port, at 390 px and 1366 px, in
Chinese and English. Look at them: the towns side by side, the chart, nothing overflows.

    .venv/bin/python -m bench.county_screenshots [FOLDER]     (default: screenshots/)
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bench.screenshots import WIDTHS, main, photograph_as, served_demo
from bot.core.demo_county import CountySize, fill_demo_county
from bot.core.policy import Actor
from bot.domain.model import Role
from bot.storage.models import Person, Town
from bot.storage.uow import App
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS

COUNTY_PREFIX = "county"
SIZE = CountySize(towns=5, villages=40, households=4_000, contact_persons=120)


async def _county_office_and_a_town(app: App) -> tuple[Actor, int]:
    async with app.uow() as uow:
        person = (
            await uow.session.execute(select(Person).where(Person.role == Role.COUNTY_OFFICE))
        ).scalar_one()
        town = (await uow.session.execute(select(Town.id).order_by(Town.id))).scalars().first()
    assert town is not None
    return Actor(person.id, person.name, Role.COUNTY_OFFICE), town


async def shoot(folder: Path) -> list[Path]:
    from playwright.async_api import async_playwright

    written: list[Path] = []
    async with served_demo(lambda app: fill_demo_county(app, SIZE)) as (app, base):
        county, town = await _county_office_and_a_town(app)
        pages = [("county", "/web/county"), ("town-overview", f"/web/?town={town}")]
        async with async_playwright() as driver:
            browser = await driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for language in ("zh", "en"):
                for width_name in WIDTHS:
                    who = (COUNTY_PREFIX, language, width_name)
                    written += await photograph_as(browser, app, county, base, who, pages, folder)
            await browser.close()
    return written


if __name__ == "__main__":
    main(shoot)
