"""The households page: search, filters, a household's record; a village admin sees only
their village, and another village's household is refused by its URL."""

from __future__ import annotations

import io
from datetime import date

from aiohttp.test_utils import TestClient, TestServer

from bot.storage.models import Contact
from bot.storage.uow import App
from bot.web.server import build_web_app
from tests.town_builder import TownBuilder
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


class FakeBot:
    """What the photo view asks of the running bot: `download(file_id)`."""

    async def download(self, file_id: str) -> io.BytesIO:
        assert file_id == "AgAD-photo"
        return io.BytesIO(b"\xff\xd8\xff\xe0 jpeg")


async def test_a_home_visits_photo_is_shown_to_who_may_read_the_household(
    app: App, town: Town
) -> None:
    build = TownBuilder(app)
    contact = await build.contact(town.dahe[1], town.contact, date(2026, 3, 8))
    other = await build.contact(town.shimen[1], town.contact, date(2026, 3, 8))
    async with app.uow() as uow:
        for row in (contact, other):
            (await uow.session.get(Contact, row.id)).photo_file_id = "AgAD-photo"
        await uow.commit()
    web_app = build_web_app(app, FakeBot())  # type: ignore[arg-type]
    async with TestClient(TestServer(web_app)) as client:
        await sign_in(client, app, town.admin)
        page = await (await client.get(f"/web/households/{town.dahe[1].id}")).text()
        assert f"/web/contacts/{contact.id}/photo" in page
        photo = await client.get(f"/web/contacts/{contact.id}/photo")
        assert photo.status == 200 and photo.content_type == "image/jpeg"
        assert (await photo.read()).startswith(b"\xff\xd8")
        assert (await client.get(f"/web/contacts/{other.id}/photo")).status == 404
        assert (await client.get("/web/contacts/999999/photo")).status == 404
