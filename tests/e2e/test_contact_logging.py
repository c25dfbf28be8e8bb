"""Logging a contact as a contact person does it on the phone: a few taps after a visit or a
call, through the real bot talking to the Bot API stand-in."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from bot.domain.model import ContactChannel, FlagSource
from bot.messages.keyboards import HouseholdAct, HouseholdAction
from bot.storage.models import Assignment, Contact, FsmRecord, OutboxMessage, RedFlag
from bot.storage.uow import App
from tests.e2e.contact_people import ContactPeople, count, in_language, saved_contacts
from tests.e2e.conversations import log_contact

TODAY = date(2026, 3, 10)  # the conftest clock


@pytest.fixture
def contact_person(running_bot, make_user, register_person, add_household, assign, app: App):
    return ContactPeople(app, make_user, register_person, add_household, assign)


async def test_common_case_is_five_taps_and_says_saved_with_the_month_progress(
    contact_person, app: App
):
    wang = await contact_person("王建国", ["张桂英", "陈德明", "周玉珍"])
    phone = wang.phone

    await phone.tap("✍️ 记录联系")  # 1
    picker = await phone.expect("本月已联系 0/3")
    assert "也可以直接输入户主姓名" in picker.text
    assert sorted(picker.button_texts) == ["周玉珍（一组）", "张桂英（一组）", "陈德明（一组）"]
    await phone.press("张桂英（一组）")  # 2
    assert "这次是怎么联系的" in phone.last_message.text
    await phone.press("电话")  # 3
    assert "两不愁三保障一安全" in phone.last_message.text
    await phone.press("✅ 六项都没问题")  # 4
    confirm = phone.last_message
    assert "日期：2026-03-10（今天）" in confirm.text
    assert "两不愁三保障一安全：✅ 都没问题" in confirm.text
    await phone.press("✅ 保存")  # 5

    saved = phone.last_message
    assert "已保存 ✅ 张桂英（一组） · 电话 · 2026-03-10" in saved.text
    assert "本月已联系 1/3" in saved.text
    assert {"↩ 撤回", "✏️ 更正"} <= set(saved.button_texts)
    assert saved.message_id == picker.message_id  # one message, edited in place all along
    [contact] = await saved_contacts(app)
    assert (contact.channel, contact.problems, contact.occurred_on) == ("phone", [], TODAY)
    assert await count(app, FsmRecord) == 0  # the finished form leaves no state behind


async def test_from_the_saved_message_the_next_household_is_four_taps(contact_person, app: App):
    wang = await contact_person("王建国", ["张桂英", "陈德明"])
    phone = wang.phone
    await log_contact(phone, "张桂英（一组）", channel="微信")

    following = phone.last_message.button_texts[-1]
    assert following.startswith("➡ 下一户：")
    await phone.press(following)
    await phone.press("视频")
    await phone.press("✅ 六项都没问题")
    await phone.press("✅ 保存")

    assert "本月已联系 2/2" in phone.last_message.text
    assert "都联系到了" in phone.last_message.text
    assert [c.channel for c in await saved_contacts(app)] == ["wechat", "video"]


async def test_a_housing_problem_with_a_typed_note_raises_a_red_flag_and_alerts_the_town(
    contact_person, app: App
):
    wang = await contact_person("王建国", ["张桂英", "陈德明"])
    phone = wang.phone
    await phone.tap("✍️ 记录联系")
    await phone.press("张桂英（一组）")
    await phone.press("入户走访")
    await phone.press("住房安全 ✅ 有保障")
    assert "住房安全 ❌ 有问题" in phone.last_message.button_texts
    await phone.press("好了 ➡")
    assert "两不愁三保障一安全：❌ 住房安全无保障" in phone.last_message.text
    await phone.press("📝 备注")
    assert "请输入备注" in phone.last_message.text
    await phone.send("屋顶漏雨，墙有裂缝，需要危房改造")
    confirm = phone.last_message
    assert "备注：屋顶漏雨，墙有裂缝，需要危房改造" in confirm.text
    await phone.press("✅ 保存", confirm)

    assert "🚩 已红色标注，并已通知镇扶贫办" in phone.last_message.text
    [contact] = await saved_contacts(app)
    assert contact.problems == ["housing"]
    async with app.uow() as uow:
        flag = (await uow.session.execute(select(RedFlag))).scalar_one()
        alert = (await uow.session.execute(select(OutboxMessage))).scalar_one()
    assert (flag.source, flag.contact_id) == (FlagSource.GUARANTEE, contact.id)
    assert "住房安全无保障" in flag.reason and "屋顶漏雨" in flag.reason
    assert "有保障" not in flag.reason and flag.problems == ["housing"]
    assert (alert.kind, alert.recipient, alert.payload["flag_id"]) == (
        "flag_alert",
        "town_office",
        flag.id,
    )


async def test_free_text_where_a_button_is_expected_gets_a_hint_and_the_same_step(
    contact_person, app: App
):
    wang = await contact_person("王建国", ["张桂英", "陈德明"])
    phone = wang.phone
    await phone.tap("✍️ 记录联系")
    await phone.press("张桂英（一组）")

    await phone.send("打了电话")
    again = phone.last_message
    assert again.text.startswith("请点按钮选择。")
    assert "这次是怎么联系的" in again.text
    assert "电话" in again.button_texts
    await phone.press("电话", again)
    await phone.send("都挺好")
    assert "六项都没问题" in " ".join(phone.last_message.button_texts)
    await phone.press("✅ 六项都没问题")
    await phone.press("✅ 保存")

    assert "本月已联系 1/2" in phone.last_message.text
    assert await count(app, Contact) == 1


async def test_an_invalid_date_income_or_overlong_note_names_the_rule_and_asks_again(
    contact_person, app: App
):
    wang = await contact_person("王建国", ["张桂英"])
    phone = wang.phone
    await log_contact(phone, "张桂英（一组）", channel="入户走访", save=False)

    await phone.press("📅 其他日期")
    await phone.send("3月20日")
    assert "日期不能晚于今天（今天是 2026-03-10）" in phone.last_message.text
    await phone.send("上个月")
    assert "看不懂这个日期" in phone.last_message.text
    await phone.send("2026-01-01")
    refused = phone.last_message.text
    assert "日期最多只能往前补 60 天，不能早于 2026-01-09" in refused
    assert "请输入联系的日期" in refused  # the same step again
    await phone.send("3月8日")
    assert "日期：2026-03-08" in phone.last_message.text

    await phone.press("💰 收入")
    await phone.send("五千")
    assert "收入要填 0 到 999,999 之间的数字" in phone.last_message.text
    await phone.send("6,800元")
    assert "年人均纯收入：6,800 元" in phone.last_message.text

    await phone.press("📝 备注")
    await phone.send("很" * 1001)
    refused = phone.last_message.text
    assert "1000" in refused and "1001" in refused  # the limit, and how long it was
    assert "请输入备注" in refused
    await phone.send("家里老人身体还好")
    await phone.press("✅ 保存")

    [contact] = await saved_contacts(app)
    assert contact.occurred_on == date(2026, 3, 8)
    assert contact.income is not None and int(contact.income) == 6800
    assert contact.note == "家里老人身体还好"


async def test_a_photo_can_be_added_to_a_home_visit_only(contact_person, app: App):
    wang = await contact_person("王建国", ["张桂英", "陈德明"])
    phone = wang.phone
    await log_contact(phone, "张桂英（一组）", save=False)
    assert "📷 照片" not in phone.last_message.button_texts
    await phone.press("📞 联系方式")
    await phone.press("入户走访")  # back to the confirm screen, now a home visit
    await phone.press("📷 照片")
    await phone.send("照片在这")
    assert "请发一张照片" in phone.last_message.text
    await phone.send_photo()
    assert "照片：已附 📷" in phone.last_message.text
    await phone.press("✅ 保存")

    [contact] = await saved_contacts(app)
    assert contact.channel == ContactChannel.HOME_VISIT
    assert contact.photo_file_id and contact.photo_file_id.startswith("photo-")


async def test_a_bot_restart_in_the_middle_of_the_form_resumes_it(
    contact_person, running_bot, app: App
):
    wang = await contact_person("王建国", ["张桂英", "陈德明"])
    phone = wang.phone
    await phone.tap("✍️ 记录联系")
    await phone.press("张桂英（一组）")
    await phone.press("短信")

    await running_bot.restart()
    await phone.press("✅ 六项都没问题")
    await phone.press("📝 备注")

    await running_bot.restart()
    await phone.send("短信回复说一切都好")
    await phone.press("✅ 保存")

    assert "本月已联系 1/2" in phone.last_message.text
    [contact] = await saved_contacts(app)
    assert (contact.channel, contact.note) == ("sms", "短信回复说一切都好")


async def test_a_double_tap_on_save_and_a_replayed_update_save_one_contact(
    contact_person, telegram, app: App
):
    wang = await contact_person("王建国", ["张桂英", "陈德明"])
    phone = wang.phone
    await log_contact(phone, "张桂英（一组）", save=False)

    first, second = await phone.double_press("✅ 保存")
    assert first is not None and not first.show_alert
    await phone.redeliver_last()

    assert await count(app, Contact) == 1
    assert second is not None and "这张表已经填完了" in (second.text or "")
    assert "本月已联系 1/2" in phone.last_message.text


async def test_a_stale_button_from_a_finished_form_saves_nothing(contact_person, app: App):
    wang = await contact_person("王建国", ["张桂英", "陈德明"])
    phone = wang.phone
    await log_contact(phone, "张桂英（一组）", save=False)
    save_data = phone.last_message.button_data("✅ 保存")
    await phone.press("✖ 取消")
    assert "已停止，没有保存任何内容" in phone.last_message.text

    answer = await phone.press_data(save_data)

    assert answer is not None and answer.show_alert
    assert "这张表已经填完了" in (answer.text or "")
    assert await count(app, Contact) == 0


async def test_a_forged_household_id_is_refused_and_nothing_is_written(
    contact_person, running_bot, app: App
):
    wang = await contact_person("王建国", ["张桂英"])
    li = await contact_person("李秀兰", ["周玉珍"])
    async with app.uow() as uow:
        others = (
            await uow.session.execute(
                select(Assignment.household_id).where(Assignment.person_id == li.person.id)
            )
        ).scalar_one()
    await wang.phone.tap("✍️ 记录联系")

    forged = HouseholdAction(action=HouseholdAct.LOG, household_id=others).pack()
    answer = await wang.phone.press_data(forged)

    assert answer is not None and answer.show_alert
    assert answer.text == in_language("zh", "That household is not one of yours.")
    assert await count(app, Contact) == 0
    async with app.uow() as uow:
        state = await uow.session.scalar(select(FsmRecord.state))
    assert state is None or "channel" not in state  # no form was started for it


async def test_a_menu_button_pressed_mid_form_leaves_the_form(contact_person, app: App):
    wang = await contact_person("王建国", ["张桂英"])
    phone = wang.phone
    await phone.tap("✍️ 记录联系")
    await phone.press("张桂英（一组）")
    form = phone.last_message

    await phone.tap("❓ 帮助")
    assert "王建国" in phone.last_message.text  # the help text, not a form hint
    answer = await phone.press("电话", form)

    assert answer is not None and "这张表已经填完了" in (answer.text or "")
    assert await count(app, Contact) == 0


async def test_my_households_pressed_mid_form_shows_the_list_and_the_form_is_over(
    contact_person, app: App
):
    # The menu's own routers come before the forms: the press must still end the form.
    wang = await contact_person("王建国", ["张桂英"])
    phone = wang.phone
    await phone.tap("✍️ 记录联系")
    await phone.press("张桂英（一组）")
    form = phone.last_message

    await phone.tap("🏠 我的农户")
    assert "我的农户：共 1 户" in phone.last_message.text
    assert phone.last_message.button_texts == ["⏳ 张桂英（一组）"]
    async with app.uow() as uow:
        assert await uow.session.scalar(select(FsmRecord.state)) is None
    answer = await phone.press("电话", form)

    assert answer is not None and "这张表已经填完了" in (answer.text or "")
    assert await count(app, Contact) == 0


async def test_an_english_speaking_contact_person_logs_a_contact_in_english(
    contact_person, app: App
):
    tom = await contact_person("Tom", ["张桂英", "陈德明"], language_code="en")
    phone = tom.phone

    await phone.tap("✍️ Log a contact")
    assert "This month: 0/2 contacted" in phone.last_message.text
    await phone.press("张桂英（一组）")
    assert "How did you contact them?" in phone.last_message.text
    await phone.press("Phone")
    await phone.press("✅ All six fine")
    assert "Six guarantees: ✅ all fine" in phone.last_message.text
    await phone.press("📅 Yesterday")
    assert "Date: 2026-03-09 (yesterday)" in phone.last_message.text
    await phone.press("✅ Save")

    assert "Saved ✅ 张桂英（一组） · Phone · 2026-03-09" in phone.last_message.text
    assert "This month: 1/2 contacted" in phone.last_message.text
    [contact] = await saved_contacts(app)
    assert contact.occurred_on == date(2026, 3, 9)


async def test_a_form_confirmed_for_today_before_midnight_keeps_that_day_when_saved_after(
    contact_person, clock, app: App
):
    clock.set(datetime(2026, 3, 31, 23, 59, tzinfo=clock.tz))
    wang = await contact_person("王建国", ["张桂英", "陈德明"])
    phone = wang.phone
    await log_contact(phone, "张桂英（一组）", save=False)
    assert "日期：2026-03-31（今天）" in phone.last_message.text

    clock.advance(minutes=2)  # past midnight: now it is April the 1st
    await phone.press("✅ 保存")

    assert "2026-03-31" in phone.last_message.text
    [contact] = await saved_contacts(app)
    assert contact.occurred_on == date(2026, 3, 31)


async def test_today_pressed_before_midnight_keeps_that_day(contact_person, clock, app: App):
    clock.set(datetime(2026, 3, 31, 23, 58, tzinfo=clock.tz))
    wang = await contact_person("王建国", ["张桂英", "陈德明"])
    phone = wang.phone
    await log_contact(phone, "张桂英（一组）", save=False)
    await phone.press("📅 昨天")
    await phone.press("📅 今天")

    clock.advance(minutes=3)
    await phone.press("✅ 保存")

    [contact] = await saved_contacts(app)
    assert contact.occurred_on == date(2026, 3, 31)


async def test_a_guarantee_problem_already_flagged_and_open_alerts_the_town_only_once(
    contact_person, app: App
):
    wang = await contact_person("王建国", ["张桂英", "陈德明"])
    phone = wang.phone
    for _ in range(2):
        await phone.tap("✍️ 记录联系")
        await phone.send("张桂英")  # contacted already this month the second time: search
        await phone.press("电话")
        await phone.press("住房安全 ✅ 有保障")
        await phone.press("好了 ➡")
        await phone.press("✅ 保存")

    assert "已经标注过" in phone.last_message.text
    assert await count(app, RedFlag) == 1
    assert await count(app, OutboxMessage) == 1


async def test_starting_another_household_mid_form_says_the_first_form_was_not_saved(
    contact_person, app: App
):
    wang = await contact_person("王建国", ["张桂英", "陈德明"])
    phone = wang.phone
    await phone.tap("📅 本月进度")
    progress = phone.last_message
    await phone.press("✍️ 张桂英（一组）", progress)
    await phone.press("电话")

    await phone.press("✍️ 陈德明（一组）", progress)  # the other household, from the older list

    assert any("张桂英（一组） 那张没填完的表没有保存" in (m.text or "") for m in phone.messages)
    assert await count(app, Contact) == 0
