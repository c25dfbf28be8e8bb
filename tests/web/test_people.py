"""The people page: each contact person's households, this month's coverage, last contact
and invitation; a new invitation link, a household reassigned, a person deactivated, by
the town office only, through the bot's own use cases."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.core.onboarding.first_start import remember_bot_username
from bot.domain.model import Role
from bot.storage.models import Assignment, AuditEntry, Invite, Person
from bot.storage.uow import App
from bot.web.server import build_web_app
from tests.town_builder import TownBuilder
from tests.web.conftest import Town, sign_in


async def _holders(app: App, household_id: int) -> list[int]:
    async with app.uow() as uow:
        found = await uow.session.execute(
            select(Assignment.person_id).where(
                Assignment.household_id == household_id, Assignment.ended_at.is_(None)
            )
        )
        return list(found.scalars())


async def test_people_page_shows_households_coverage_last_contact_and_invitation(
    app: App, town: Town, client: TestClient
) -> None:
    dahe = town.dahe[0].village
    await TownBuilder(app).person("刘新人", Role.CONTACT, dahe)  # never invited
    await sign_in(client, app, town.office)
    page = await (await client.get("/web/people?month=2026-03")).text()
    person = page.split(f'id="person-{town.contact.person_id}"')[1].split("</article>")[0]
    assert "王帮扶" in person
    assert "1 / 5" in person  # one of the five households contacted in March
    assert "2026-03-05" in person  # the last contact
    assert "正在使用机器人" in person  # bound to a Telegram account
    assert "刘新人" in page and "未邀请" in page


async def test_village_admin_cannot_open_or_use_the_people_page(
    app: App, town: Town, client: TestClient
) -> None:
    csrf = await sign_in(client, app, town.admin)
    assert (await client.get("/web/people")).status == 403
    response = await client.post(
        f"/web/people/{town.contact.person_id}/deactivate", data={"csrf": csrf}
    )
    assert response.status == 403
    moved = await client.post(
        f"/web/households/{town.dahe[0].id}/reassign",
        data={"csrf": csrf, "person": str(town.admin.person_id)},
    )
    assert moved.status == 403
    assert await _holders(app, town.dahe[0].id) == [town.contact.person_id]


async def test_town_office_reassigns_a_household(app: App, town: Town, client: TestClient) -> None:
    dahe = town.dahe[0].village
    helper = await TownBuilder(app).person("赵帮扶", Role.CONTACT, dahe)
    csrf = await sign_in(client, app, town.office)
    page = await (await client.get("/web/people")).text()
    assert f'<option value="{helper.person_id}">赵帮扶 (0)</option>' in page

    response = await client.post(
        f"/web/households/{town.dahe[0].id}/reassign",
        data={"csrf": csrf, "person": str(helper.person_id)},
        allow_redirects=False,
    )
    assert response.status == 303
    assert await _holders(app, town.dahe[0].id) == [helper.person_id]
    again = await client.post(
        f"/web/households/{town.dahe[0].id}/reassign",
        data={"csrf": csrf, "person": str(helper.person_id)},
    )
    assert again.status == 409
    nobody = await client.post(
        f"/web/households/{town.dahe[0].id}/reassign", data={"csrf": csrf, "person": "x"}
    )
    assert nobody.status == 400
    missing = await client.post(
        "/web/households/999999/reassign", data={"csrf": csrf, "person": str(helper.person_id)}
    )
    assert missing.status == 404
    no_csrf = await client.post(
        f"/web/households/{town.dahe[1].id}/reassign", data={"person": str(helper.person_id)}
    )
    assert no_csrf.status == 403
    assert await _holders(app, town.dahe[1].id) == [town.contact.person_id]


async def test_deactivating_ends_their_dashboard_session_and_lists_their_households(
    app: App, town: Town, client: TestClient
) -> None:
    async with TestClient(TestServer(build_web_app(app))) as admins_browser:
        await sign_in(admins_browser, app, town.admin)
        csrf = await sign_in(client, app, town.office)
        response = await client.post(
            f"/web/people/{town.admin.person_id}/deactivate", data={"csrf": csrf}
        )
        assert (await admins_browser.get("/web/")).status == 401  # signed out at once
    assert response.status == 200
    async with app.uow() as uow:
        person = await uow.session.get(Person, town.admin.person_id)
        assert person is not None and not person.active
        audit = await uow.session.execute(
            select(AuditEntry.action).where(
                AuditEntry.entity == "person", AuditEntry.entity_id == town.admin.person_id
            )
        )
        assert list(audit.scalars())[-1] == "deactivate"
    # the contact person's households become unassigned and are listed to reassign
    await client.post(f"/web/people/{town.contact.person_id}/deactivate", data={"csrf": csrf})
    page = await (await client.get("/web/people")).text()
    unassigned = page.split('id="unassigned"')[1].split("</section>")[0]
    assert "张桂英" in unassigned and "赵德明" in unassigned
    twice = await client.post(
        f"/web/people/{town.contact.person_id}/deactivate", data={"csrf": csrf}
    )
    assert twice.status == 409


async def test_a_new_invitation_link_is_shown_once_and_replaces_the_old(
    app: App, town: Town, client: TestClient
) -> None:
    dahe = town.dahe[0].village
    newcomer = await TownBuilder(app).person("刘新人", Role.CONTACT, dahe)
    csrf = await sign_in(client, app, town.office)
    no_name = await client.post(f"/web/people/{newcomer.person_id}/invite", data={"csrf": csrf})
    assert no_name.status == 409  # the bot has never started: no t.me link can be made
    async with app.uow() as uow:
        assert (await uow.session.execute(select(Invite))).first() is None

    await remember_bot_username(app, "bangfu_test_bot")
    first = await (
        await client.post(f"/web/people/{newcomer.person_id}/invite", data={"csrf": csrf})
    ).text()
    assert "https://t.me/bangfu_test_bot?start=" in first
    second = await client.post(f"/web/people/{newcomer.person_id}/invite", data={"csrf": csrf})
    assert second.status == 200
    async with app.uow() as uow:
        invites = list((await uow.session.execute(select(Invite).order_by(Invite.id))).scalars())
        now = uow.clock.now()
    assert len(invites) == 2 and invites[0].expires_at <= now < invites[1].expires_at
    page = await (await client.get("/web/people")).text()
    card = page.split(f'id="person-{newcomer.person_id}"')[1].split("</article>")[0]
    assert "已发送链接" in card and "https://t.me" not in page

    registered = await client.post(
        f"/web/people/{town.contact.person_id}/invite", data={"csrf": csrf}
    )
    assert registered.status == 409  # already uses the bot: no new link
