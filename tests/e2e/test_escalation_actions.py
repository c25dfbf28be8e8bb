"""Escalations one can act on (issue 9, point 6): the village list on the 27th and the town
list on the last day name each contact person with how many households are left, and offer
🔔 remind this person now (once a day, audited, only in one's scope), 📋 their households
(open one; the town office reassigns). The "never opened the invitation" notice gives the
clerk a button for a new link to forward, not a command line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.clock import FrozenClock
from bot.core.coverage.reminders import queue_people_to_reassign
from bot.domain.model import Role
from bot.storage.models import AuditEntry, Household, Person
from bot.storage.uow import App
from bot.telegram.session import pacer_of
from scheduler.catchup import catch_up
from scheduler.sender import OutboxSender
from tests.telegram_api import TelegramUser
from tests.telegram_api.chats import BotMessage


def at(day: int, hour: int = 9) -> datetime:
    return datetime.combine(date(2026, 3, day), time(hour), ZoneInfo("Asia/Shanghai"))


@dataclass
class Town:
    admin: TelegramUser  # 孙书记, village admin of 东冲村
    clerk: TelegramUser  # 周主任, town office
    wang: TelegramUser  # 王建国, contact person with three households in 东冲村
    wang_person: Person
    li_person: Person  # 李秀英: invited, never opened the link
    zhao_person: Person  # 赵六, a contact person in another village
    sender: OutboxSender


@pytest.fixture
async def town(
    app: App, clock: FrozenClock, running_bot, make_user, register_person, add_household, assign
) -> Town:  # type: ignore[no-untyped-def]
    admin = make_user("孙书记")
    await register_person("孙书记", Role.VILLAGE_ADMIN, village="东冲村", telegram_user=admin)
    clerk = make_user("周主任")
    await register_person("周主任", Role.TOWN_OFFICE, telegram_user=clerk)
    wang = make_user("王建国")
    wang_person = await register_person("王建国", village="东冲村", telegram_user=wang)
    for head in ("张桂英", "陈德明", "周玉珍"):
        await assign(await add_household(head), wang_person)
    li_person = await register_person("李秀英", village="东冲村")
    for head in ("吴长林", "徐秀英"):
        await assign(await add_household(head), li_person)
    await add_household("钱多多")  # nobody's household
    zhao = make_user("赵六")
    zhao_person = await register_person("赵六", village="河口村", telegram_user=zhao)
    await assign(await add_household("孙建国", village="河口村"), zhao_person)
    for user in (admin, clerk, wang):
        await user.send("/help")
        user.read_all()
    pacer_of(running_bot.bot).chat_limits = False  # content, not pacing
    return Town(
        admin, clerk, wang, wang_person, li_person, zhao_person, OutboxSender(app, running_bot.bot)
    )


def find(user: TelegramUser, contains: str) -> BotMessage:
    """The one message among those unread that contains `contains` (the scheduler's catch-up
    also sends the other jobs' messages of the day)."""
    found = [message for message in user.read_all() if contains in message.text]
    assert len(found) == 1, f"{contains!r} in {[m.text[:40] for m in user.messages]}"
    return found[0]


async def wake(app: App, clock: FrozenClock, town: Town, moment: datetime) -> None:
    clock.set(moment)
    await catch_up(app)
    await town.sender.drain_once()


async def test_village_admin_reminds_a_contact_person_from_the_27th_list_once_a_day(
    app: App, clock: FrozenClock, town: Town
) -> None:
    await wake(app, clock, town, at(27))
    listing = await town.admin.expect("东冲村：本月还有 6 户没有联系")
    assert "下面" not in listing.text
    assert (
        "👤 王建国：还剩 3 户\n    陈德明（一组）、张桂英（一组）、周玉珍（一组）" in listing.text
    )
    assert "👤 李秀英：还剩 2 户" in listing.text
    assert "👤 未分配帮扶联系人：还剩 1 户\n    钱多多（一组）" in listing.text
    assert listing.button_texts == [
        "🔔 提醒李秀英", "📋 李秀英（2 户）",
        "🔔 提醒王建国", "📋 王建国（3 户）",
        "📋 未分配帮扶联系人（1 户）",
    ]  # fmt: skip
    town.wang.read_all()  # the 27th's own digest

    answer = await town.admin.press("🔔 提醒王建国", listing)
    assert answer is not None and "已提醒 王建国" in (answer.text or "")
    await town.admin.expect("已提醒 王建国：会收到一条私信，列出还没联系的 3 户")
    await town.sender.drain_once()
    nudge = await town.wang.expect("🔔 孙书记 提醒您：")
    assert "本月还有 3 户没有联系" in nudge.text
    await town.wang.press("✍️ 陈德明（一组）", nudge)
    assert "这次是怎么联系的" in town.wang.last_message.text
    town.wang.read_all()

    again = await town.admin.press("🔔 提醒王建国", listing)
    assert again is not None and again.show_alert
    assert "今天已经提醒过 王建国 了" in (again.text or "")
    await town.sender.drain_once()
    await town.wang.expect_no_message()

    # Reminding someone who never opened the bot says what to do instead.
    refused = await town.admin.press("🔔 提醒李秀英", listing)
    assert refused is not None and "该联系人还没有打开邀请链接" in (refused.text or "")
    # A forged press for a contact person of another village: nothing sent, nothing said.
    forged = await town.admin.press_data(f"rn:{town.zhao_person.id}", listing)
    assert forged is not None and forged.show_alert
    async with app.uow() as uow:
        audited = (
            await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "reminded"))
        ).scalars()
        assert [(a.actor_label, a.entity_id) for a in audited] == [("孙书记", town.wang_person.id)]

    # 📋 opens the person's households left; a village admin opens, but does not reassign.
    await town.admin.press("📋 王建国（3 户）", listing)
    households = await town.admin.expect("👤 王建国：本月还有 3 户没有联系")
    assert "🏠 张桂英（一组）" in households.button_texts
    assert "👤 改派" not in households.button_texts
    await town.admin.press("🏠 张桂英（一组）", households)
    await town.admin.expect("张桂英")

    # The next day the admin may remind again.
    await wake(app, clock, town, at(28))
    town.wang.read_all()
    again = await town.admin.press("🔔 提醒王建国", listing)
    assert again is not None and not again.show_alert


