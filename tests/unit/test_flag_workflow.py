"""The town office acknowledges red flags and sets deadlines; forgotten flags come back."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.core.flags import acknowledgement as flag_workflow
from bot.core.flags.raising import raise_flag
from bot.core.policy import Actor
from bot.domain.model import FlagSource, FlagStatus, Role
from bot.errors import Conflict, InvalidInput, NotAllowed
from bot.messages import notices
from bot.messages.keyboards import FlagAction
from bot.storage.models import AuditEntry, Household, OutboxMessage, RedFlag
from bot.storage.uow import App
from tests.town_builder import TownBuilder


@dataclass
class Flagged:
    office: Actor
    contact: Actor
    admin: Actor
    household: Household
    flag_id: int


@pytest.fixture
async def flagged(app: App) -> Flagged:
    town = TownBuilder(app)
    village = await town.village("河口村")
    office = await town.person("周主任", role=Role.TOWN_OFFICE)
    admin = await town.person("孙书记", role=Role.VILLAGE_ADMIN, village=village)
    contact = await town.person("王建华", village=village)
    household = await town.household(village, "张桂英", contact)
    async with app.uow() as uow:
        flag = await raise_flag(uow, contact, household, FlagSource.CONTACT_PERSON, "户主因病住院")
        await uow.commit()
    return Flagged(office, contact, admin, household, flag.id)


async def alerts(app: App) -> list[OutboxMessage]:
    async with app.uow() as uow:
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.kind == "flag_alert")
            .order_by(OutboxMessage.id)
        )
        return list((await uow.session.execute(query)).scalars())


async def check_realerts(app: App) -> int:
    async with app.uow() as uow:
        count = await flag_workflow.queue_flag_realerts(uow, app.settings, app.clock.now())
        await uow.commit()
    return count


async def test_town_office_acknowledges_a_flag_and_who_and_when_are_recorded(
    app: App, flagged: Flagged, clock: FrozenClock
) -> None:
    clock.advance(minutes=5)
    view = await flag_workflow.acknowledge(app, flagged.office, flagged.flag_id)

    assert view.flag.status == FlagStatus.ACKNOWLEDGED
    assert view.flag.acknowledged_by_id == flagged.office.person_id
    assert view.flag.acknowledged_at == clock.now()
    assert view.acknowledged_by == "周主任"
    async with app.uow() as uow:
        audit = (
            await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "acknowledge"))
        ).scalar_one()
    assert (audit.actor_id, audit.entity, audit.entity_id) == (
        flagged.office.person_id,
        "red_flag",
        flagged.flag_id,
    )


async def test_only_the_town_office_may_acknowledge_or_set_a_deadline(
    app: App, flagged: Flagged
) -> None:
    for actor in (flagged.contact, flagged.admin):
        with pytest.raises(NotAllowed):
            await flag_workflow.acknowledge(app, actor, flagged.flag_id)
        with pytest.raises(NotAllowed):
            await flag_workflow.set_deadline(app, actor, flagged.flag_id, 7)
    async with app.uow() as uow:
        flag = await uow.session.get(RedFlag, flagged.flag_id)
    assert flag is not None
    assert (flag.status, flag.acknowledged_by_id, flag.deadline) == (FlagStatus.RAISED, None, None)


async def test_a_second_acknowledgement_names_the_first(app: App, flagged: Flagged) -> None:
    await flag_workflow.acknowledge(app, flagged.office, flagged.flag_id)
    with pytest.raises(Conflict) as refused:
        await flag_workflow.acknowledge(app, flagged.office, flagged.flag_id)
    assert "周主任" in refused.value.render()


async def test_two_clerks_pressing_acknowledge_at_once_record_one_acknowledgement(
    app: App, flagged: Flagged
) -> None:
    colleague = await TownBuilder(app).person("吴干事", role=Role.TOWN_OFFICE)

    outcomes = await asyncio.gather(
        flag_workflow.acknowledge(app, flagged.office, flagged.flag_id),
        flag_workflow.acknowledge(app, colleague, flagged.flag_id),
        return_exceptions=True,
    )

    [view] = [outcome for outcome in outcomes if isinstance(outcome, flag_workflow.FlagView)]
    [refused] = [outcome for outcome in outcomes if isinstance(outcome, Conflict)]
    winner = view.flag.acknowledged_by_id
    assert winner in {flagged.office.person_id, colleague.person_id}
    assert ("周主任" if winner == flagged.office.person_id else "吴干事") in refused.render()
    async with app.uow() as uow:
        audits = (
            await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "acknowledge"))
        ).scalars()
        assert [entry.actor_id for entry in audits] == [winner]


async def test_a_deadline_counts_from_today_and_acknowledges_an_unseen_flag(
    app: App, flagged: Flagged
) -> None:
    view = await flag_workflow.set_deadline(app, flagged.office, flagged.flag_id, 15)

    assert view.flag.deadline == date(2026, 3, 25)
    assert view.flag.status == FlagStatus.ACKNOWLEDGED
    assert view.flag.acknowledged_by_id == flagged.office.person_id
    with pytest.raises(InvalidInput):
        await flag_workflow.set_deadline(app, flagged.office, flagged.flag_id, 10)


async def test_a_deadline_stands_until_it_has_passed_then_a_new_one_may_be_set(
    app: App, flagged: Flagged, clock: FrozenClock
) -> None:
    await flag_workflow.set_deadline(app, flagged.office, flagged.flag_id, 7)  # by 17 March
    with pytest.raises(Conflict):  # a second press, or a colleague's, changes nothing
        await flag_workflow.set_deadline(app, flagged.office, flagged.flag_id, 30)
    clock.advance(days=7)  # 17 March: the last day
    with pytest.raises(Conflict):
        await flag_workflow.set_deadline(app, flagged.office, flagged.flag_id, 15)

    clock.advance(days=1)  # 18 March: passed
    view = await flag_workflow.set_deadline(app, flagged.office, flagged.flag_id, 15)

    assert view.flag.deadline == date(2026, 4, 2)
    async with app.uow() as uow:
        changes = (
            await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "set_deadline"))
        ).scalars()
        assert len(list(changes)) == 2


async def test_an_unacknowledged_flag_is_alerted_once_more_after_24_hours(
    app: App, flagged: Flagged, clock: FrozenClock
) -> None:
    clock.advance(hours=23, minutes=59)
    assert await check_realerts(app) == 0
    clock.advance(minutes=1)
    assert await check_realerts(app) == 1
    clock.advance(hours=30)
    assert await check_realerts(app) == 0

    first, repeat = await alerts(app)
    assert (first.payload["repeat"], repeat.payload["repeat"]) == (0, 1)
    assert repeat.payload["occasion"] == "unacknowledged" and repeat.urgent
    async with app.uow() as uow:
        [message] = await notices.flag_alert(uow, repeat, "zh")
    assert "再次提醒" in message.text and "24 小时" in message.text and "张桂英" in message.text

    # Acknowledged before the repeat went out: the repeat has nothing left to say.
    await flag_workflow.acknowledge(app, flagged.office, flagged.flag_id)
    async with app.uow() as uow:
        assert await notices.flag_alert(uow, repeat, "zh") == []


async def test_a_passed_deadline_brings_the_flag_back_marked_as_a_repeat(
    app: App, flagged: Flagged, clock: FrozenClock
) -> None:
    await flag_workflow.set_deadline(app, flagged.office, flagged.flag_id, 7)  # by 17 March
    clock.advance(days=7, hours=13)  # 17 March, 23:00: the last day is not over yet
    assert await check_realerts(app) == 0
    clock.advance(hours=1)  # 18 March
    assert await check_realerts(app) == 1
    assert await check_realerts(app) == 0

    repeat = (await alerts(app))[-1]
    assert repeat.payload["repeat"] == 1
    assert repeat.payload["occasion"] == "deadline:2026-03-17"
    assert not repeat.urgent  # held through quiet hours, unlike a new risk
    async with app.uow() as uow:
        [message] = await notices.flag_alert(uow, repeat, "en")
    assert "Repeat 1" in message.text and "2026-03-17" in message.text

    # A new deadline that passes too is a new occasion: repeat number 2.
    await flag_workflow.set_deadline(app, flagged.office, flagged.flag_id, 7)
    clock.advance(days=8)
    assert await check_realerts(app) == 1
    assert (await alerts(app))[-1].payload["repeat"] == 2


async def test_closed_flags_are_not_alerted_again(
    app: App, flagged: Flagged, clock: FrozenClock
) -> None:
    async with app.uow() as uow:
        flag = await uow.session.get(RedFlag, flagged.flag_id)
        assert flag is not None
        flag.status = FlagStatus.CLOSED
        flag.deadline = clock.today() - timedelta(days=1)
        await uow.commit()
    clock.advance(days=3)
    assert await check_realerts(app) == 0


async def test_the_alert_shows_the_household_and_buttons_for_acknowledging_and_deadlines(
    app: App, flagged: Flagged
) -> None:
    [first] = await alerts(app)
    async with app.uow() as uow:
        [message] = await notices.flag_alert(uow, first, "zh")
    assert "🚩" in message.text and "河口村" in message.text and "户主因病住院" in message.text
    assert "再次提醒" not in message.text
    pressed = [
        FlagAction.unpack(button.callback_data)
        for row in message.reply_markup.inline_keyboard
        for button in row
    ]
    assert [(press.action, press.days) for press in pressed] == [
        ("ack", 0),
        ("open", 0),
        ("deadline", 7),
        ("deadline", 15),
        ("deadline", 30),
    ]
