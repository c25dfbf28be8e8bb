"""The town office's work through the real bot: a red flag from alert to 销号, a rejected
removal, the platform's red-flag list uploaded in the group, reassigning and deactivating,
and a contact person refused the town office's commands. A message with nothing to report
claims no action: a list that flags nobody, a deactivation that frees no household, a
"reassign this person" notice counted when it is sent and not sent once they hold none."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from bot.core.delivery.kinds import MessageKind
from bot.core.delivery.outbox import OutboxStatus, TownOffice, queue
from bot.core.flags import acknowledgement as flag_workflow
from bot.core.flags import removal as flag_lifecycle
from bot.core.flags.raising import raise_flag, report_risk
from bot.domain.model import FlagSource, FlagStatus
from bot.storage.models import (
    Assignment,
    AssistanceMeasure,
    Household,
    HouseholdChange,
    OutboxMessage,
    Person,
    RedFlag,
)
from bot.storage.uow import App
from tests.e2e.conftest import RunningBot
from tests.e2e.conversations import fill_in_measure, find_household
from tests.e2e.hekou import Hekou, actor, unpaced_delivery
from tests.telegram_api import FakeTelegram, TelegramGroup, TelegramUser

TOWN_OFFICE_GROUP = -1007654321
pytestmark = pytest.mark.office_group(TOWN_OFFICE_GROUP)
HOUSEHOLD = "张桂英（一组）"


@dataclass
class Town:
    group: TelegramGroup
    director: TelegramUser  # 周主任, town office
    admin: TelegramUser  # 孙书记, village admin of 河口村
    contact: TelegramUser  # 王建华, 张桂英's contact person
    people: dict[str, Person]
    household: Household
    deliver: Callable[[], Awaitable[int]]


@pytest.fixture
async def town(
    app: App,
    telegram: FakeTelegram,
    running_bot: RunningBot,
    hekou_town: Hekou,
) -> Town:
    group = TelegramGroup(telegram, "佛子岭镇扶贫办", chat_id=TOWN_OFFICE_GROUP)
    town = hekou_town
    users = town.users
    return Town(
        group,
        users["周主任"],
        users["孙书记"],
        users["王建华"],
        town.people,
        town.zhang,
        unpaced_delivery(app, running_bot),
    )


async def flag_of(app: App, flag_id: int) -> RedFlag:
    async with app.uow() as uow:
        flag = await uow.session.get(RedFlag, flag_id)
        assert flag is not None
        return flag


async def test_a_red_flag_goes_from_alert_to_closed_and_every_step_shows_in_the_card(
    app: App, town: Town
) -> None:
    flag = await report_risk(app, actor(town.people["王建华"]), town.household.id, "户主因病住院")
    await town.deliver()
    alert = await town.group.expect("🚩 红色预警")
    await town.director.press("✅ 签收", alert, chat=town.group)
    town.group.read_all()

    # The town office adds a measure: pressed in the group, filled in privately.
    await town.director.press("📋 详情", alert, chat=town.group)
    card = await town.group.expect("🚩 红色预警 · 河口村 张桂英（一组）")
    answer = await town.director.press("➕ 添加帮扶措施", card, chat=town.group)
    assert answer is not None and "私聊" in answer.text
    await town.director.expect("为 张桂英（一组） 添加帮扶措施")
    confirm = await fill_in_measure(
        town.director, what="申请大病医疗救助", responsible="镇民政办 李干事", amount="3000"
    )
    assert "2026-03-25" in confirm.text and "3000" in confirm.text
    await town.director.press("✅ 保存")
    await town.director.expect("✅ 已加入 张桂英（一组） 的帮扶方案")

    # The village admin, told of the flag when it was raised, asks to remove the risk.
    await town.admin.expect("本村有农户被标注红色预警：河口村 张桂英（一组）")
    await town.admin.send("/flags")
    listed = await town.admin.expect("未销号的红色预警：1 条")
    await town.admin.press(listed.button_texts[0])
    admin_card = await town.admin.expect("🚩 红色预警 · 河口村 张桂英（一组）")
    assert admin_card.button_texts == ["➕ 添加帮扶措施", "📝 申请销号", "📜 农户档案"]
    await town.admin.press("📝 申请销号")
    prompt = await town.admin.expect("风险为什么消除了")
    assert "最多 1000 个字" in prompt.text
    await town.admin.send("收入稳定" * 251)  # 1,004 characters
    await town.admin.expect("内容太长了：最多 1000 个字，您写了 1004 个字。")
    await town.admin.send("已纳入低保，医疗费用已报销，收入稳定")
    await town.admin.expect("已为 河口村 张桂英（一组） 申请销号")
    town.admin.read_all()

    await town.deliver()
    request = await town.group.expect("📝 河口村 申请为 张桂英（一组） 销号")
    assert request.button_texts[:2] == ["👍 同意销号", "↩️ 不同意销号"]
    await town.director.press("👍 同意销号", request, chat=town.group)
    await town.group.expect("周主任 同意为 河口村 张桂英（一组） 销号")
    approved_card = await town.group.expect("镇已同意销号，等县级审定")
    await town.deliver()
    await town.admin.expect("镇扶贫办已同意 河口村 张桂英（一组） 销号")
    await town.contact.expect("镇扶贫办已同意")

    await town.director.press("🏛 录入县级审定", approved_card, chat=town.group)
    prompt = await town.director.expect("县级审定结果")
    assert "文号最多 100 个字" in prompt.text
    await town.director.send("3月10日 " + "霍" * 101)
    await town.director.expect("内容太长了：最多 100 个字，您写了 101 个字。")
    await town.director.send("3月10日 霍政〔2026〕12号")
    await town.director.expect("请核对 河口村 张桂英（一组） 的县级审定结果")
    await town.director.press("✅ 确认录入并销号")
    await town.director.expect("✅ 河口村 张桂英（一组） 的红色预警已销号")
    await town.deliver()
    await town.admin.expect("已销号：县级审定 2026-03-10，霍政〔2026〕12号")
    await town.contact.expect("已销号")

    closed = await flag_of(app, flag.id)
    assert closed.status == FlagStatus.CLOSED and closed.closed_at == app.clock.now()
    # The contact person sees every step from the household's card.
    await town.contact.send("/help")
    town.contact.read_all()
    await town.contact.tap("🏠 我的农户")
    await town.contact.expect("我的农户")
    await town.contact.press(f"⏳ {HOUSEHOLD}")
    await town.contact.expect("户编号")
    await town.contact.press("📜 农户档案")
    history = await town.contact.expect("📜 河口村 张桂英（一组）")
    for step in ("周主任", "孙书记 申请销号：已纳入低保", "同意销号", "霍政〔2026〕12号", "已销号"):
        assert step in history.text
    assert "医保/医疗救助：申请大病医疗救助 · 镇民政办 李干事 · 3,000 元" in history.text


async def test_a_rejected_removal_is_told_to_the_village_and_the_flag_stays_open(
    app: App, town: Town
) -> None:
    flag = await report_risk(app, actor(town.people["王建华"]), town.household.id, "房屋漏雨")
    await flag_workflow.acknowledge(app, actor(town.people["周主任"]), flag.id)
    await flag_lifecycle.request_removal(app, actor(town.people["孙书记"]), flag.id, "已修好")
    await town.deliver()
    town.group.read_all()
    request = town.group.messages[-1]
    assert "申请为 张桂英（一组） 销号" in request.text

    await town.director.press("↩️ 不同意销号", request, chat=town.group)
    await town.director.expect("请输入理由")
    await town.director.send("还没有住房安全鉴定")
    await town.director.expect("已退回")
    await town.deliver()

    await town.admin.expect("本村有农户被标注红色预警：河口村 张桂英（一组）")
    told = await town.admin.expect("镇扶贫办没有同意 河口村 张桂英（一组） 销号")
    assert "还没有住房安全鉴定" in told.text
    assert (await flag_of(app, flag.id)).status == FlagStatus.ACKNOWLEDGED


async def test_the_platform_list_uploaded_in_the_group_flags_each_household_once(
    app: App,
    town: Town,
    add_household,  # type: ignore[no-untyped-def]
) -> None:
    chen = await add_household("陈德明", village="河口村")
    async with app.uow() as uow:
        household = await uow.session.get(Household, chen.id)
        assert household is not None
        await raise_flag(uow, actor(town.people["周主任"]), household, FlagSource.PLATFORM, "上月")
        await uow.commit()
    await town.deliver()
    town.group.read_all()
    listing = (
        "序号,户编号,户主姓名,预警原因\n"
        f"1,{town.household.number},张桂英,人均纯收入低于监测线\n"
        f"2,{chen.number},陈德明,大病支出\n"
        "3,3415239999999999,查无此户,x\n"
    )

    await town.director.send_document(listing.encode("gbk"), "2月预警名单.csv", chat=town.group)

    report = await town.group.expect("📥 省平台预警名单：新标注 1 户")
    assert "第 2 行：张桂英" in report.text
    assert "未重复标注：1 户" in report.text and "第 3 行：陈德明" in report.text
    assert "没有找到这户（请核对编号）：1 行" in report.text
    assert "第 4 行：3415239999999999" in report.text
    async with app.uow() as uow:
        platform = await uow.session.execute(
            select(func.count()).where(RedFlag.source == FlagSource.PLATFORM)
        )
        assert platform.scalar_one() == 2
    await town.deliver()
    alert = await town.group.expect("🚩 红色预警")
    assert "人均纯收入低于监测线" in alert.text


async def test_the_town_office_deactivates_a_contact_person_and_reassigns_the_household(
    app: App, town: Town
) -> None:
    # 李春华 never opened the link: the question says so, and speaks of 该联系人.
    await town.director.send("/deactivate 李春华")
    never = await town.director.expect("停用 李春华")
    assert "还没有打开过邀请链接" in never.text and "不能再用机器人" not in never.text
    await town.director.press("✖️ 取消", never)
    town.director.read_all()

    await town.director.send("/deactivate 王建华")
    question = await town.director.expect("停用 王建华")
    assert "停用后该联系人不能再用机器人" in question.text and "他" not in question.text
    await town.director.press("✅ 确认停用")
    done = await town.director.expect("没有帮扶联系人的农户：1 户（张桂英（一组））")
    assert "/unassigned" not in done.text
    assert done.button_texts == [f"👤 {HOUSEHOLD}"]  # reassigned from here, no command

    await town.director.press(f"👤 {HOUSEHOLD}", done)
    await town.director.expect(f"由谁来做 河口村 {HOUSEHOLD} 的帮扶联系人？这户现在没有联系人。")
    await town.director.press("李春华（0 户）")
    await town.director.expect(f"把 河口村 {HOUSEHOLD} 交给 李春华 联系？")
    await town.director.press("✅ 确认更换")
    await town.director.expect("现在由 李春华 负责联系这户")

    async with app.uow() as uow:
        current = await uow.session.execute(
            select(Assignment.person_id).where(
                Assignment.household_id == town.household.id, Assignment.ended_at.is_(None)
            )
        )
        assert list(current.scalars()) == [town.people["李春华"].id]
        wang = await uow.session.get(Person, town.people["王建华"].id)
        assert wang is not None and not wang.active
    await town.director.send("/unassigned")
    await town.director.expect("所有监测户都有帮扶联系人")


async def test_a_contact_person_is_refused_the_town_offices_commands(app: App, town: Town) -> None:
    await town.contact.send("/unassigned")
    await town.contact.expect("只有镇扶贫办可以调整花名册")
    await town.contact.send("/deactivate 李春华")
    await town.contact.expect("只有镇扶贫办可以调整花名册")
    await town.contact.send_document(b"\xe6\x88\xb7\xe7\xbc\x96\xe5\x8f\xb7\n1\n", "list.csv")
    await town.contact.expect("只有镇扶贫办可以导入省平台预警名单")
    await town.contact.send("/flags")
    await town.contact.expect("没有未销号的红色预警")
    async with app.uow() as uow:
        assert (await uow.session.execute(select(func.count(RedFlag.id)))).scalar_one() == 0
        assert (
            await uow.session.execute(select(func.count(AssistanceMeasure.id)))
        ).scalar_one() == 0
        lee = await uow.session.get(Person, town.people["李春华"].id)
        assert lee is not None and lee.active


async def test_the_town_office_changes_a_category_with_its_meeting_record(
    app: App, town: Town
) -> None:
    history = await find_household(town.director, "桂英", "📜 河口村 张桂英（一组）")
    assert "🔁 调整类别" in history.button_texts
    await town.director.press("🔁 调整类别", history)
    await town.director.expect("调整为哪一类")
    await town.director.press("脱贫监测户")
    await town.director.expect("哪天开会研究决定的")
    await town.director.send("3月12日")
    await town.director.expect("还没到")  # a meeting in the future is refused
    await town.director.send("3月6日")
    await town.director.expect("调整原因")
    await town.director.send("因病返贫风险，村两委研究转为监测户")
    confirm = await town.director.expect("保存这项调整？")
    assert "会议记录日期：2026-03-06" in confirm.text
    await town.director.press("✅ 保存")
    await town.director.expect("✅ 已保存")

    async with app.uow() as uow:
        changes = (await uow.session.execute(select(HouseholdChange))).scalars().all()
    assert [(c.kind, c.old_value, c.new_value, c.meeting_on.isoformat()) for c in changes] == [
        ("category", "marginal", "lifted_monitored", "2026-03-06")
    ]
    await town.contact.send("/find 桂英")
    await town.contact.expect("张桂英")  # a contact person finds their own household …
    await town.contact.expect_no_message()
    assert "🔁 调整类别" not in town.contact.messages[-1].button_texts  # … without roster buttons


async def test_a_sticker_or_photo_inside_the_measure_form_gets_the_steps_hint_and_question(
    app: App, town: Town
) -> None:
    history = await find_household(town.director, "桂英", "📜 河口村 张桂英（一组）")
    await town.director.press("➕ 添加帮扶措施", history)
    await town.director.expect("为 张桂英（一组） 添加帮扶措施")
    await town.director.send("医保")  # text where a kind button is expected
    kinds = await town.director.expect("请点按钮选择。")
    assert "医保/医疗救助" in kinds.button_texts  # the step again, with its buttons
    await town.director.press("医保/医疗救助", kinds)
    await town.director.expect("具体做什么")
    await town.director.send_sticker()
    asked = await town.director.expect("请用文字输入。")
    assert "具体做什么" in asked.text
    await town.director.send("申请大病医疗救助")
    await town.director.expect("谁负责")
    await town.director.send("镇民政办 李干事")
    await town.director.expect("金额")
    await town.director.send_photo()
    amount = await town.director.expect("请输入金额（元）")
    assert "跳过" in amount.button_texts
    await town.director.send("3000")
    await town.director.expect("什么时候前完成")
    await town.director.press("⏱ 15 天")
    await town.director.expect("添加这项措施？")
    await town.director.send_sticker()
    confirm = await town.director.expect("请点按钮选择。")
    assert "添加这项措施？" in confirm.text and "✅ 保存" in confirm.button_texts
    await town.director.press("✅ 保存", confirm)
    await town.director.expect("✅ 已加入 张桂英（一组） 的帮扶方案")
    async with app.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(AssistanceMeasure)) == 1


async def test_a_sticker_inside_a_roster_change_gets_the_steps_hint_and_question(
    app: App, town: Town
) -> None:
    history = await find_household(town.director, "桂英", "📜 河口村 张桂英（一组）")
    await town.director.press("➖ 调整出列", history)
    await town.director.expect("哪天开会研究决定的")
    await town.director.send_sticker()
    asked = await town.director.expect("请输入日期，例如 3-5。")
    assert "哪天开会研究决定的" in asked.text
    await town.director.send("3月6日")
    await town.director.expect("调整原因")
    await town.director.send_photo()
    asked = await town.director.expect("请用文字输入。")
    assert "调整原因" in asked.text
    await town.director.send("家庭收入稳定，村两委研究调整出库")
    confirm = await town.director.expect("保存这项调整？")
    await town.director.send_sticker()
    again = await town.director.expect("请点按钮选择。")
    assert "✅ 保存" in again.button_texts
    await town.director.press("✖️ 取消", again)
    await town.director.expect("已取消")
    assert confirm.text
    async with app.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(HouseholdChange)) == 0


# A message with nothing to report claims no action.


async def test_a_platform_list_that_flags_no_household_says_so_and_alerts_nobody(
    town: Town,
) -> None:
    listing = "序号,户编号,户主姓名,预警原因\n1,3415239999999999,查无此户,x\n"

    await town.director.send_document(listing.encode(), "2月预警名单.csv", chat=town.group)

    report = await town.group.expect("📥 省平台预警名单：没有新标注的农户，没有发提醒。")
    assert "已提醒" not in report.text and "没有找到这户（请核对编号）：1 行" in report.text
    assert await town.deliver() == 0
    await town.group.expect_no_message()


async def test_deactivating_a_person_who_held_no_households_asks_for_no_reassignment(
    town: Town,
) -> None:
    await town.director.send("/deactivate 李春华")
    await town.director.expect("停用 李春华")
    await town.director.press("✅ 确认停用")

    done = await town.director.expect("✅ 已停用。该联系人名下没有农户。")
    assert "/unassigned" not in done.text


async def queue_inactive_notice(app: App, person: Person, households: int) -> None:
    payload = {"person_id": person.id, "households": households, "days": 30, "last_entered": None}
    async with app.uow() as uow:
        key = f"inactive:{person.id}"
        await queue(uow, app.settings, TownOffice(), key, MessageKind.PERSON_INACTIVE, payload)
        await uow.commit()


async def test_a_reassign_notice_counts_the_households_held_when_it_is_sent(
    app: App, town: Town
) -> None:
    await queue_inactive_notice(app, town.people["王建华"], households=3)  # three when queued

    await town.deliver()

    notice = await town.group.expect("王建华")
    assert "名下有 1 户" in notice.text


async def test_a_reassign_notice_for_someone_who_holds_nothing_by_then_is_not_sent(
    app: App, town: Town
) -> None:
    await queue_inactive_notice(app, town.people["李春华"], households=2)  # reassigned since

    await town.deliver()

    await town.group.expect_no_message()
    async with app.uow() as uow:
        row = (await uow.session.execute(select(OutboxMessage))).scalar_one()
    assert row.status == OutboxStatus.SKIPPED
