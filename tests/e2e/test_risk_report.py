"""Reporting a risk (报告风险) through the real bot: from the household card, with a reason
picked or typed, a confirm screen, and the town office's alert written with the flag."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from bot.domain.model import FlagSource, Role
from bot.storage.models import FsmRecord, Household, OutboxMessage, Person, RedFlag
from bot.storage.uow import App
from tests.telegram_api import TelegramUser
from tests.telegram_api.chats import BotMessage


@dataclass
class Reporter:
    user: TelegramUser
    person: Person
    household: Household


async def _count(app: App, model: type) -> int:
    async with app.uow() as uow:
        return (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()


async def _flags(app: App) -> list[RedFlag]:
    async with app.uow() as uow:
        return list((await uow.session.execute(select(RedFlag).order_by(RedFlag.id))).scalars())


async def _reporter(make_user, register_person, add_household, assign, language: str) -> Reporter:  # type: ignore[no-untyped-def]
    user = make_user("王建华", language_code=language)
    person = await register_person("王建华", Role.CONTACT, village="东冲村", telegram_user=user)
    household = await add_household("张桂英")
    await assign(household, person)
    await user.send("/help")
    user.read_all()
    return Reporter(user, person, household)


@pytest.fixture
async def wang(running_bot, make_user, register_person, add_household, assign) -> Reporter:  # type: ignore[no-untyped-def]
    return await _reporter(make_user, register_person, add_household, assign, "zh-hans")


async def _open_risk_form(user: TelegramUser) -> BotMessage:
    await user.send("桂英")
    card = await user.expect("身份证号")
    await user.press("🚩 报告风险", card)
    return await user.expect("🚩 为张桂英（一组）报告风险。")


async def test_contact_person_reports_illness_and_the_town_office_alert_is_written(
    app: App, wang: Reporter
) -> None:
    user = wang.user
    form = await _open_risk_form(user)
    assert "不超过 1000 个字" in form.text
    assert "🏥 因病" in form.button_texts and "😷 受新冠疫情影响" in form.button_texts
    assert form.button_texts[-1] == "✖️ 取消"

    await user.press("🏥 因病", form)
    confirm = await user.expect("确认为张桂英（一组）报告这个风险吗？\n\n因病")
    assert confirm.message_id == form.message_id
    await user.press("✅ 确认报告", confirm)

    done = await user.expect("🚩 已为张桂英（一组）报告风险：因病\n已通知镇扶贫办。")
    assert not done.buttons
    [flag] = await _flags(app)
    assert (flag.household_id, flag.reason) == (wang.household.id, "因病")
    assert (flag.source, flag.raised_by_id) == (FlagSource.CONTACT_PERSON, wang.person.id)
    async with app.uow() as uow:
        alert = (await uow.session.execute(select(OutboxMessage))).scalar_one()
    assert (alert.kind, alert.recipient, alert.payload["flag_id"]) == (
        "flag_alert",
        "town_office",
        flag.id,
    )
    assert await _count(app, FsmRecord) == 0

    await user.send("张桂英")
    card = await user.expect("🚩 未解除的风险：")
    assert "因病" in card.text


async def test_a_typed_reason_over_the_limit_is_refused_and_the_step_asked_again(
    app: App, wang: Reporter
) -> None:
    user = wang.user
    await _open_risk_form(user)

    await user.send("病" * 1001)
    await user.expect("内容太长了：最多 1000 个字，您写了 1001 个字。")
    await user.expect("是什么风险？")
    assert await _count(app, RedFlag) == 0

    await user.send("户主突发脑梗住院，医药费负担重")
    confirm = await user.expect("户主突发脑梗住院，医药费负担重")

    await user.send("好的")
    await user.expect("请点“✅ 确认报告”或“✖️ 取消”。")
    confirm = await user.expect("确认为张桂英（一组）报告这个风险吗？")

    answers = await user.double_press("✅ 确认报告", confirm)

    await user.expect("已通知镇扶贫办")
    [flag] = await _flags(app)
    assert flag.reason == "户主突发脑梗住院，医药费负担重"
    assert await _count(app, OutboxMessage) == 1
    assert answers[1] is not None and answers[1].show_alert, "the second tap is told it is done"


async def test_other_asks_for_text_and_cancel_reports_nothing(app: App, wang: Reporter) -> None:
    user = wang.user
    form = await _open_risk_form(user)

    await user.press("✏️ 其他（自己填写）", form)
    await user.expect("请简单写一下是什么风险。")
    await user.send_photo()
    await user.expect("请点下面的一项风险，或者直接输入文字。")
    await user.expect("是什么风险？")
    await user.send("房屋漏雨，墙体开裂")
    confirm = await user.expect("房屋漏雨，墙体开裂")

    await user.press("✖️ 取消", confirm)

    await user.expect("已取消，没有报告风险。")
    assert await _count(app, RedFlag) == 0
    assert await _count(app, OutboxMessage) == 0
    assert await _count(app, FsmRecord) == 0


async def test_a_menu_button_in_the_middle_of_the_form_leaves_it(app: App, wang: Reporter) -> None:
    user = wang.user
    form = await _open_risk_form(user)

    await user.tap("📅 本月进度")

    await user.expect("本月已联系 0/1")
    assert await _count(app, FsmRecord) == 0
    answer = await user.press("🌊 因灾", form)
    assert answer is not None and answer.show_alert, "the old form's buttons are stale"
    assert await _count(app, RedFlag) == 0


async def test_village_admin_reports_for_the_village_but_not_for_another(
    app: App, running_bot, make_user, register_person, add_household
) -> None:  # type: ignore[no-untyped-def]
    admin = make_user("陈书记")
    await register_person("陈书记", Role.VILLAGE_ADMIN, village="东冲村", telegram_user=admin)
    ours = await add_household("张桂英", village="东冲村")
    theirs = await add_household("刘秀兰", village="西河村")
    await admin.send("/help")
    admin.read_all()

    refused = await admin.press_data(f"hh:risk:{theirs.id}")
    assert refused is not None and refused.show_alert
    await admin.press_data(f"hh:risk:{ours.id}")
    form = await admin.expect("为张桂英（一组）报告风险")
    await admin.press("🎒 因学", form)
    await admin.press("✅ 确认报告", await admin.expect("因学"))

    await admin.expect("已通知镇扶贫办")
    [flag] = await _flags(app)
    assert flag.household_id == ours.id


async def test_an_english_speaker_reports_a_risk_in_english(
    app: App, running_bot, make_user, register_person, add_household, assign
) -> None:  # type: ignore[no-untyped-def]
    tom = await _reporter(make_user, register_person, add_household, assign, "en")
    user = tom.user
    await user.send("张桂英")
    await user.press("🚩 Report a risk", await user.expect("ID number"))
    form = await user.expect("🚩 Report a risk for 张桂英（一组）.")
    assert "(at most 1000 characters)" in form.text

    await user.press("🧰 Unstable work", form)
    await user.press("✅ Report it", await user.expect("Report this risk for 张桂英（一组）?"))

    await user.expect(
        "🚩 Reported for 张桂英（一组）: Unstable work\nThe town office has been alerted."
    )
    [flag] = await _flags(app)
    assert flag.reason == "因务工就业不稳", "recorded in the roster's words, for the town office"


async def test_an_older_reports_confirm_pressed_while_another_is_open_reports_nothing(
    app: App, wang: Reporter, add_household, assign
) -> None:
    chen = await add_household("陈德明")
    await assign(chen, wang.person)
    user = wang.user
    await user.send("德明")
    chen_card = await user.expect("身份证号")
    first_form = await _open_risk_form(user)
    await user.press("🏥 因病", first_form)
    old_confirm = await user.expect("确认为张桂英（一组）报告这个风险吗？")
    await user.press("🚩 报告风险", chen_card)
    second_form = await user.expect("🚩 为陈德明（一组）报告风险。")
    await user.press("🌊 因灾", second_form)

    answer = await user.press("✅ 确认报告", old_confirm)

    assert answer is not None and answer.show_alert
    assert "这张表已经填完了" in (answer.text or "")
    assert await _count(app, RedFlag) == 0
    await user.press("✅ 确认报告", second_form)
    [flag] = await _flags(app)
    assert (flag.household_id, flag.reason) == (chen.id, "因灾")
