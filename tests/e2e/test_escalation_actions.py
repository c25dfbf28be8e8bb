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
from bot.storage.models import Assignment, AuditEntry, Household, Invite, Person
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


async def tell_office_li_never_opened(app: App, clock: FrozenClock, town: Town) -> None:
    """The people check finds 李秀英 unreachable: the office gets the "never opened" notice."""
    async with app.uow() as uow:
        await uow.session.execute(
            update(Person)
            .where(Person.id == town.li_person.id)
            .values(unreachable_since=clock.now())
        )
        await queue_people_to_reassign(uow, app.settings, uow.clock.this_month(), clock.now())
        await uow.commit()
    await town.sender.drain_once()


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
        "📋 李秀英（2 户）",  # never opened the bot: no 🔔, the 🔗 notice covers her
        "🔔 提醒王建国", "📋 王建国（3 户）",
        "📋 未分配帮扶联系人（1 户）",
    ]  # fmt: skip
    town.wang.read_all()  # the 27th's own digest

    answer = await town.admin.press("🔔 提醒王建国", listing)
    assert answer is not None and "已提醒 王建国" in (answer.text or "")
    said = await town.admin.expect("已提醒 王建国：会收到一条私信，列出还没联系的 3 户")
    assert "免打扰" not in said.text  # 09:00 is not the quiet hours
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

    # A forged 🔔 for someone who never opened the bot says what to do instead.
    refused = await town.admin.press_data(f"rn:{town.li_person.id}", listing)
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
    await town.admin.press("📋 李秀英（2 户）", listing)
    hers = await town.admin.expect("👤 李秀英：本月还有 2 户没有联系")
    assert not any(label.startswith("🔔") for label in hers.button_texts)
    await town.admin.press("📋 王建国（3 户）", listing)
    households = await town.admin.expect("👤 王建国：本月还有 3 户没有联系")
    assert "🔔 提醒王建国" in households.button_texts
    assert "🏠 张桂英（一组）" in households.button_texts
    assert "👤 改派" not in households.button_texts
    await town.admin.press("🏠 张桂英（一组）", households)
    await town.admin.expect("张桂英")

    # The next day the admin may remind again.
    await wake(app, clock, town, at(28))
    town.wang.read_all()
    again = await town.admin.press("🔔 提醒王建国", listing)
    assert again is not None and not again.show_alert


async def test_reminding_someone_with_nothing_left_says_so_and_sends_nothing(
    app: App, clock: FrozenClock, town: Town
) -> None:
    await wake(app, clock, town, at(27))
    listing = await town.admin.expect("东冲村：本月还有 6 户没有联系")
    town.wang.read_all()
    async with app.uow() as uow:  # 王建国's households moved on since the list was sent
        await uow.session.execute(
            update(Assignment)
            .where(Assignment.person_id == town.wang_person.id)
            .values(ended_at=clock.now())
        )
        await uow.commit()

    answer = await town.admin.press("🔔 提醒王建国", listing)
    assert answer is not None and answer.show_alert
    assert answer.text == "没有要办的了：该联系人名下的农户本月都已联系。"
    await town.sender.drain_once()
    await town.wang.expect_no_message()


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
    assert "没有联系人的农户，请今天就指定联系人" in listing.text  # 钱多多 has nobody

    await town.clerk.press("📋 王建国（3 户）", listing)
    households = await town.clerk.expect("👤 王建国：本月还有 3 户没有联系")
    assert households.button_texts[:2] == ["🏠 陈德明（一组）", "👤 改派"]
    await town.clerk.press("👤 改派", households)
    await town.clerk.expect("由谁来做 东冲村 陈德明（一组） 的帮扶联系人？现在的联系人：王建国。")
    confirm = await town.clerk.press("李秀英（2 户）")
    assert confirm is not None
    await town.clerk.expect(
        "把 东冲村 陈德明（一组） 交给 李秀英 联系？原来的联系人 王建国 从现在起不再负责这户。"
    )

    english = find(tom, "Town: households not contacted yet this month: 7")
    assert "👤 王建国: 3 left" in english.text
    assert "🔔 Remind 王建国" in english.button_texts and "below" not in english.text


async def test_the_last_days_list_asks_for_contact_persons_only_when_some_are_missing(
    app: App, clock: FrozenClock, town: Town, assign
) -> None:  # type: ignore[no-untyped-def]
    async with app.uow() as uow:
        nobodys = await uow.session.scalar(select(Household).where(Household.head_name == "钱多多"))
    assert nobodys is not None
    await assign(nobodys, town.wang_person)

    await wake(app, clock, town, at(31))

    listing = find(town.clerk, "全镇本月还有 7 户没有联系")
    assert "未分配帮扶联系人" not in listing.text
    assert "指定联系人" not in listing.text


