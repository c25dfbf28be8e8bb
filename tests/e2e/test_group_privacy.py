"""In the town office's group the bot does the office's work (alerts, /summary) and nothing
personal: a member's /help, /recent or menu buttons there show colleagues no reply keyboard
and no households; the same commands in the private chat work as always."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core.flags.raising import report_risk
from bot.core.policy import Actor
from bot.domain.model import Role
from bot.messages.keyboards import MY_HOUSEHOLDS
from bot.storage.models import Household
from bot.storage.uow import App
from bot.telegram.session import pacer_of
from scheduler.sender import OutboxSender
from tests.e2e.conftest import RunningBot
from tests.e2e.contact_people import ContactPeople, ContactPerson, in_language
from tests.e2e.conversations import log_contact
from tests.telegram_api import TelegramGroup, TelegramUser


@pytest.fixture
def contact_person(running_bot, make_user, register_person, add_household, assign, app: App):
    return ContactPeople(app, make_user, register_person, add_household, assign)


@pytest.fixture
async def director(make_user, register_person) -> TelegramUser:  # type: ignore[no-untyped-def]
    director = make_user("周主任")
    await register_person("周主任", Role.TOWN_OFFICE, telegram_user=director)
    return director


async def raise_flag(app: App, running_bot: RunningBot, wang: ContactPerson) -> None:
    """王建国 reports a risk for 张桂英; the alert is delivered to the town office's group."""
    person = wang.person
    actor = Actor(person.id, person.name, Role.CONTACT, person.village_id)
    async with app.uow() as uow:
        household_id = (await uow.session.execute(select(Household.id))).scalar_one()
    await report_risk(app, actor, household_id, "户主因病住院")
    assert running_bot.bot is not None
    pacer_of(running_bot.bot).chat_limits = False  # content, not pacing
    await OutboxSender(app, running_bot.bot).drain_once()


async def test_help_and_recent_in_the_group_show_colleagues_nothing_personal(
    contact_person, director: TelegramUser, town_office_group: TelegramGroup
) -> None:
    group = town_office_group
    wang = await contact_person("王建国", ["张桂英"])
    await log_contact(wang.phone, "张桂英（一组）")
    wang.phone.read_all()

    await director.send("/help", chat=group)
    await director.send("/start", chat=group)
    await wang.phone.send("/help", chat=group)
    await wang.phone.send("/recent", chat=group)
    await wang.phone.send(in_language("zh", MY_HOUSEHOLDS), chat=group)
    await wang.phone.send("张桂英", chat=group)

    await group.expect_no_message()
    assert group.chat.reply_keyboard() is None
    await wang.phone.expect_no_message()

    await wang.phone.send("/recent")  # in the private chat it works as always
    assert "张桂英（一组） · 2026-03-10 · 电话" in wang.phone.last_message.button_texts


async def test_summary_and_alert_buttons_still_work_in_the_group(
    app: App,
    running_bot: RunningBot,
    contact_person,
    director: TelegramUser,
    town_office_group: TelegramGroup,
) -> None:
    group = town_office_group
    await raise_flag(app, running_bot, await contact_person("王建国", ["张桂英"]))
    alert = await group.expect("🚩 红色预警")

    answer = await director.press("✅ 签收", alert, chat=group)
    assert answer is not None and "已签收" in answer.text
    assert (await group.next_message()).edited
    await group.expect("周主任 已签收")

    await director.press("📋 详情", alert, chat=group)
    assert "张桂英" in (await group.next_message()).text

    await director.send("/summary", chat=group)
    assert (await group.next_message()).text.startswith("📊")
    assert group.chat.reply_keyboard() is None
