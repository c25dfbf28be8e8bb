"""The county office on the dashboard: it signs in, compares the towns side by side, opens
one town's pages (`?town=<id>`, 404 for a town that does not exist), records the county's
decision on a removal the town approved, and downloads a town's forms as one zip."""

from __future__ import annotations

import io
import re
import zipfile

from aiohttp.test_utils import TestClient

from bot.domain.model import FlagStatus
from bot.storage.models import RedFlag
from bot.storage.uow import App
from tests.unit.test_written_files import all_text
from tests.web.conftest import Town, sign_in
from tests.web.county import County, county_fixture  # noqa: F401 (the fixture)


def row_of(html: str, town_id: int) -> str:
    found = re.search(rf'<tr id="town-{town_id}">(.*?)</tr>', html, re.S)
    assert found, f"no row for town {town_id}"
    return found[1]


async def test_the_county_page_puts_the_towns_side_by_side(
    client: TestClient, app: App, county: County
) -> None:
    await sign_in(client, app, county.county_office)
    response = await client.get("/web/county?month=2026-03")
    page = await response.text()
    assert response.status == 200, page
    assert "青山镇" in page and 'id="town-chart"' in page and "chart.umd.min.js" in page
    # the first town: 5 households due, 1 contacted; 青山镇: 1 due, none contacted, its one
    # flag approved by the town and awaiting the county
    first = row_of(page, 1)
    assert "1 / 5" in first and 'class="awaiting">0<' in first
    second = row_of(page, county.town_b_id)
    assert "0 / 1" in second and 'class="awaiting">1<' in second
    assert re.search(r'id="county-awaiting">1<', page)
    assert re.search(r'id="county-households">6<', page)


async def test_the_county_office_drills_down_into_one_town(
    client: TestClient, app: App, county: County
) -> None:
    await sign_in(client, app, county.county_office)
    town_b = county.town_b_id
    households = await (await client.get(f"/web/households?town={town_b}")).text()
    assert "钱多多" in households and "张桂英" not in households
    assert 'id="town-focus"' in households and f'href="/web/flags?town={town_b}"' in households
    flags = await (await client.get(f"/web/flags?town={town_b}")).text()
    assert "青山的风险" in flags
    overview = await client.get(f"/web/?town={town_b}&month=2026-03")
    assert overview.status == 200
    assert re.search(r'id="town-households">1<', await overview.text())
    # the town's links keep the town: its overview's tiles, the month picker
    assert f"/web/flags?town={town_b}" in await overview.text()
    assert f'name="town" value="{town_b}"' in households
    whole = await (await client.get("/web/households")).text()
    assert "钱多多" in whole and "张桂英" in whole  # without ?town=: the whole county
    for bad in ("999", "x", "1234567890"):
        assert (await client.get(f"/web/households?town={bad}")).status == 404


async def test_the_county_office_records_the_decision_and_a_town_office_may_not(
    client: TestClient, app: App, county: County
) -> None:
    flag = county.flag_b.id
    form = {"decided_on": "2026-03-10", "document": "县扶发〔2026〕7号"}
    town_csrf = await sign_in(client, app, county.office_b)
    flag_page = await (await client.get(f"/web/flags/{flag}")).text()
    assert f"/web/flags/{flag}/county" not in flag_page  # the county office decides now
    refused = await client.post(
        f"/web/flags/{flag}/county", data={"csrf": town_csrf, **form}, allow_redirects=False
    )
    assert refused.status == 403

    town_board = await (await client.get("/web/flags?stage=town_approved")).text()
    assert f"/web/flags/{flag}/county" not in town_board

    csrf = await sign_in(client, app, county.county_office)
    page = await (await client.get(f"/web/flags/{flag}")).text()
    assert f"/web/flags/{flag}/county" in page
    board = await (await client.get("/web/flags?stage=town_approved")).text()
    assert f'action="/web/flags/{flag}/county"' in board  # on the county's board too
    done = await client.post(
        f"/web/flags/{flag}/county",
        data={"csrf": csrf, "back": "board", **form},
        allow_redirects=False,
    )
    assert done.status == 303, await done.text()
    assert done.headers["Location"].startswith("/web/flags?done=county")
    async with app.uow() as uow:
        row = await uow.session.get(RedFlag, flag)
        assert row is not None and row.status == FlagStatus.CLOSED
        assert row.county_document == "县扶发〔2026〕7号"


async def test_the_county_office_downloads_a_towns_forms_and_a_villages(
    client: TestClient, app: App, county: County
) -> None:
    await sign_in(client, app, county.county_office)
    town_b = county.town_b_id
    reports = await (await client.get(f"/web/reports?town={town_b}")).text()
    assert f"/web/reports/forms.zip?town={town_b}" in reports
    archive = await client.get(f"/web/reports/forms.zip?town={town_b}")
    assert archive.status == 200
    with zipfile.ZipFile(io.BytesIO(await archive.read())) as zipped:
        names = zipped.namelist()
    assert names and all("青山村" in name for name in names)
    one = await client.get(f"/web/reports/forms/{county.village_b.id}/1.xlsx")
    assert one.status == 200
    assert f"/web/reports/summary.xlsx?month=2026-03&amp;town={town_b}" in reports
    summary = all_text(await (await client.get(f"/web/reports/summary.xlsx?town={town_b}")).read())
    assert "青山村" in summary and "大河村" not in summary


async def test_a_single_town_installation_shows_no_county_page_to_its_town_office(
    client: TestClient, app: App, town: Town
) -> None:
    await sign_in(client, app, town.office)
    page = await (await client.get("/web/")).text()
    assert 'href="/web/county"' not in page
    assert (await client.get("/web/county")).status == 403
