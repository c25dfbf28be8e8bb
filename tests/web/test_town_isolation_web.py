"""A town office person of one town reaches nothing of another town through the dashboard:
no page, list, search, download or POST shows or touches the other town's households, red
flags, people or villages; an id of the other town answers 404 like one that does not exist,
and `?town=` (the county office's drill-down) is not theirs."""

from __future__ import annotations

import io
import zipfile

from aiohttp.test_utils import TestClient

from bot.domain.model import FlagStatus
from bot.storage.models import RedFlag
from bot.storage.uow import App
from tests.unit.test_written_files import all_text
from tests.web.conftest import sign_in
from tests.web.county import County, county_fixture  # noqa: F401 (the fixture)

OTHER_TOWN_NAMES = ("青山村", "钱多多", "青山的风险", "吴镇长", "郑帮扶", "青山村支书")


def shows_nothing_of_the_other_town(text: str) -> None:
    for name in OTHER_TOWN_NAMES:
        assert name not in text, name


async def test_every_page_and_list_of_town_a_shows_nothing_of_town_b(
    client: TestClient, app: App, county: County
) -> None:
    await sign_in(client, app, county.first.office)
    for url in (
        "/web/",
        "/web/households",
        "/web/households?q=钱",
        f"/web/households?village={county.village_b.id}",
        "/web/flags",
        "/web/flags?stage=town_approved",
        "/web/people",
        "/web/reports",
    ):
        response = await client.get(url)
        text = await response.text()
        assert response.status == 200, (url, text)
        shows_nothing_of_the_other_town(text)
    assert "张桂英" in await (await client.get("/web/households")).text()
    searched = await (await client.get("/web/households?q=钱多多")).text()
    assert (
        "没有符合条件的农户" in searched
        and f"/web/households/{county.household_b.id}" not in searched
    )


async def test_town_b_ids_answer_404_to_town_a(
    client: TestClient, app: App, county: County
) -> None:
    await sign_in(client, app, county.first.office)
    for url in (
        f"/web/households/{county.household_b.id}",
        f"/web/flags/{county.flag_b.id}",
        f"/web/reports/forms/{county.village_b.id}/1.xlsx",
        f"/web/?town={county.town_b_id}",
        f"/web/households?town={county.town_b_id}",
        "/web/flags?town=1",  # not even their own town: the drill-down is the county's
    ):
        response = await client.get(url)
        assert response.status == 404, url
        shows_nothing_of_the_other_town(await response.text())
    assert (await client.get("/web/county")).status == 403


async def test_downloads_of_town_a_hold_nothing_of_town_b(
    client: TestClient, app: App, county: County
) -> None:
    await sign_in(client, app, county.first.office)
    archive = await client.get("/web/reports/forms.zip")
    assert archive.status == 200
    with zipfile.ZipFile(io.BytesIO(await archive.read())) as zipped:
        assert zipped.namelist()
        for name in zipped.namelist():
            assert "青山" not in name
            shows_nothing_of_the_other_town(all_text(zipped.read(name)))
    summary = await client.get("/web/reports/summary.xlsx")
    assert summary.status == 200
    text = all_text(await summary.read())
    shows_nothing_of_the_other_town(text)
    assert "大河村" in text


async def test_posts_of_town_a_on_town_b_answer_404_and_change_nothing(
    client: TestClient, app: App, county: County
) -> None:
    csrf = await sign_in(client, app, county.first.office)
    flag = county.flag_b.id
    for url, form in (
        (f"/web/flags/{flag}/acknowledge", {}),
        (f"/web/flags/{flag}/deadline", {"days": "7"}),
        (f"/web/flags/{flag}/review", {"decision": "reject", "reason": "不行"}),
        (
            f"/web/flags/{flag}/measures",
            {
                "household": str(county.household_b.id),
                "kind": "water",
                "what": "修水井",
                "responsible": "村委会",
            },
        ),
    ):
        response = await client.post(url, data={"csrf": csrf, **form}, allow_redirects=False)
        assert response.status == 404, (url, response.status)
    for url, form in (
        # the county office decides (it has a person): a town office is refused that first
        (f"/web/flags/{flag}/county", {"decided_on": "2026-03-10", "document": "县扶发1号"}),
        (f"/web/people/{county.office_b.person_id}/deactivate", {}),
        (f"/web/people/{county.admin_b.person_id}/invite", {}),
        (f"/web/people/{county.contact_b.person_id}/invite", {}),
        (
            f"/web/households/{county.household_b.id}/reassign",
            {"person": str(county.first.contact.person_id)},
        ),
    ):
        response = await client.post(url, data={"csrf": csrf, **form}, allow_redirects=False)
        assert response.status in (403, 404), (url, response.status)
        shows_nothing_of_the_other_town(await response.text())
    async with app.uow() as uow:
        row = await uow.session.get(RedFlag, flag)
        assert row is not None
        assert row.status == FlagStatus.REMOVAL_REQUESTED and row.county_document is None
