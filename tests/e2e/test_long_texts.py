"""Long texts, through the real bot on the stand-in that enforces Telegram's limits: every
typed step states its limit and refuses more (nothing echoed back too long to send), and every
message that shows a stored reason, note or measure arrives, shortened, whatever is stored —
including rows written before the limits, and texts full of emoji (two UTF-16 units each)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from bot.core.flags.raising import raise_flag
from bot.core.flags.removal import StepKind
from bot.core.policy import Actor
from bot.domain.model import FlagSource, Role
from bot.storage.models import (
    AssistanceMeasure,
    FlagStep,
    Household,
    HouseholdChange,
    OutboxMessage,
    Person,
    RedFlag,
)
from bot.storage.uow import App
from bot.telegram.limits import TEXT_LIMIT
from bot.telegram.session import pacer_of
from bot.utf16 import utf16_len
from scheduler.sender import OutboxSender
from tests.e2e.conftest import RunningBot
from tests.telegram_api import FakeTelegram, TelegramGroup, TelegramUser

TOWN_OFFICE_GROUP = -1007654321
pytestmark = pytest.mark.office_group(TOWN_OFFICE_GROUP)
LONG_REASON = ("人均纯收入低于监测线，家庭成员长期患病，医疗支出较大。" * 200)[:5000]
EMOJI_TEXT = "🏥💊🏠" * 333  # 999 characters, 1,998 UTF-16 units: within the 1,000 limit


@dataclass
class Office:
    group: TelegramGroup
    director: TelegramUser  # 周主任, town office
    person: Person
    household: Household
    running_bot: RunningBot

    @property
    def actor(self) -> Actor:
        return Actor(self.person.id, self.person.name, Role.TOWN_OFFICE, None)

    async def deliver(self, app: App) -> None:
        assert self.running_bot.bot is not None
        pacer_of(self.running_bot.bot).chat_limits = False  # no pacing waits in tests
        sender = OutboxSender(app, self.running_bot.bot)
        await sender.drain_once()


@pytest.fixture
async def office(
    telegram: FakeTelegram,
    running_bot: RunningBot,
    make_user,  # type: ignore[no-untyped-def]
    register_person,  # type: ignore[no-untyped-def]
    add_household,  # type: ignore[no-untyped-def]
) -> Office:
    group = TelegramGroup(telegram, "佛子岭镇扶贫办", chat_id=TOWN_OFFICE_GROUP)
    director = make_user("周主任")
    person = await register_person("周主任", Role.TOWN_OFFICE, telegram_user=director)
    household = await add_household("张桂英", village="河口村")
    return Office(group, director, person, household, running_bot)


def fits(text: str) -> bool:
    return 0 < utf16_len(text) <= TEXT_LIMIT


async def test_a_platform_list_with_a_5000_character_reason_is_refused_by_row(
    app: App, office: Office
) -> None:
    listing = f"序号,户编号,户主姓名,预警原因\n1,{office.household.number},张桂英,{LONG_REASON}\n"

    await office.director.send_document(listing.encode("utf-8"), "预警名单.csv", chat=office.group)

    refused = await office.group.expect("名单没有导入，没有标注任何农户。有问题的行数：1。")
    assert "第 2 行，预警原因：内容太长了：最多 1000 个字，您写了 5000 个字。" in refused.text
    async with app.uow() as uow:
        assert (await uow.session.execute(select(func.count(RedFlag.id)))).scalar_one() == 0


async def test_a_flag_stored_with_a_5000_character_reason_is_alerted_and_opens_shortened(
    app: App, office: Office
) -> None:
    async with app.uow() as uow:  # written before reasons were capped
        household = await uow.session.get(Household, office.household.id)
        assert household is not None
        await raise_flag(uow, office.actor, household, FlagSource.PLATFORM, LONG_REASON)
        await uow.commit()

    await office.deliver(app)

    alert = await office.group.expect("🚩 红色预警")
    assert "原因：人均纯收入低于监测线，家庭成员长期患病" in alert.text and "…" in alert.text
    async with app.uow() as uow:
        row = (
            await uow.session.execute(
                select(OutboxMessage).where(OutboxMessage.kind == "flag_alert")
            )
        ).scalar_one()
        assert row.status == "sent"
    await office.director.press("📋 详情", alert, chat=office.group)
    card = await office.group.expect("🚩 红色预警 · 河口村 张桂英（一组）")
    assert fits(card.text) and "…" in card.text

    await office.director.send("/flags")
    listed = await office.director.expect("未销号的红色预警：1 条")
    await office.director.press(listed.button_texts[0])
    card = await office.director.expect("🚩 红色预警 · 河口村 张桂英（一组）")
    assert fits(card.text) and "…" in card.text


async def test_a_measure_of_4000_characters_is_refused_with_its_limit_and_the_form_goes_on(
    app: App, office: Office
) -> None:
    await office.director.send("/find 桂英")
    await office.director.press("➕ 添加帮扶措施")
    await office.director.press("医保/医疗救助")
    office.director.read_all()
    assert "最多 1000 个字" in office.director.messages[-1].text

    await office.director.send("申" * 4000)
    await office.director.expect("内容太长了：最多 1000 个字，您写了 4000 个字。\n请重新输入")
    await office.director.send("申请大病医疗救助")
    await office.director.expect("谁负责？")
    await office.director.send("李" * 4000)
    await office.director.expect("内容太长了：最多 100 个字，您写了 4000 个字。")
    await office.director.send("镇民政办\n李干事")  # two lines for one name: one line is kept
    await office.director.expect("金额")
    await office.director.press("跳过")
    await office.director.press("⏱ 15 天")
    office.director.read_all()
    confirm = office.director.messages[-1]
    assert confirm.text.startswith("为 张桂英（一组） 添加这项措施？")
    assert "镇民政办 李干事" in confirm.text
    await office.director.press("✅ 保存")
    await office.director.expect("✅ 已加入")

    async with app.uow() as uow:
        measure = (await uow.session.execute(select(AssistanceMeasure))).scalar_one()
    assert (measure.what, measure.responsible) == ("申请大病医疗救助", "镇民政办 李干事")


async def test_an_adjust_out_reason_of_4090_characters_is_refused_with_its_limit(
    app: App, office: Office
) -> None:
    await office.director.send("/find 桂英")
    await office.director.press("➖ 调整出列")
    office.director.read_all()
    await office.director.send("3月6日")
    await office.director.expect("最多 1000 个字")

    await office.director.send("收" * 4090)
    await office.director.expect("内容太长了：最多 1000 个字，您写了 4090 个字。")
    await office.director.send("家庭收入稳定超过监测线，风险已消除")
    confirm = await office.director.expect("保存这项调整？")
    await office.director.press("✅ 保存", confirm)
    await office.director.expect("✅ 已保存")
    async with app.uow() as uow:
        change = (await uow.session.execute(select(HouseholdChange))).scalar_one()
    assert change.reason == "家庭收入稳定超过监测线，风险已消除"


async def test_find_shows_a_household_whose_stored_texts_are_long_and_full_of_emoji(
    app: App, office: Office
) -> None:
    """Measures full of emoji within today's limit, and (from before the limits) a 5,000
    character reason, a meeting record and twenty removal steps: every part arrives."""
    async with app.uow() as uow:
        household = await uow.session.get(Household, office.household.id)
        assert household is not None
        flag = await raise_flag(uow, office.actor, household, FlagSource.PLATFORM, LONG_REASON)
        now = uow.clock.now()
        for serial in range(3):
            uow.session.add(
                AssistanceMeasure(
                    household_id=household.id,
                    kind="medical",
                    what=EMOJI_TEXT,
                    responsible="👤" * 100,
                    started_on=now.date(),
                    status="active",
                    major_event=EMOJI_TEXT + str(serial),
                    created_by_id=office.person.id,
                    created_at=now,
                )
            )
        uow.session.add(
            HouseholdChange(
                household_id=household.id,
                kind="category",
                old_value="marginal",
                new_value="lifted_monitored",
                reason=LONG_REASON,
                meeting_on=now.date(),
                actor_id=office.person.id,
                actor_label="周主任",
                at=now,
            )
        )
        for step in range(20):
            kind = StepKind.REMOVAL_REQUESTED if step % 2 == 0 else StepKind.REMOVAL_REJECTED
            uow.session.add(
                FlagStep(
                    flag_id=flag.id, kind=kind, actor_label="孙书记", at=now, reason=LONG_REASON
                )
            )
        await uow.commit()
    office.group.read_all()

    await office.director.send("/find 桂英")

    parts = office.director.read_all()
    assert parts and parts[0].text.startswith("📜 河口村 张桂英（一组）")
    assert all(fits(part.text) for part in parts)
    shown = "\n".join(part.text for part in parts)
    assert shown.count("🏥💊🏠") >= 3 and "…" in shown
    await office.director.press(next(t for t in parts[-1].button_texts if t.startswith("🚩")))
    card = await office.director.expect("🚩 红色预警 · 河口村 张桂英（一组）")
    assert fits(card.text) and "前面还有 14 步" in card.text
