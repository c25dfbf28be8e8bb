"""A red flag reaches the town office's group; someone there presses the buttons under it.

The alert goes through the real outbox sender to the Bot API stand-in, the presses come back
through the real dispatcher, and a forgotten flag comes back when its job runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import select

from bot.core.flags.raising import report_risk
from bot.core.flags.removal import request_removal, review_removal
from bot.domain.model import FlagStatus, Role
from bot.storage.models import AuditEntry, OutboxMessage, Person, RedFlag
from bot.storage.uow import App
from scheduler.catchup import run_if_due
from scheduler.jobs import JOBS
from tests.e2e.conftest import RunningBot
from tests.e2e.hekou import Hekou, actor, unpaced_delivery
from tests.telegram_api import FakeTelegram, TelegramGroup, TelegramUser

TOWN_OFFICE_GROUP = -1001234567
pytestmark = pytest.mark.office_group(TOWN_OFFICE_GROUP)


@dataclass
class Office:
    group: TelegramGroup
    director: TelegramUser  # 周主任, town office
    contact: TelegramUser  # 王建华, a contact person who is in the group too
    flag_id: int
    deliver: Callable[[], Awaitable[int]]
    people: dict[str, Person]  # the roster by name (孙书记, the village admin)


@pytest.fixture
async def office(
    app: App,
    telegram: FakeTelegram,
    running_bot: RunningBot,
    hekou_town: Hekou,
) -> Office:
    group = TelegramGroup(telegram, "佛子岭镇扶贫办", chat_id=TOWN_OFFICE_GROUP)
    town = hekou_town
    wang = actor(town.people["王建华"])
    flag = await report_risk(app, wang, town.zhang.id, "户主因病住院")
    deliver = unpaced_delivery(app, running_bot)
    return Office(group, town.users["周主任"], town.users["王建华"], flag.id, deliver, town.people)


async def stored_flag(app: App, flag_id: int) -> RedFlag:
    async with app.uow() as uow:
        flag = await uow.session.get(RedFlag, flag_id)
        assert flag is not None
        return flag


async def test_the_town_office_acknowledges_the_alert_in_its_group_and_who_is_recorded(
    app: App, office: Office
) -> None:
    await office.deliver()
    alert = await office.group.expect("🚩 红色预警")
    assert "张桂英" in alert.text and "河口村" in alert.text and "户主因病住院" in alert.text
    assert alert.button_texts == ["✅ 签收", "📋 详情", "⏱ 7 天", "⏱ 15 天", "⏱ 30 天"]

    answer = await office.director.press("✅ 签收", alert, chat=office.group)

    assert answer is not None and "已签收" in answer.text
    edited = await office.group.next_message()
    assert edited.edited and edited.message_id == alert.message_id
    assert edited.button_texts == ["📋 详情", "⏱ 7 天", "⏱ 15 天", "⏱ 30 天"]  # no ✅ now
    # The alert itself now says who acknowledged it and what is next, not "请先点签收".
    assert "✅ 已签收：周主任" in edited.text and "请设定消除风险的期限" in edited.text
    assert "请先点“签收”" not in edited.text and "张桂英" in edited.text
    note = await office.group.expect("周主任 已签收")
    assert "张桂英" in note.text
    flag = await stored_flag(app, office.flag_id)
    assert flag.status == FlagStatus.ACKNOWLEDGED
    async with app.uow() as uow:
        director = (
            await uow.session.execute(select(Person).where(Person.name == "周主任"))
        ).scalar_one()
        audit = (
            await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "acknowledge"))
        ).scalar_one()
    assert flag.acknowledged_by_id == director.id == audit.actor_id
    assert flag.acknowledged_at == app.clock.now()


async def test_a_deadline_edits_the_alert_and_its_buttons_post_nothing_twice(
    app: App, office: Office
) -> None:
    await office.deliver()
    alert = await office.group.expect("🚩 红色预警")

    await office.director.press("⏱ 15 天", alert, chat=office.group)

    edited = await office.group.next_message()
    assert edited.edited and edited.message_id == alert.message_id
    assert "✅ 已签收：周主任" in edited.text and "⏱ 消除风险期限：2026-03-25" in edited.text
    assert "请设定" not in edited.text and "📋 详情" in edited.text
    assert edited.button_texts == ["📋 详情"]  # nothing left to press here but the card
    await office.group.expect("2026-03-25 前消除风险")

    # A press that raced the edit (the old buttons, as first sent) changes and posts nothing.
    for label in ("⏱ 7 天", "⏱ 15 天", "✅ 签收"):
        data = alert.button_data(label)
        assert data is not None
        answer = await office.director.press_data(data, alert)
        assert answer is not None and answer.show_alert, label
        assert "已经设定" in answer.text or "确认过了" in answer.text, label
    await office.group.expect_no_message()
    assert (await stored_flag(app, office.flag_id)).deadline == date(2026, 3, 25)


async def test_the_alert_edited_in_english_reads_as_the_flags_state(
    app: App,
    office: Office,
    make_user,
    register_person,  # type: ignore[no-untyped-def]
) -> None:
    await office.deliver()
    alert = await office.group.expect("🚩 红色预警")
    clerk = make_user("Li Na", language_code="en")
    await register_person("Li Na", Role.TOWN_OFFICE, telegram_user=clerk, language="en")

    await clerk.press("✅ 签收", alert, chat=office.group)

    edited = await office.group.next_message()
    assert "✅ Acknowledged by Li Na" in edited.text
    assert "Please set a deadline to remove the risk." in edited.text


async def test_a_contact_person_pressing_the_alert_is_refused_and_nothing_changes(
    app: App, office: Office
) -> None:
    await office.deliver()
    alert = await office.group.expect("🚩 红色预警")

    answer = await office.contact.press("✅ 签收", alert, chat=office.group)

    assert answer is not None and answer.show_alert
    assert "只有镇扶贫办" in answer.text
    flag = await stored_flag(app, office.flag_id)
    assert (flag.status, flag.acknowledged_by_id) == (FlagStatus.RAISED, None)
    await office.group.expect_no_message()


async def test_an_alert_nobody_acknowledges_comes_back_once_after_24_hours(
    app: App, office: Office, clock
) -> None:  # type: ignore[no-untyped-def]
    realerts = JOBS["flag_realerts"]
    await office.deliver()
    await office.group.expect("🚩 红色预警")

    clock.advance(hours=23, minutes=50)
    await run_if_due(app, realerts)
    await office.deliver()
    await office.group.expect_no_message()

    clock.advance(minutes=10)
    await run_if_due(app, realerts)
    await office.deliver()
    repeat = await office.group.expect("再次提醒（第 1 次）")
    assert "24 小时" in repeat.text and "张桂英" in repeat.text
    assert "✅ 签收" in repeat.button_texts

    clock.advance(hours=5)
    await run_if_due(app, realerts)
    await office.deliver()
    await office.group.expect_no_message()


async def test_a_passed_deadline_sends_the_alert_again_marked_as_a_repeat(
    app: App, office: Office, clock
) -> None:  # type: ignore[no-untyped-def]
    await office.deliver()
    alert = await office.group.expect("🚩 红色预警")
    answer = await office.director.press("⏱ 7 天", alert, chat=office.group)
    assert answer is not None and "2026-03-17" in answer.text
    assert (await office.group.next_message()).edited
    await office.group.expect("周主任 为 河口村 张桂英（一组） 设定了期限：2026-03-17 前消除风险")
    assert (await stored_flag(app, office.flag_id)).deadline == date(2026, 3, 17)

    clock.advance(days=7)  # 17 March: still within the deadline
    await run_if_due(app, JOBS["flag_realerts"])
    await office.deliver()
    await office.group.expect_no_message()

    clock.advance(days=1)  # 18 March, 10:00
    await run_if_due(app, JOBS["flag_realerts"])
    await office.deliver()
    repeat = await office.group.expect("再次提醒（第 1 次）")
    assert "期限 2026-03-17 已过" in repeat.text
    assert "✅ 已签收：周主任" in repeat.text
    assert repeat.button_texts == ["📋 详情", "⏱ 7 天", "⏱ 15 天", "⏱ 30 天"]


async def seven_days_to_remove_the_risk(office: Office) -> None:
    """The alert arrives in the group and 周主任 gives the village 7 days (to 03-17)."""
    await office.deliver()
    alert = await office.group.expect("🚩 红色预警")
    await office.director.press("⏱ 7 天", alert, chat=office.group)


async def test_a_flag_whose_removal_is_asked_for_is_not_chased_by_its_deadline(
    app: App, office: Office, clock
) -> None:  # type: ignore[no-untyped-def]
    await seven_days_to_remove_the_risk(office)
    office.group.read_all()
    clock.advance(days=8)  # 18 March: the deadline of the 17th has passed
    await run_if_due(app, JOBS["flag_realerts"])
    await office.deliver()
    repeat = await office.group.expect("再次提醒（第 1 次）")
    assert "⏱ 15 天" in repeat.button_texts

    # The village asks for removal: the repeat's ⏱ buttons now refuse, and say why.
    admin = actor(office.people["孙书记"])
    await request_removal(app, admin, office.flag_id, "已报销医药费，收入恢复")
    await office.deliver()
    office.group.read_all()
    refused = await office.director.press("⏱ 15 天", repeat, chat=office.group)
    assert refused is not None and refused.show_alert
    assert "村里已经申请销号" in (refused.text or "")
    assert (await stored_flag(app, office.flag_id)).deadline == date(2026, 3, 17)

    # Approved by the town: still no new deadline, with the right reason.
    await review_removal(app, actor(office.people["周主任"]), office.flag_id, approve=True)
    await office.deliver()
    refused = await office.director.press("⏱ 30 天", repeat, chat=office.group)
    assert refused is not None and "等县里审定" in (refused.text or "")
    assert (await stored_flag(app, office.flag_id)).deadline == date(2026, 3, 17)


async def test_no_deadline_reminder_once_the_village_asked_for_removal(
    app: App, office: Office, clock
) -> None:  # type: ignore[no-untyped-def]
    await seven_days_to_remove_the_risk(office)
    clock.advance(days=2)
    await request_removal(app, actor(office.people["孙书记"]), office.flag_id, "已经解决")
    await office.deliver()
    office.group.read_all()

    clock.advance(days=6)  # 18 March: past the deadline, but the town's review is next
    await run_if_due(app, JOBS["flag_realerts"])
    await office.deliver()
    await office.group.expect_no_message()
    async with app.uow() as uow:
        realerts = await uow.session.execute(
            select(OutboxMessage.key).where(OutboxMessage.key.like("flag:%:alert:%"))
        )
        assert [key.split("@")[0] for key in realerts.scalars()] == ["flag:1:alert:0"]
