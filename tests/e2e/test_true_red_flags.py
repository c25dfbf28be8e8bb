"""Red flags must be true (issue 9, points 1 and 2): the guarantee step says what each tap
means, a problem is named as a problem wherever it is read, and a flag raised by a mis-tap
is taken back when its contact person corrects or withdraws the contact, with a notice under
the town office's original alert; a flag the office already worked on is not taken back
without asking the office."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.clock import Month
from bot.core.coverage.month_coverage import coverage_for_month
from bot.core.flags import acknowledgement as flag_workflow
from bot.core.flags import removal as flag_lifecycle
from bot.core.flags.measures import MeasureType, add_measure
from bot.core.policy import Actor
from bot.domain.model import FlagStatus, Role
from bot.storage.models import AuditEntry, Household, Person, RedFlag
from bot.storage.uow import App
from bot.telegram.session import pacer_of
from scheduler.sender import OutboxSender
from tests.e2e.conftest import RunningBot
from tests.e2e.conversations import log_contact
from tests.telegram_api import BotMessage, FakeTelegram, TelegramGroup, TelegramUser

TOWN_OFFICE_GROUP = -1003141592
pytestmark = pytest.mark.office_group(TOWN_OFFICE_GROUP)
HOUSEHOLD = "张桂英（一组）"


@dataclass
class Town:
    group: TelegramGroup
    director: TelegramUser  # 周主任, town office
    contact: TelegramUser  # 王建国, 张桂英's contact person, also in the office group
    people: dict[str, Person]
    household: Household
    deliver: Callable[[], Awaitable[int]]

    def actor(self, name: str) -> Actor:
        person = self.people[name]
        return Actor(person.id, person.name, Role(person.role), person.village_id)


@pytest.fixture
async def town(
    app: App,
    telegram: FakeTelegram,
    running_bot: RunningBot,
    make_user,  # type: ignore[no-untyped-def]
    register_person,  # type: ignore[no-untyped-def]
    add_household,  # type: ignore[no-untyped-def]
    assign,  # type: ignore[no-untyped-def]
) -> Town:
    group = TelegramGroup(telegram, "佛子岭镇扶贫办", chat_id=TOWN_OFFICE_GROUP)
    director, contact = make_user("周主任"), make_user("王建国")
    people = {
        "周主任": await register_person("周主任", Role.TOWN_OFFICE, telegram_user=director),
        "王建国": await register_person(
            "王建国", Role.CONTACT, village="东冲村", telegram_user=contact
        ),
    }
    household = await add_household("张桂英", village="东冲村")
    await assign(household, people["王建国"])
    assert running_bot.bot is not None
    pacer_of(running_bot.bot).chat_limits = False  # content, not pacing
    await contact.send("/help")
    contact.read_all()
    return Town(
        group, director, contact, people, household, OutboxSender(app, running_bot.bot).drain_once
    )


async def log_housing_problem(phone: TelegramUser) -> None:
    await log_contact(phone, HOUSEHOLD, problems=["住房安全"])
    assert "🚩 已红色标注，并已通知镇扶贫办" in phone.last_message.text


async def the_flag(app: App) -> RedFlag:
    async with app.uow() as uow:
        return (await uow.session.execute(select(RedFlag))).scalar_one()


async def audit(app: App, action: str) -> list[AuditEntry]:
    async with app.uow() as uow:
        query = select(AuditEntry).where(
            AuditEntry.entity == "red_flag", AuditEntry.action == action
        )
        return list((await uow.session.execute(query)).scalars())


# ---- 1 (a): the guarantee step says what a tap means --------------------------------------


async def test_each_guarantee_shows_its_state_one_tap_toggles_and_the_confirm_names_the_problem(
    app: App, town: Town
) -> None:
    phone = town.contact
    await phone.tap("✍️ 记录联系")
    await phone.press(HOUSEHOLD)
    await phone.press("电话")
    step = phone.last_message
    assert step.button_texts[1:7] == [
        "吃饭 ✅ 有保障",
        "穿衣 ✅ 有保障",
        "义务教育 ✅ 有保障",
        "基本医疗 ✅ 有保障",
        "住房安全 ✅ 有保障",
        "饮水安全 ✅ 有保障",
    ]
    assert "✔" not in " ".join(step.button_texts)

    await phone.press("住房安全 ✅ 有保障")
    assert "住房安全 ❌ 有问题" in phone.last_message.button_texts
    await phone.press("住房安全 ❌ 有问题")  # a mis-tap, undone with one more tap
    assert "住房安全 ✅ 有保障" in phone.last_message.button_texts
    await phone.press("饮水安全 ✅ 有保障")
    await phone.press("好了 ➡")

    confirm = phone.last_message
    assert "两不愁三保障一安全：❌ 饮水安全无保障" in confirm.text
    assert "🚩 保存后，这些问题会作为红色预警报给镇扶贫办" in confirm.text
    async with app.uow() as uow:
        assert (await uow.session.execute(select(RedFlag))).first() is None  # not before saving


async def test_in_english_the_toggles_and_the_confirm_name_the_problem_too(
    app: App, town: Town, make_user, register_person, add_household, assign
) -> None:
    phone = make_user("Tom", language_code="en")
    tom = await register_person("Tom", Role.CONTACT, village="东冲村", telegram_user=phone)
    await assign(await add_household("陈德明", village="东冲村"), tom)
    await phone.send("/help")
    phone.read_all()

    await phone.tap("✍️ Log a contact")
    await phone.press("陈德明（一组）")
    await phone.press("Phone")
    assert "Housing safety ✅ fine" in phone.last_message.button_texts
    await phone.press("Housing safety ✅ fine")
    assert "Housing safety ❌ problem" in phone.last_message.button_texts
    await phone.press("Done ➡")
    assert "Six guarantees: ❌ Housing not safe" in phone.last_message.text
    assert "Saving reports these problems to the town office" in phone.last_message.text


# ---- 1 (b): a mis-tap corrected or withdrawn takes its flag back ---------------------------


async def test_a_mis_tap_corrected_to_all_fine_retracts_the_flag_under_its_alert(
    app: App, town: Town
) -> None:
    await log_housing_problem(town.contact)
    await town.deliver()
    alert = await town.group.expect("🚩 红色预警")
    assert "原因：联系时发现问题：住房安全无保障" in alert.text
    assert "有保障" not in alert.text

    await town.contact.press("✏️ 更正")
    await town.contact.press("🛡 保障情况")
    await town.contact.press("✅ 六项都没问题")
    reply = town.contact.last_message.text
    assert "已更正 ✅" in reply and "两不愁三保障一安全：✅ 都没问题" in reply
    assert "↩️ 这条记录引发的红色预警已撤回，并已告知镇扶贫办" in reply

    flag = await the_flag(app)
    assert flag.status == FlagStatus.WITHDRAWN and flag.withdrawn_at == app.clock.now()
    [entry] = await audit(app, "withdraw")
    assert entry.actor_id == town.people["王建国"].id
    assert entry.changes["after"] == {"status": "withdrawn"}

    await town.deliver()
    notice = await town.group.expect("↩️ 红色预警已撤回：东冲村 张桂英（一组）（住房安全无保障）")
    assert notice.reply_to == alert.message_id
    assert "王建国 更正了引发它的联系记录" in notice.text
    assert "不再计入" in notice.text

    # Never counted: not open, not in /flags, not in the month's coverage.
    office = town.actor("周主任")
    assert await flag_lifecycle.open_flag_panels(app, office) == []
    coverage = await coverage_for_month(app, office, Month(2026, 3))
    assert coverage.town.flags_raised == 0
    await town.director.send("/flags")
    await town.director.expect("没有未销号的红色预警")
    # The old alert's buttons now say so instead of acting.
    answer = await town.director.press("✅ 签收", alert, chat=town.group)
    assert answer is not None and answer.show_alert and "已撤回" in answer.text
    assert (await the_flag(app)).status == FlagStatus.WITHDRAWN


async def test_a_withdrawn_contact_takes_its_flag_back_and_the_office_reads_why(
    app: App, town: Town
) -> None:
    await log_housing_problem(town.contact)
    await town.deliver()
    alert = await town.group.expect("🚩 红色预警")

    await town.contact.press("↩ 撤回")
    assert "它引发的红色预警也会一起撤回" in town.contact.last_message.text
    await town.contact.press("↩ 确定撤回")
    assert "红色预警已撤回" in town.contact.last_message.text

    await town.deliver()
    notice = await town.group.expect("↩️ 红色预警已撤回")
    assert notice.reply_to == alert.message_id
    assert "王建国 撤回了引发它的联系记录" in notice.text
    assert (await the_flag(app)).status == FlagStatus.WITHDRAWN


async def test_a_flag_whose_alert_was_never_sent_is_retracted_without_a_notice(
    app: App, town: Town
) -> None:
    await log_housing_problem(town.contact)
    await town.contact.press("↩ 撤回")
    await town.contact.press("↩ 确定撤回")

    await town.deliver()  # neither the alert (withdrawn first) nor a notice about it
    await town.group.expect_no_message()
    assert (await the_flag(app)).status == FlagStatus.WITHDRAWN


# ---- 1 (c): a flag the office already acted on: the office is asked ------------------------


async def acted_on(app: App, town: Town) -> BotMessage:
    """The housing flag, acknowledged by the office with a measure in the plan."""
    await log_housing_problem(town.contact)
    await town.deliver()
    alert = await town.group.expect("🚩 红色预警")
    flag = await the_flag(app)
    office = town.actor("周主任")
    await flag_workflow.acknowledge(app, office, flag.id)
    await add_measure(
        app, office, town.household.id, MeasureType.OTHER, "检查房屋", "村委", flag_id=flag.id
    )
    return alert


async def test_a_flag_with_measures_is_not_retracted_silently_the_office_withdraws_it(
    app: App, town: Town
) -> None:
    alert = await acted_on(app, town)

    await town.contact.press("✏️ 更正")
    await town.contact.press("🛡 保障情况")
    await town.contact.press("✅ 六项都没问题")
    assert "已请镇扶贫办决定是否撤回" in town.contact.last_message.text
    assert (await the_flag(app)).status == FlagStatus.ACKNOWLEDGED

    await town.deliver()
    question = await town.group.expect(
        "❓ 是否保留 东冲村 张桂英（一组） 的红色预警（住房安全无保障）"
    )
    assert question.reply_to == alert.message_id
    assert question.button_texts == ["🚩 保留预警", "↩️ 撤回预警", "📋 详情"]

    refused = await town.contact.press("↩️ 撤回预警", question, chat=town.group)
    assert refused is not None and refused.show_alert
    assert (await the_flag(app)).status == FlagStatus.ACKNOWLEDGED

    await town.director.press("↩️ 撤回预警", question, chat=town.group)
    answered = await town.group.expect("周主任 撤回了 东冲村 张桂英（一组） 的红色预警")
    assert answered.edited and answered.message_id == question.message_id
    assert answered.button_texts == []
    assert (await the_flag(app)).status == FlagStatus.WITHDRAWN
    [entry] = await audit(app, "withdraw")
    assert entry.actor_id == town.people["周主任"].id and entry.changes["why"] == "office_decided"


async def test_the_office_keeps_a_flag_it_acted_on_and_that_is_recorded(
    app: App, town: Town
) -> None:
    await acted_on(app, town)
    await town.contact.press("↩ 撤回")
    await town.contact.press("↩ 确定撤回")
    await town.deliver()
    question = await town.group.expect("❓ 是否保留")
    assert "王建国 撤回了引发这条红色预警的联系记录" in question.text

    await town.director.press("🚩 保留预警", question, chat=town.group)
    await town.group.expect("周主任 保留了 东冲村 张桂英（一组） 的红色预警，继续处理")
    assert (await the_flag(app)).status == FlagStatus.ACKNOWLEDGED
    assert len(await audit(app, "keep")) == 1


# ---- 2: a problem is named as a problem on the household's card and history ---------------


async def test_the_household_card_and_history_name_the_problem_as_a_problem(
    app: App, town: Town
) -> None:
    await log_housing_problem(town.contact)
    town.contact.read_all()
    await town.contact.tap("🏠 我的农户")
    listing = await town.contact.expect("我的农户")
    [label] = [text for text in listing.button_texts if HOUSEHOLD in text]
    assert "🚩" in label
    await town.contact.press(label)
    card = await town.contact.expect("户编号")
    assert "发现问题（住房安全无保障）" in card.text
    assert "住房安全有保障" not in card.text
    await town.contact.press("📜 农户档案")
    history = await town.contact.expect("📜 东冲村 张桂英（一组）")
    assert "住房安全无保障" in history.text and "住房安全有保障" not in history.text
    # The contact's line speaks Chinese punctuation: "· 王建国：发现问题（…）".
    assert "王建国：发现问题（住房安全无保障）" in history.text
