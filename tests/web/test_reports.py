"""Reports: the six forms per village and the town's .zip, the summary workbook; and the
dashboard shows the same numbers as the bot's /summary for the same month."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

from aiohttp.test_utils import TestClient
from openpyxl import load_workbook

from bot.clock import FrozenClock, Month
from bot.core.reports.summaries import record_sent, summary_for_month
from bot.documents.summary_report import summary_text
from bot.domain.model import ContactChannel
from bot.storage.uow import App
from tests.town_builder import TownBuilder
from tests.web.conftest import Town, sign_in


def number(html: str, element_id: str) -> int:
    found = re.search(rf'id="{element_id}">(\d+)<', html)
    assert found, f"no #{element_id} on the page"
    return int(found[1])


def village_numbers(html: str) -> dict[str, tuple[int, int]]:
    rows = re.findall(
        r'data-village="([^"]+)" data-contacted="(\d+)" data-households="(\d+)"', html
    )
    return {name: (int(contacted), int(households)) for name, contacted, households in rows}


async def test_dashboard_and_summary_show_the_same_numbers_for_a_month(
    client: TestClient, app: App, clock: FrozenClock, town: Town
) -> None:
    build = TownBuilder(app)
    await build.contact(town.shimen[0], town.contact, date(2026, 3, 2), ContactChannel.PHONE)
    await build.contact(town.dahe[1], town.contact, date(2026, 2, 20))
    await sign_in(client, app, town.office)
    for month in (Month(2026, 3), Month(2026, 2)):
        summary = await summary_for_month(app, town.office, month)
        overview = await (await client.get(f"/web/?month={month}")).text()
        report = await (await client.get(f"/web/reports?month={month}")).text()
        for page in (overview, report):
            assert number(page, "town-contacted") == summary.town.contacted
            assert number(page, "town-households") == summary.town.households
        assert number(overview, "town-uncontacted") == summary.town.uncontacted
        assert village_numbers(overview) == {
            v.name: (v.tally.contacted, v.tally.households) for v in summary.villages
        }
        # The bot's /summary message states the same whole-town numbers.
        text = summary_text(summary)
        assert f"{summary.town.contacted}" in text and f"{summary.town.households}" in text
    assert number(overview, "town-contacted") == 1  # February: one contact
    march = await (await client.get("/web/?month=2026-03")).text()
    assert number(march, "town-contacted") == 2
    assert number(march, "town-households") == 5


async def test_a_sent_month_is_shown_as_sent(
    client: TestClient, app: App, clock: FrozenClock, town: Town
) -> None:
    february = Month(2026, 2)
    await record_sent(app, february, await summary_for_month(app, town.office, february))
    # A contact backdated into February after its summary was sent: a late entry.
    await TownBuilder(app).contact(town.dahe[2], town.contact, date(2026, 2, 27))
    await sign_in(client, app, town.office)
    page = await (await client.get("/web/reports?month=2026-02")).text()
    sent = await summary_for_month(app, town.office, february)
    assert number(page, "town-contacted") == sent.town.contacted == 0
    assert number(page, "town-households") == 5
    overview = await (await client.get("/web/?month=2026-02")).text()
    assert number(overview, "town-contacted") == 0
    assert "frozen" in page or "按发出时" in page


async def test_the_trend_says_why_it_starts_at_the_first_summary_sent(
    client: TestClient, app: App, clock: FrozenClock, town: Town
) -> None:
    await sign_in(client, app, town.office)
    # Nothing sent yet: only the running month has numbers, and the page says why.
    page = await (await client.get("/web/")).text()
    assert "2026-03 以前的月份没有数字" in page  # the clock stands in March 2026
    february = Month(2026, 2)
    await record_sent(app, february, await summary_for_month(app, town.office, february))
    page = await (await client.get("/web/")).text()
    assert "2026-02 以前的月份没有数字" in page


async def test_town_office_downloads_one_form_and_the_towns_zip(
    client: TestClient, app: App, town: Town
) -> None:
    await sign_in(client, app, town.office)
    page = await (await client.get("/web/reports")).text()
    assert "/web/reports/forms.zip" in page
    one = await client.get(f"/web/reports/forms/{town.dahe[0].village_id}/3.xlsx")
    assert one.status == 200
    assert "attachment" in one.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(await one.read())).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert "张桂英" in cells and town.dahe[0].id_number in cells  # full ID: the town office
    archive = await client.get("/web/reports/forms.zip")
    assert archive.status == 200
    with zipfile.ZipFile(io.BytesIO(await archive.read())) as zipped:
        names = zipped.namelist()
        assert len(names) == 12
        assert any(name.startswith("石门村_附件6") for name in names)
        load_workbook(io.BytesIO(zipped.read(names[0])))
    summary = await client.get("/web/reports/summary.xlsx?month=2026-03")
    assert summary.status == 200
    load_workbook(io.BytesIO(await summary.read()))


async def test_a_village_admin_gets_only_their_villages_forms(
    client: TestClient, app: App, town: Town
) -> None:
    await sign_in(client, app, town.admin)
    own = await client.get(f"/web/reports/forms/{town.dahe[0].village_id}/1.xlsx")
    assert own.status == 200
    other = await client.get(f"/web/reports/forms/{town.shimen[0].village_id}/1.xlsx")
    assert other.status == 404
    assert (await client.get("/web/reports/summary.xlsx")).status == 403
    with zipfile.ZipFile(
        io.BytesIO(await (await client.get("/web/reports/forms.zip")).read())
    ) as z:
        assert all(name.startswith("大河村") for name in z.namelist())
    assert (await client.get(f"/web/reports/forms/{town.dahe[0].village_id}/7.xlsx")).status == 404


async def test_the_overview_counts_the_running_month_again_after_a_minute(
    client: TestClient, app: App, clock: FrozenClock, town: Town
) -> None:
    await sign_in(client, app, town.office)
    before = await (await client.get("/web/")).text()
    assert number(before, "town-contacted") == 1
    await TownBuilder(app).contact(town.dahe[1], town.contact, date(2026, 3, 9))
    still = await (await client.get("/web/")).text()
    assert number(still, "town-contacted") == 1  # counted at 10:00, as the page says
    assert "2026-03-10 10:00" in still
    clock.advance(seconds=app.settings.web_overview_seconds)
    after = await (await client.get("/web/")).text()
    assert number(after, "town-contacted") == 2
