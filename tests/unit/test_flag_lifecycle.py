"""A red flag's removal: the village asks, the town reviews, the county decides, it closes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.core.delivery.kinds import MessageKind
from bot.core.flags import acknowledgement as flag_workflow
from bot.core.flags import county_decision
from bot.core.flags import removal as flag_lifecycle
from bot.core.flags.raising import raise_flag
from bot.core.flags.removal import FlagAct, StepKind
from bot.core.households.history import household_history
from bot.core.policy import Actor
from bot.domain.model import FlagSource, FlagStatus, Role
from bot.errors import Conflict, InvalidInput, NotAllowed
from bot.storage.models import AuditEntry, FlagStep, Household, OutboxMessage, RedFlag
from bot.storage.uow import App
from tests.town_builder import TownBuilder


@dataclass
class Flagged:
    office: Actor
    admin: Actor
    other_admin: Actor
    contact: Actor
    household: Household
    flag_id: int


@pytest.fixture
async def flagged(app: App) -> Flagged:
    town = TownBuilder(app)
    village = await town.village("河口村")
    other = await town.village("大河村")
    office = await town.person("周主任", role=Role.TOWN_OFFICE, telegram_user_id=9001)
    admin = await town.person("孙书记", Role.VILLAGE_ADMIN, village, telegram_user_id=9002)
    other_admin = await town.person("钱书记", Role.VILLAGE_ADMIN, other, telegram_user_id=9003)
    contact = await town.person("王建华", village=village, telegram_user_id=9004)
    household = await town.household(village, "张桂英", contact)
    async with app.uow() as uow:
        flag = await raise_flag(uow, contact, household, FlagSource.CONTACT_PERSON, "户主因病住院")
        await uow.commit()
    await flag_workflow.acknowledge(app, office, flag.id)
    return Flagged(office, admin, other_admin, contact, household, flag.id)


async def stored(app: App, flag_id: int) -> RedFlag:
    async with app.uow() as uow:
        flag = await uow.session.get(RedFlag, flag_id)
        assert flag is not None
        return flag


async def outbox(app: App, kind: str) -> list[OutboxMessage]:
    async with app.uow() as uow:
        query = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        return list((await uow.session.execute(query)).scalars())


async def test_village_admin_requests_removal_town_approves_county_decides_and_flag_closes(
    app: App, flagged: Flagged
) -> None:
    await flag_lifecycle.request_removal(
        app, flagged.admin, flagged.flag_id, "已纳入低保，收入稳定"
    )
    assert (await stored(app, flagged.flag_id)).status == FlagStatus.REMOVAL_REQUESTED
    assert [row.recipient for row in await outbox(app, MessageKind.FLAG_REMOVAL_REQUEST)] == [
        f"person:{flagged.office.person_id}"
    ]

    await flag_lifecycle.review_removal(app, flagged.office, flagged.flag_id, approve=True)
    panel = await flag_lifecycle.flag_panel(app, flagged.office, flagged.flag_id)
    assert panel.awaiting_county and panel.acts == [FlagAct.ADD_MEASURE, FlagAct.COUNTY_DECISION]

    await county_decision.record_county_decision(
        app, flagged.office, flagged.flag_id, date(2026, 3, 10), "霍政〔2026〕12号"
    )
    flag = await stored(app, flagged.flag_id)
    assert flag.status == FlagStatus.CLOSED
    assert flag.closed_at == app.clock.now()
    assert (flag.county_decided_on, flag.county_document) == (date(2026, 3, 10), "霍政〔2026〕12号")

    history = await household_history(app, flagged.contact, flagged.household.id)
    kinds = [step.kind for step in history.flags[0].steps]
    assert kinds == [
        StepKind.REMOVAL_REQUESTED,
        StepKind.REMOVAL_APPROVED,
        StepKind.COUNTY_DECISION,
    ]
    decisions = await outbox(app, MessageKind.FLAG_DECISION)
    recipients = {row.recipient for row in decisions}
    assert recipients == {
        f"person:{flagged.admin.person_id}",
        f"person:{flagged.contact.person_id}",
    }
    assert len(decisions) == 4  # approval and county decision, each to the admin and the contact
    async with app.uow() as uow:
        actions = (
            await uow.session.execute(
                select(AuditEntry.action)
                .where(AuditEntry.entity == "red_flag")
                .order_by(AuditEntry.id)
            )
        ).scalars()
        assert list(actions) == [
            "create",
            "acknowledge",
            "removal_requested",
            "removal_approved",
            "county_decision",
        ]


async def test_a_rejected_removal_goes_back_to_acknowledged_and_the_rejection_is_kept(
    app: App, flagged: Flagged
) -> None:
    await flag_lifecycle.request_removal(app, flagged.admin, flagged.flag_id, "风险已消除")
    with pytest.raises(InvalidInput):
        await flag_lifecycle.review_removal(app, flagged.office, flagged.flag_id, approve=False)

    await flag_lifecycle.review_removal(
        app, flagged.office, flagged.flag_id, approve=False, reason="收入未稳定超过六个月"
    )

    assert (await stored(app, flagged.flag_id)).status == FlagStatus.ACKNOWLEDGED
    async with app.uow() as uow:
        steps = list((await uow.session.execute(select(FlagStep).order_by(FlagStep.id))).scalars())
    assert [(s.kind, s.reason) for s in steps] == [
        (StepKind.REMOVAL_REQUESTED, "风险已消除"),
        (StepKind.REMOVAL_REJECTED, "收入未稳定超过六个月"),
    ]
    # The village may ask again later.
    await flag_lifecycle.request_removal(app, flagged.admin, flagged.flag_id, "已稳定六个月")
    assert (await stored(app, flagged.flag_id)).status == FlagStatus.REMOVAL_REQUESTED


async def test_only_the_village_admin_of_the_households_village_may_request_removal(
    app: App, flagged: Flagged
) -> None:
    for actor in (flagged.contact, flagged.office):
        with pytest.raises(NotAllowed):
            await flag_lifecycle.request_removal(app, actor, flagged.flag_id, "风险已消除")
    with pytest.raises(NotAllowed):  # another village's admin cannot even read the household
        await flag_lifecycle.request_removal(app, flagged.other_admin, flagged.flag_id, "x")
    assert (await stored(app, flagged.flag_id)).status == FlagStatus.ACKNOWLEDGED


async def test_only_the_town_office_reviews_and_records_the_county_decision(
    app: App, flagged: Flagged
) -> None:
    await flag_lifecycle.request_removal(app, flagged.admin, flagged.flag_id, "风险已消除")
    with pytest.raises(NotAllowed):
        await flag_lifecycle.review_removal(app, flagged.admin, flagged.flag_id, approve=True)
    with pytest.raises(Conflict):  # not approved yet
        await county_decision.record_county_decision(
            app, flagged.office, flagged.flag_id, date(2026, 3, 9), "霍政〔2026〕12号"
        )
    await flag_lifecycle.review_removal(app, flagged.office, flagged.flag_id, approve=True)
    with pytest.raises(NotAllowed):
        await county_decision.record_county_decision(
            app, flagged.admin, flagged.flag_id, date(2026, 3, 9), "霍政〔2026〕12号"
        )
    with pytest.raises(InvalidInput):
        await county_decision.record_county_decision(
            app, flagged.office, flagged.flag_id, date(2026, 3, 11), "霍政〔2026〕12号"
        )
    assert (await stored(app, flagged.flag_id)).status == FlagStatus.REMOVAL_REQUESTED


async def test_removal_cannot_be_requested_before_the_town_acknowledges(
    app: App, flagged: Flagged
) -> None:
    async with app.uow() as uow:
        household = await uow.session.get(Household, flagged.household.id)
        assert household is not None
        flag = await raise_flag(uow, flagged.contact, household, FlagSource.RULE, "收入低于监测线")
        await uow.commit()
    with pytest.raises(Conflict):
        await flag_lifecycle.request_removal(app, flagged.admin, flag.id, "风险已消除")


async def test_the_village_admin_sees_only_the_flags_of_their_village(
    app: App, flagged: Flagged
) -> None:
    assert [p.flag.id for p in await flag_lifecycle.open_flag_panels(app, flagged.admin)] == [
        flagged.flag_id
    ]
    assert await flag_lifecycle.open_flag_panels(app, flagged.other_admin) == []
    panel = (await flag_lifecycle.open_flag_panels(app, flagged.admin))[0]
    assert panel.acts == [FlagAct.ADD_MEASURE, FlagAct.REQUEST_REMOVAL]


async def test_a_county_decision_dated_before_the_flag_or_the_towns_approval_is_refused(
    app: App, flagged: Flagged, clock: FrozenClock
) -> None:
    """Raised on 03-10, approved by the town on 03-14: the county cannot have decided on the
    9th or the 12th, nor tomorrow; and a decision needs its document number."""
    await flag_lifecycle.request_removal(app, flagged.admin, flagged.flag_id, "风险已消除")
    clock.advance(days=4)
    await flag_lifecycle.review_removal(app, flagged.office, flagged.flag_id, approve=True)
    clock.advance(days=2)  # today is 03-16

    refusals = {
        date(2026, 3, 9): "早于这条红色预警的标注日期（2026-03-10）",
        date(2026, 3, 12): "早于镇里同意销号的日期（2026-03-14）",
        date(2026, 3, 17): "2026-03-17",
    }
    for day, why in refusals.items():
        with pytest.raises(InvalidInput) as refused:
            await county_decision.check_county_decision(
                app, flagged.office, flagged.flag_id, day, "霍政〔2026〕12号"
            )
        assert why in refused.value.render()
        with pytest.raises(InvalidInput):
            await county_decision.record_county_decision(
                app, flagged.office, flagged.flag_id, day, "霍政〔2026〕12号"
            )
    with pytest.raises(InvalidInput):
        await county_decision.check_county_decision(
            app, flagged.office, flagged.flag_id, date(2026, 3, 15), "  "
        )
    assert (await stored(app, flagged.flag_id)).status == FlagStatus.REMOVAL_REQUESTED
    assert (
        await county_decision.check_county_decision(
            app, flagged.office, flagged.flag_id, date(2026, 3, 14), " 霍政〔2026〕12号 "
        )
        == "霍政〔2026〕12号"
    )
