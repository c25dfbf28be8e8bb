"""The office dashboard in headless Chromium, as the town office and a village admin use it:
sign in by a /web link or as a Mini App, find a household, download the forms, and a village
admin who edits the URL to another village's household is refused."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from urllib.parse import quote

from openpyxl import load_workbook
from sqlalchemy import select

from bot.core.signin.sessions import issue_link
from bot.storage.models import Household
from bot.storage.uow import App
from tests.browser.conftest import DemoTown
from tests.web.conftest import init_data


async def first_household(app: App, village_id: int) -> Household:
    async with app.uow() as uow:
        query = select(Household).where(Household.village_id == village_id).order_by(Household.id)
        return (await uow.session.execute(query)).scalars().first()


async def test_town_office_signs_in_by_link_and_finds_a_household(
    app: App, served: DemoTown, page
) -> None:  # type: ignore[no-untyped-def]
    token = await issue_link(app, served.office)
    await page.goto(f"{served.url}/web/signin?token={token}")
    assert await page.locator("h1").first.inner_text() == "概览 · 2026-03"
    assert await page.locator("#town-households").inner_text() == "60"
    household = await first_household(app, served.dahe_id)
    await page.get_by_role("link", name="农户", exact=True).click()
    await page.fill("input[name=q]", household.head_name)
    await page.press("input[name=q]", "Enter")
    await page.get_by_role("link", name=household.head_name).first.click()
    assert household.head_name in await page.locator("h1").inner_text()
    card = await page.locator("section.card").first.inner_text()
    assert household.number in card
    assert household.id_number not in await page.content()  # masked on the page
    # The same link works once: a second browser opening it is refused.
    again = await page.context.browser.new_page()
    response = await again.goto(f"{served.url}/web/signin?token={token}")
    assert response.status == 403
    await again.close()


async def test_town_office_downloads_the_forms_zip_and_opens_it(
    app: App, served: DemoTown, page, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    token = await issue_link(app, served.office)
    await page.goto(f"{served.url}/web/signin?token={token}")
    await page.get_by_role("link", name="报表", exact=True).click()
    async with page.expect_download() as started:
        await page.click("#forms-zip")
    download = await started.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    assert saved.suffix == ".zip"
    with zipfile.ZipFile(saved) as archive:
        names = archive.namelist()
        assert len(names) == 18  # three villages, six forms each
        roster = [name for name in names if name.startswith("大河村_附件3")]
        sheet = load_workbook(io.BytesIO(archive.read(roster[0]))).active
        title = " ".join(
            str(cell) for cell in next(sheet.iter_rows(min_row=2, values_only=True)) if cell
        )
        assert "大河村边缘户摸底表" in title


async def test_a_village_admin_signs_in_as_a_mini_app_and_cannot_edit_the_url_to_another_village(
    app: App, served: DemoTown, page
) -> None:  # type: ignore[no-untyped-def]
    data = init_data(app.settings.bot_token or "", 7002, app.clock.now())
    await page.goto(f"{served.url}/web/app#tgWebAppData={quote(data)}")
    await page.wait_for_url(f"{served.url}/web/")
    assert "大河村书记" in await page.locator("header").inner_text()
    own = await first_household(app, served.dahe_id)
    response = await page.goto(f"{served.url}/web/households/{own.id}")
    assert response.status == 200
    other = await first_household(app, served.other_village_id)
    response = await page.goto(f"{served.url}/web/households/{other.id}")
    assert response.status in (403, 404)
    assert other.head_name not in await page.content()
    response = await page.goto(f"{served.url}/web/reports/forms/{served.other_village_id}/1.xlsx")
    assert response.status == 404


async def test_forged_init_data_signs_nobody_in(app: App, served: DemoTown, page) -> None:  # type: ignore[no-untyped-def]
    data = init_data("123:NOT-THIS-BOT", 7001, app.clock.now())
    await page.goto(f"{served.url}/web/app#tgWebAppData={quote(data)}")
    await page.wait_for_load_state()
    assert "/web/app/session" in page.url
    assert "镇办周主任" not in await page.content()
    response = await page.goto(f"{served.url}/web/")
    assert response.status == 401
