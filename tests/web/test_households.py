"""The households page: search, filters, a household's record; a village admin sees only
their village, and another village's household is refused by its URL."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from bot.storage.uow import App
from tests.web.conftest import Town, sign_in


async def test_search_by_name_number_tail_and_id_tail(
    client: TestClient, app: App, town: Town
) -> None:
    await sign_in(client, app, town.office)
    page = await (await client.get("/web/households?q=桂")).text()
    assert "张桂英" in page and "李建国" not in page
    number_tail = town.shimen[0].number[-5:]
    page = await (await client.get(f"/web/households?q={number_tail}")).text()
    assert "赵德明" in page and "张桂英" not in page
    id_tail = town.dahe[1].id_number[-6:]
    page = await (await client.get(f"/web/households?q={id_tail}")).text()
    assert "李建国" in page
    assert town.dahe[1].id_number not in page  # masked everywhere on the page


async def test_filters_not_contacted_and_village(client: TestClient, app: App, town: Town) -> None:
    await sign_in(client, app, town.office)
    dahe = town.dahe[0].village_id
    page = await (await client.get(f"/web/households?contacted=no&village={dahe}")).text()
    assert "李建国" in page and "陈秀兰" in page
    assert "张桂英" not in page and "赵德明" not in page
    page = await (await client.get("/web/households?contacted=yes")).text()
    assert "张桂英" in page and "李建国" not in page


async def test_household_record_shows_card_contacts_and_audit(
    client: TestClient, app: App, town: Town
) -> None:
    await sign_in(client, app, town.office)
    response = await client.get(f"/web/households/{town.dahe[0].id}")
    assert response.status == 200
    page = await response.text()
    assert "张桂英" in page and "王帮扶" in page
    assert "3415" in page and town.dahe[0].id_number not in page


async def test_a_village_admin_sees_only_their_village(
    client: TestClient, app: App, town: Town
) -> None:
    await sign_in(client, app, town.admin)
    page = await (await client.get("/web/households")).text()
    assert "张桂英" in page and "赵德明" not in page
    own = await client.get(f"/web/households/{town.dahe[1].id}")
    assert own.status == 200
    other = await client.get(f"/web/households/{town.shimen[0].id}")
    assert other.status in (403, 404)
    assert "赵德明" not in await other.text()
    missing = await client.get("/web/households/999999")
    assert missing.status in (403, 404)
