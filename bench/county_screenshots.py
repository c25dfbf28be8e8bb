"""Screenshots of the dashboard as the county office: the county page, the county-wide
households, red flags and people, and one town opened from it (its overview, households, a
household, red flags, a flag, people, reports), from a small demo county (5 towns) served on
a local port, at 390 px and 1366 px, in Chinese and English. Look at them: the towns side by
side, the chart, each town named, nothing overflows.

    .venv/bin/python -m bench.county_screenshots [FOLDER]     (default: screenshots/)
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bench.screenshots import WIDTHS, main, photograph_as, served_demo
from bot.core.demo_county import CountySize, fill_demo_county
from bot.core.flags.raising import raise_flag
from bot.core.policy import CLI_OPERATOR, Actor
from bot.domain.model import FlagSource, Role
from bot.storage.models import Household, Person, RedFlag, Town, Village
from bot.storage.uow import App
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS

COUNTY_PREFIX = "county"
SIZE = CountySize(towns=5, villages=40, households=4_000, contact_persons=120)
FLAGGED_TOWNS = 3  # a red flag in each of the first three towns
FLAG_REASON = "省防返贫监测平台推送：因病支出骤增，存在返贫风险。"


async def _fill(app: App) -> None:
    """The demo county, and a platform red flag in each of its first three towns (the demo
    county has none), so the boards have cards to show."""
    await fill_demo_county(app, SIZE)
    async with app.uow() as uow:
        towns = list((await uow.session.execute(select(Town.id).order_by(Town.id))).scalars())
        for town in towns[:FLAGGED_TOWNS]:
            household = (
                (
                    await uow.session.execute(
                        select(Household)
                        .join(Village, Village.id == Household.village_id)
                        .where(Village.town_id == town)
                        .order_by(Household.id)
                    )
                )
                .scalars()
                .first()
            )
            if household is not None:
                await raise_flag(uow, CLI_OPERATOR, household, FlagSource.PLATFORM, FLAG_REASON)
        await uow.commit()


async def _county_office_and_pages(app: App) -> tuple[Actor, list[tuple[str, str]]]:
    """The county office, and its pages: the county's, then the first town's."""
    async with app.uow() as uow:
        person = (
            await uow.session.execute(select(Person).where(Person.role == Role.COUNTY_OFFICE))
        ).scalar_one()
        town = (await uow.session.execute(select(Town.id).order_by(Town.id))).scalars().first()
        assert town is not None
        household, flag = (
            await uow.session.execute(
                select(Household.id, RedFlag.id)
                .join(RedFlag, RedFlag.household_id == Household.id)
                .join(Village, Village.id == Household.village_id)
                .where(Village.town_id == town)
                .order_by(RedFlag.id)
            )
        ).first() or (None, None)
    in_town = f"?town={town}"
    pages = [
        ("county", "/web/county"),
        ("households", "/web/households"),
        ("flags", "/web/flags"),
        ("people", "/web/people"),
        ("town-overview", f"/web/{in_town}"),
        ("town-households", f"/web/households{in_town}"),
        ("town-flags", f"/web/flags{in_town}"),
        ("town-people", f"/web/people{in_town}"),
        ("town-reports", f"/web/reports{in_town}"),
    ]
    if flag is not None:
        pages += [
            ("town-household", f"/web/households/{household}{in_town}"),
            ("town-flag", f"/web/flags/{flag}{in_town}"),
        ]
    return Actor(person.id, person.name, Role.COUNTY_OFFICE), pages


async def shoot(folder: Path) -> list[Path]:
    from playwright.async_api import async_playwright

    written: list[Path] = []
    async with served_demo(_fill) as (app, base):
        county, pages = await _county_office_and_pages(app)
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
