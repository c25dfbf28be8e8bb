"""What the county office finds on the town pages: the people of the county (read only, as
the policy has it: inviting and changing the roster stay the town office's), each town
named on the county-wide people page and flags board, and a form sent from a town's page
(`?town=<id>`) coming back to that town's page."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.storage.models import Person
from bot.storage.uow import App
from tests.web.conftest import sign_in
from tests.web.county import County, county_fixture  # noqa: F401 (the fixture)


async def _active(app: App, person_id: int | None) -> bool:
    async with app.uow() as uow:
        return bool(await uow.session.scalar(select(Person.active).where(Person.id == person_id)))


async def test_the_county_office_reads_the_people_of_every_town(
    client: TestClient, app: App, county: County
) -> None:
    await sign_in(client, app, county.county_office)
    response = await client.get("/web/people?month=2026-03")
    page = await response.text()
    assert response.status == 200, page
    assert "王帮扶" in page and "郑帮扶" in page  # both towns' contact persons
    row = page.split(f'id="person-{county.contact_b.person_id}"')[1].split("</tr>")[0]
    assert "青山镇" in row and "青山村" in row  # each person's town and village
    assert 'name="town"' in page  # the town filter
    assert 'href="/web/people"' in page  # in the county office's menu
    # read only: the policy leaves inviting, reassigning and deactivating to the town office
    for act in ("/reassign", "/deactivate", "/invite"):
        assert act not in page, act

    town_b = await (await client.get(f"/web/people?town={county.town_b_id}")).text()
    assert "郑帮扶" in town_b and "王帮扶" not in town_b
    assert 'id="town-focus"' in town_b and f'href="/web/people?town={county.town_b_id}"' in town_b


async def test_the_county_office_may_not_deactivate_or_invite_from_the_page(
    client: TestClient, app: App, county: County
) -> None:
    csrf = await sign_in(client, app, county.county_office)
    contact_b = county.contact_b.person_id
    refused = await client.post(
        f"/web/people/{contact_b}/deactivate?town={county.town_b_id}", data={"csrf": csrf}
    )
    assert refused.status == 403
    assert (await client.post(f"/web/people/{contact_b}/invite", data={"csrf": csrf})).status == 403
    assert await _active(app, contact_b)


async def test_the_county_wide_board_names_each_flags_town_and_a_towns_board_does_not(
    client: TestClient, app: App, county: County
) -> None:
    await sign_in(client, app, county.county_office)
    whole = await (await client.get("/web/flags")).text()
    card = whole.split(f'id="flag-{county.flag_b.id}"')[1].split("</article>")[0]
    assert '<span class="town">青山镇</span>' in card
    one_town = await (await client.get(f"/web/flags?town={county.town_b_id}")).text()
    assert '<span class="town">' not in one_town
    assert f'href="/web/flags/{county.flag_b.id}?town={county.town_b_id}"' in one_town
    await sign_in(client, app, county.office_b)  # a town office's own board: no town named
    assert '<span class="town">' not in await (await client.get("/web/flags")).text()


async def test_a_form_sent_from_a_towns_page_comes_back_to_that_towns_page(
    client: TestClient, app: App, county: County
) -> None:
    csrf = await sign_in(client, app, county.county_office)
    town_b, flag = county.town_b_id, county.flag_b.id
    board = await (await client.get(f"/web/flags?town={town_b}")).text()
    assert f'action="/web/flags/{flag}/county?town={town_b}"' in board
    decided = await client.post(
        f"/web/flags/{flag}/county?town={town_b}",
        data={
            "csrf": csrf,
            "decided_on": "2026-03-10",
            "document": "县振发〔2026〕8号",
            "back": "board",
        },
        allow_redirects=False,
    )
    assert decided.status == 303
    assert decided.headers["Location"] == f"/web/flags?done=county&town={town_b}#flag-{flag}"
    page = await (await client.get(decided.headers["Location"])).text()
    assert 'id="town-focus"' in page and "青山镇" in page
    # switching the language keeps the town too
    assert f"/web/language/en?back=/web/flags%3Fdone%3Dcounty%26town%3D{town_b}" in page
    switched = await client.get(f"/web/language/en?back=/web/flags%3Ftown%3D{town_b}")
    assert "Town: 青山镇" in await switched.text()


async def test_every_link_on_a_towns_overview_stays_in_that_town(
    client: TestClient, app: App, county: County
) -> None:
    await sign_in(client, app, county.county_office)
    page = await (await client.get(f"/web/?town={county.town_b_id}&month=2026-03")).text()
    links = re.findall(r'href="(/web/[^"#]*)', page)
    assert any(link.startswith("/web/households/") for link in links), links  # one not contacted
    exits = {"/web/", "/web/county", "/web/static/app.css"}  # the brand and "back to the county"
    town = (f"town={county.town_b_id}", f"town%3D{county.town_b_id}")
    strays = [link for link in links if link not in exits and not any(t in link for t in town)]
    assert not strays, strays
