"""The office dashboard in a real browser: Debian's chromium driven by Playwright (the Python
package only: no browser is downloaded), against bangfu serving the demo town on a local port.

Skipped, with the reason, only where chromium is not installed (CI installs it with apt-get,
like LibreOffice; BANGFU_NO_CHROMIUM then carries apt's error).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiohttp import web
from sqlalchemy import select

from bot.core.demo import fill_demo_town
from bot.core.policy import Actor
from bot.domain.model import Role
from bot.storage.models import Village
from bot.storage.uow import App
from bot.web.server import build_web_app
from tests.browser.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.town_builder import TownBuilder


def _why_no_browser() -> str | None:
    if os.environ.get("BANGFU_NO_CHROMIUM"):
        return os.environ["BANGFU_NO_CHROMIUM"]
    if not os.path.exists(CHROMIUM) and shutil.which("chromium") is None:
        return "chromium is not installed (apt-get install chromium)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e .[test])"
    return None


NO_BROWSER = _why_no_browser()
pytestmark = pytest.mark.skipif(NO_BROWSER is not None, reason=NO_BROWSER or "")


@dataclass
class DemoTown:
    url: str  # the dashboard's base, http://127.0.0.1:PORT
    office: Actor
    admin: Actor  # 大河村's village admin
    dahe_id: int
    other_village_id: int


@pytest.fixture
async def served(app: App) -> AsyncIterator[DemoTown]:
    """The demo town, a town office clerk and 大河村's admin, the dashboard on a free port."""
    await fill_demo_town(app)
    build = TownBuilder(app)
    dahe = await build.village("大河村")
    async with app.uow() as uow:
        other = (
            await uow.session.execute(select(Village.id).where(Village.name == "黄巢寺村"))
        ).scalar_one()
    office = await build.person("镇办周主任", Role.TOWN_OFFICE, telegram_user_id=7001)
    admin = await build.person("大河村书记", Role.VILLAGE_ADMIN, dahe, telegram_user_id=7002)
    runner = web.AppRunner(build_web_app(app))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield DemoTown(f"http://127.0.0.1:{port}", office, admin, dahe.id, other)
    finally:
        await runner.cleanup()


@pytest.fixture
async def browser():  # type: ignore[no-untyped-def]
    from playwright.async_api import async_playwright

    async with async_playwright() as driver:
        launched = await driver.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser):  # type: ignore[no-untyped-def]
    context = await browser.new_context(
        viewport={"width": 1366, "height": 900}, accept_downloads=True, locale="zh-CN"
    )
    tab = await context.new_page()
    try:
        yield tab
    finally:
        await context.close()
