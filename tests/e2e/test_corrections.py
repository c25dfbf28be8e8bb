"""A contact person puts right their own contact within 24 hours: withdraws a mistaken one, or
corrects its date, channel, guarantees or note. Every change lands in the audit trail."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.domain.model import ContactStatus
from bot.handlers.contacts.correction_form import ContactEdit
from bot.storage.models import AuditEntry, Contact, Household, RedFlag
from bot.storage.uow import App
from tests.e2e.contact_people import ContactPeople, count, saved_contacts
from tests.e2e.conversations import correct, log_contact


@pytest.fixture
def contact_person(running_bot, make_user, register_person, add_household, assign, app: App):
    return ContactPeople(app, make_user, register_person, add_household, assign)


async def audit_entries(app: App, action: str) -> list[AuditEntry]:
    async with app.uow() as uow:
        query = select(AuditEntry).where(
            AuditEntry.entity == "contact", AuditEntry.action == action
        )
        return list((await uow.session.execute(query)).scalars())


async def test_a_mistaken_contact_is_withdrawn_and_no_longer_counts(contact_person, app: App):
    wang = await contact_person("王建国", ["张桂英", "陈德明"])
    phone = wang.phone
    await log_contact(phone, "张桂英（一组）")
    assert "本月已联系 1/2" in phone.last_message.text

    await phone.press("↩ 撤回")
    assert "确定撤回这条联系记录吗" in phone.last_message.text
    await phone.press("↩ 确定撤回")

    assert "已撤回 ↩ 张桂英（一组） · 2026-03-10" in phone.last_message.text
    assert "本月已联系 0/2" in phone.last_message.text
    [contact] = await saved_contacts(app)
    assert contact.status == ContactStatus.WITHDRAWN
    [entry] = await audit_entries(app, "withdraw")
    assert entry.actor_id == wang.person.id
    assert entry.changes["after"] == {"status": "withdrawn"}


async def test_keep_it_changes_nothing(contact_person, app: App):
    wang = await contact_person("王建国", ["张桂英"])
    await log_contact(wang.phone, "张桂英（一组）")

    await wang.phone.press("↩ 撤回")
    await wang.phone.press("不撤回")

    assert "农户：张桂英（一组）" in wang.phone.last_message.text
    assert await count(app, Contact, Contact.status == ContactStatus.ACTIVE) == 1


async def test_the_date_and_channel_are_corrected_and_audited_before_and_after(
    contact_person, app: App
):
    wang = await contact_person("王建国", ["张桂英"])
    phone = wang.phone
    await log_contact(phone, "张桂英（一组）")

    await phone.press("✏️ 更正")
    assert "要更正哪一项" in phone.last_message.text
    await phone.press("📅 昨天")
    assert "已更正 ✅" in phone.last_message.text
    assert "日期：2026-03-09（昨天）" in phone.last_message.text
    await correct(phone, "📞 联系方式")
    await phone.press("微信")
    assert "方式：微信" in phone.last_message.text

    [contact] = await saved_contacts(app)
    assert (contact.occurred_on, contact.channel) == (date(2026, 3, 9), "wechat")
    first, second = await audit_entries(app, "correct")
    assert first.changes == {
        "before": {"occurred_on": "2026-03-10"},
        "after": {"occurred_on": "2026-03-09"},
    }
    assert second.changes == {"before": {"channel": "phone"}, "after": {"channel": "wechat"}}


async def test_a_water_problem_added_by_correction_raises_a_red_flag(contact_person, app: App):
    wang = await contact_person("王建国", ["张桂英"])
    phone = wang.phone
    await log_contact(phone, "张桂英（一组）")

    await correct(phone, "🛡 保障情况")
    await phone.press("饮水安全 ✅ 有保障")
    await phone.press("好了 ➡")

    assert "❌ 饮水安全无保障" in phone.last_message.text
    assert "🚩 已红色标注，并已通知镇扶贫办" in phone.last_message.text
    [contact] = await saved_contacts(app)
    assert contact.problems == ["water"]
    assert await count(app, RedFlag, RedFlag.contact_id == contact.id) == 1


async def test_a_typed_note_and_a_typed_date_are_corrected_and_bad_ones_refused(
    contact_person, app: App
):
    wang = await contact_person("王建国", ["张桂英"])
    phone = wang.phone
    await log_contact(phone, "张桂英（一组）")

    await correct(phone, "📝 备注")
    await phone.send("字" * 1001)
    assert "1001" in phone.last_message.text and "请输入新的备注" in phone.last_message.text
    await phone.send("老人住院了，已联系医保报销")
    assert "备注：老人住院了，已联系医保报销" in phone.last_message.text

    await correct(phone, "📅 其他日期")
    await phone.send("明天")
    assert "看不懂这个日期" in phone.last_message.text
    await phone.send("3月11日")
    assert "日期不能晚于今天" in phone.last_message.text
    await phone.send("3月7日")
    assert "日期：2026-03-07" in phone.last_message.text

    [contact] = await saved_contacts(app)
    assert (contact.note, contact.occurred_on) == ("老人住院了，已联系医保报销", date(2026, 3, 7))


async def test_recent_lists_contacts_for_24_hours_and_after_25_hours_nothing_can_change(
    contact_person, clock: FrozenClock, app: App
):
    wang = await contact_person("王建国", ["张桂英", "陈德明"])
    phone = wang.phone
    await log_contact(phone, "张桂英（一组）")
    saved = phone.last_message

    await phone.send("/recent")
    assert "张桂英（一组） · 2026-03-10 · 电话" in phone.last_message.button_texts
    await phone.press("张桂英（一组） · 2026-03-10 · 电话")
    assert {"↩ 撤回", "✏️ 更正"} <= set(phone.last_message.button_texts)

    clock.advance(hours=25)
    await phone.send("/recent")
    assert "最近 24 小时内您没有录入联系记录" in phone.last_message.text
    answer = await phone.press("↩ 撤回", saved)

    assert answer is not None and answer.show_alert
    assert "只能在录入后 24 小时内更正或撤回" in (answer.text or "")
    assert await count(app, Contact, Contact.status == ContactStatus.ACTIVE) == 1


async def test_nobody_can_withdraw_another_persons_contact_with_a_forged_button(
    contact_person, app: App
):
    wang = await contact_person("王建国", ["张桂英"])
    li = await contact_person("李秀兰", ["周玉珍"])
    await log_contact(wang.phone, "张桂英（一组）")
    [contact] = await saved_contacts(app)

    for action in ("withdraw_yes", "correct", "day"):
        forged = ContactEdit(action=action, contact_id=contact.id, value="1").pack()
        answer = await li.phone.press_data(forged)
        assert answer is not None and "这条联系记录不是您录入的" in (answer.text or "")

    [unchanged] = await saved_contacts(app)
    assert (unchanged.status, unchanged.occurred_on) == ("active", date(2026, 3, 10))
    assert await audit_entries(app, "correct") == []


async def test_an_english_speaking_contact_person_withdraws_a_contact(contact_person, app: App):
    tom = await contact_person("Tom", ["张桂英"], language_code="en")
    phone = tom.phone
    await phone.tap("✍️ Log a contact")
    await phone.press("张桂英（一组）")
    await phone.press("Home visit")
    await phone.press("✅ All six fine")
    await phone.press("✅ Save")

    await phone.press("↩ Withdraw")
    assert "Withdraw this contact?" in phone.last_message.text
    await phone.press("↩ Yes, withdraw")

    assert "Withdrawn ↩ 张桂英（一组） · 2026-03-10. It no longer counts." in (
        phone.last_message.text
    )
    assert "This month: 0/1 contacted" in phone.last_message.text


async def test_a_mistyped_income_is_corrected_and_withdrawing_puts_the_old_one_back(
    contact_person, app: App
):
    wang = await contact_person("王建国", ["张桂英"])
    phone = wang.phone
    await log_contact(phone, "张桂英（一组）", save=False)
    await phone.press("💰 收入")
    await phone.send("68000")  # one zero too many
    await phone.press("✅ 保存")
    async with app.uow() as uow:
        before = (await uow.session.execute(select(Household))).scalar_one().income

    await correct(phone, "💰 收入")
    await phone.send("abc")
    assert "收入要填 0 到" in phone.last_message.text
    await phone.send("6800")
    assert "年人均纯收入：6,800 元" in phone.last_message.text

    await correct(phone, "⚠️ 家庭变故")
    await phone.press("☐ 生病")
    await phone.press("好了 ➡")
    assert "家庭变故：生病" in phone.last_message.text
    [contact] = await saved_contacts(app)
    assert (contact.income, contact.events) == (Decimal(6800), ["illness"])
    async with app.uow() as uow:
        assert (await uow.session.execute(select(Household))).scalar_one().income == 6800

    await phone.press("↩ 撤回")
    await phone.press("↩ 确定撤回")

    async with app.uow() as uow:
        household = (await uow.session.execute(select(Household))).scalar_one()
    assert before == Decimal(68000)
    assert household.income == Decimal(5200)  # as the roster had it before this contact
    restored = [e for e in await household_entries(app) if e.changes.get("reason")]
    assert len(restored) == 1 and restored[0].changes["before"]["income"] == "6800.00"


async def household_entries(app: App) -> list[AuditEntry]:
    async with app.uow() as uow:
        query = select(AuditEntry).where(AuditEntry.entity == "household")
        return list((await uow.session.execute(query)).scalars())
