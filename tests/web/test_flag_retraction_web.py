"""A red flag whose contact was corrected after the town office had acted on it: the flag's
page asks the town office to keep or withdraw it, as the bot does, through the same use
case (decide_retraction); nobody else is offered the choice or may make it."""

from __future__ import annotations

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.core.contacts.contact_log import log_contact
from bot.core.contacts.corrections import Correction, correct_contact
from bot.core.flags.measures import add_measure
from bot.domain.model import FlagStatus
from bot.storage.models import AuditEntry, RedFlag
from bot.storage.uow import App
from tests.unit.test_contacts import draft
from tests.web.conftest import Town, sign_in


async def _asked(app: App, town: Town) -> RedFlag:
    """A housing problem raised a flag, the office added a measure, then the contact person
    corrected the contact: no problem after all."""
    household = town.dahe[0]
    logged = await log_contact(app, town.contact, draft(household, problems=["housing"]))
    async with app.uow() as uow:
        flag = (await uow.session.execute(select(RedFlag))).scalar_one()
    await add_measure(
        app, town.office, household.id, "housing", "危房改造", "镇村建办", flag_id=flag.id
    )
    await correct_contact(app, town.contact, logged.contact.id, Correction(problems=[]))
    return flag


async def _status(app: App, flag_id: int) -> str:
    async with app.uow() as uow:
        flag = await uow.session.get(RedFlag, flag_id)
        assert flag is not None
        return flag.status


async def test_the_town_office_keeps_the_flag_from_its_page(
    client: TestClient, app: App, town: Town
) -> None:
    flag = await _asked(app, town)
    csrf = await sign_in(client, app, town.office)
    page = await (await client.get(f"/web/flags/{flag.id}")).text()
    assert 'id="retraction"' in page and "保留这条预警，还是撤回" in page

    kept = await client.post(
        f"/web/flags/{flag.id}/retraction",
        data={"csrf": csrf, "decision": "keep"},
        allow_redirects=False,
    )
    assert kept.status == 303 and kept.headers["Location"] == f"/web/flags/{flag.id}?done=kept"
    after = await (await client.get(kept.headers["Location"])).text()
    assert "已保留这条红色预警" in after and 'id="retraction"' not in after  # answered
    assert await _status(app, flag.id) != FlagStatus.WITHDRAWN
    async with app.uow() as uow:
        actions = await uow.session.execute(
            select(AuditEntry.action).where(
                AuditEntry.entity == "red_flag", AuditEntry.entity_id == flag.id
            )
        )
        assert "keep" in list(actions.scalars())


async def test_the_town_office_withdraws_it_and_its_page_says_so(
    client: TestClient, app: App, town: Town
) -> None:
    flag = await _asked(app, town)
    csrf = await sign_in(client, app, town.office)
    withdrawn = await client.post(
        f"/web/flags/{flag.id}/retraction", data={"csrf": csrf, "decision": "withdraw"}
    )
    page = await withdrawn.text()
    assert withdrawn.status == 200, page
    assert "已撤回这条红色预警" in page and "<h2>已撤回" in page
    assert await _status(app, flag.id) == FlagStatus.WITHDRAWN
    again = await client.post(
        f"/web/flags/{flag.id}/retraction", data={"csrf": csrf, "decision": "keep"}
    )
    assert again.status == 409  # nothing left to decide


async def test_a_village_admin_is_not_offered_the_choice_and_may_not_make_it(
    client: TestClient, app: App, town: Town
) -> None:
    flag = await _asked(app, town)
    csrf = await sign_in(client, app, town.admin)
    page = await (await client.get(f"/web/flags/{flag.id}")).text()
    assert 'id="retraction"' not in page
    refused = await client.post(
        f"/web/flags/{flag.id}/retraction", data={"csrf": csrf, "decision": "withdraw"}
    )
    assert refused.status == 403
    assert await _status(app, flag.id) != FlagStatus.WITHDRAWN


async def test_no_choice_before_the_question_is_asked(
    client: TestClient, app: App, town: Town
) -> None:
    await log_contact(app, town.contact, draft(town.dahe[0], problems=["water"]))
    async with app.uow() as uow:
        flag = (await uow.session.execute(select(RedFlag))).scalar_one()
    await sign_in(client, app, town.office)
    page = await (await client.get(f"/web/flags/{flag.id}")).text()
    assert 'id="retraction"' not in page