async def test_on_the_20th_people_who_never_opened_their_link_come_in_one_message(
    app: App, clock: FrozenClock, town: Town, register_person, add_household, assign
) -> None:  # type: ignore[no-untyped-def]
    for name, head in (("刘芳", "何大林"), ("陈国庆", "郑小梅")):
        await assign(await add_household(head), await register_person(name, village="东冲村"))

    await wake(app, clock, town, at(20))

    notices = [m for m in town.clerk.read_all() if "还没有打开邀请链接" in m.text]
    assert len(notices) == 1, [m.text for m in notices]
    [notice] = notices
    assert "这 3 位帮扶联系人还没有打开邀请链接" in notice.text
    assert "• 李秀英（东冲村）：名下 2 户" in notice.text
    assert "• 刘芳（东冲村）：名下 1 户" in notice.text and "陈国庆（东冲村）" in notice.text
    assert sorted(notice.button_texts) == sorted(["🔗 李秀英", "🔗 刘芳", "🔗 陈国庆"])
    # Each button is the usual new-link button for its own person.
    await town.clerk.press("🔗 刘芳", notice)
    await town.clerk.expect("已为 刘芳 生成新的邀请链接")


async def test_a_clerk_sends_a_new_invitation_link_from_the_never_opened_notice(
    app: App, clock: FrozenClock, town: Town, make_user
) -> None:  # type: ignore[no-untyped-def]
    await tell_office_li_never_opened(app, clock, town)
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


async def test_a_new_link_pressed_in_the_office_group_goes_only_to_the_clerks_private_chat(
    app: App, clock: FrozenClock, town: Town, telegram, town_office_group
) -> None:  # type: ignore[no-untyped-def]
    group = town_office_group
    await tell_office_li_never_opened(app, clock, town)
    notice = await group.expect("李秀英（东冲村）还没有打开邀请链接")

    # A clerk who never opened a private chat with the bot: no link anywhere, none replaced.
    before = await invites_of(app, town.li_person)
    telegram.block(town.clerk.id)
    refused = await town.clerk.press("🔗 生成新邀请链接", notice, chat=group)
    assert refused is not None and refused.show_alert and "没法私聊您" in (refused.text or "")
    said = await group.next_message()
    assert said.text.startswith("周主任：我没法私聊您") and "/start" in said.text
    assert await invites_of(app, town.li_person) == before

    telegram.unblock(town.clerk.id)
    town.clerk.read_all()
    await town.clerk.press("🔗 生成新邀请链接", notice, chat=group)
    sent = await group.next_message()
    assert sent.text == (
        "周主任：给 李秀英 的新邀请链接已经私聊发给您了（链接是该联系人自己的，不要发在群里）。"
    )
    assert not any("t.me/" in message.text for message in group.messages)
    await town.clerk.expect("已为 李秀英 生成新的邀请链接")
    forward = await town.clerk.expect("李秀英，您好！")
    code = re.search(r"https://t\.me/\w+\?start=(\S+)", forward.text)
    assert code is not None
    assert len(await invites_of(app, town.li_person)) == len(before) + 1

    # A contact person in the group gets no link for someone else, whether or not the bot
    # can write to them, and the group hears nothing of it.
    telegram.block(town.wang.id)
    denied = await town.wang.press("🔗 生成新邀请链接", notice, chat=group)
    assert denied is not None and denied.show_alert and "没法私聊" not in (denied.text or "")
    telegram.unblock(town.wang.id)
    denied = await town.wang.press("🔗 生成新邀请链接", notice, chat=group)
    assert denied is not None and denied.show_alert
    await group.expect_no_message()


async def test_a_reminder_pressed_at_night_says_it_waits_for_the_morning(
    app: App, clock: FrozenClock, town: Town
) -> None:
    await wake(app, clock, town, at(27))
    listing = await town.admin.expect("东冲村：本月还有 6 户没有联系")
    town.wang.read_all()
    clock.set(at(27, 22))
    answer = await town.admin.press("🔔 提醒王建国", listing)
    assert answer is not None and (answer.text or "").endswith(
        "现在是夜里免打扰的时段，等到早上 08:00 再发。"
    )
    await town.sender.drain_once()
    await town.wang.expect_no_message()
    await wake(app, clock, town, at(28, 8))
    await town.wang.expect("🔔 孙书记 提醒您：")


async def invites_of(app: App, person: Person) -> list[int]:
    async with app.uow() as uow:
        found = await uow.session.execute(select(Invite.id).where(Invite.person_id == person.id))
        return list(found.scalars())