async def test_town_office_reassigns_from_the_last_days_list_and_reads_it_in_english(
    app: App, clock: FrozenClock, town: Town, make_user, register_person
) -> None:  # type: ignore[no-untyped-def]
    tom = make_user("Tom", language_code="en")  # a clerk who reads English
    await register_person("Tom", Role.TOWN_OFFICE, telegram_user=tom, language="en")
    await wake(app, clock, town, at(31))
    listing = find(town.clerk, "全镇本月还有 7 户没有联系")
    assert "下面" not in listing.text
    assert "🏘 东冲村（6 户）" in listing.text and "🏘 河口村（1 户）" in listing.text
    assert "🔔 提醒赵六" in listing.button_texts

    await town.clerk.press("📋 王建国（3 户）", listing)
    households = await town.clerk.expect("👤 王建国：本月还有 3 户没有联系")
    assert households.button_texts[:2] == ["🏠 陈德明（一组）", "👤 改派"]
    await town.clerk.press("👤 改派", households)
    await town.clerk.expect("由谁来做这户的帮扶联系人？")

    english = find(tom, "Town: households not contacted yet this month: 7")
    assert "👤 王建国: 3 left" in english.text
    assert "🔔 Remind 王建国" in english.button_texts and "below" not in english.text


async def test_a_clerk_sends_a_new_invitation_link_from_the_never_opened_notice(
    app: App, clock: FrozenClock, town: Town, make_user
) -> None:  # type: ignore[no-untyped-def]
    async with app.uow() as uow:
        await uow.session.execute(
            update(Person)
            .where(Person.id == town.li_person.id)
            .values(unreachable_since=clock.now())
        )
        await queue_people_to_reassign(uow, app.settings, uow.clock.this_month(), clock.now())
        await uow.commit()
    await town.sender.drain_once()
    notice = await town.clerk.expect("李秀英（东冲村）还没有打开邀请链接")
    assert "bangfu" not in notice.text and "他" not in notice.text and "她" not in notice.text
    assert "该联系人" in notice.text

    await town.clerk.press("🔗 生成新邀请链接", notice)
    await town.clerk.expect("已为 李秀英 生成新的邀请链接")
    forward = await town.clerk.expect("李秀英，您好！")
    code = re.search(r"https://t\.me/\w+\?start=(\S+)", forward.text)
    assert code is not None

    li = make_user("李秀英")
    await li.send(f"/start {code.group(1)}")
    await li.expect("李秀英")
    async with app.uow() as uow:
        person = await uow.session.get(Person, town.li_person.id)
        assert person is not None and person.telegram_user_id == li.id
        assert (
            await uow.session.execute(select(Household.id).where(Household.head_name == "吴长林"))
        ).scalar_one()
