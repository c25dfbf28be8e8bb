"""The polite gate: strangers get one explanation per message and never any data; registered
people get their menu; a replayed update is handled once."""

from __future__ import annotations

from aiogram.types import KeyboardButton

from bot.core.policy import Duty
from bot.domain.model import Role
from bot.handlers.onboarding.gate import NOT_REGISTERED
from bot.i18n import gettext as _
from bot.i18n import use_language
from bot.messages.keyboards import main_menu


def in_language(language: str, msgid: str) -> str:
    with use_language(language):
        return _(msgid)


def menu_labels(language: str, *duties: Duty) -> list[str]:
    """The reply keyboard's labels for these duties (a contact person's by default)."""
    with use_language(language):
        rows: list[list[KeyboardButton]] = main_menu(duties or (Duty.OWN_HOUSEHOLDS,)).keyboard
        return [button.text for row in rows for button in row]


async def test_stranger_gets_one_polite_explanation_for_anything_and_no_data(
    running_bot, make_user, add_household
) -> None:
    await add_household("王桂英")
    stranger = make_user("陌生人")
    explanation = in_language("zh", NOT_REGISTERED)

    for text in ("你好", "/start", "/help", menu_labels("zh")[0], "王桂英"):
        await stranger.send(text)
        reply = await stranger.next_message()
        assert reply.text == explanation, f"after {text!r}"
        assert not reply.buttons and reply.reply_keyboard is None
        await stranger.expect_no_message()

    assert all("王桂英" not in message.text for message in stranger.messages)


async def test_stranger_pressing_a_forged_button_gets_the_explanation_as_an_alert(
    running_bot, make_user, add_household
) -> None:
    household = await add_household("李秀兰")
    stranger = make_user("陌生人")
    await stranger.send("你好")
    stranger.read_all()

    answer = await stranger.press_data(f"hh:card:{household.id}")

    assert answer is not None and answer.show_alert
    assert answer.text == in_language("zh", NOT_REGISTERED)
    await stranger.expect_no_message()


async def test_english_speaking_stranger_is_answered_in_english(running_bot, make_user) -> None:
    stranger = make_user("Tom", language_code="en")
    await stranger.send("/start")
    await stranger.expect(NOT_REGISTERED)


async def test_stranger_chatting_in_the_town_office_group_gets_no_reply(
    running_bot, make_user, town_office_group
) -> None:
    assert running_bot.app.settings.town_office_chat_id == town_office_group.id
    stranger, group = make_user("陌生人"), town_office_group
    await stranger.send("大家好", chat=group)
    await group.expect_no_message()
    await stranger.expect_no_message()


async def test_registered_person_asking_for_help_gets_it_with_the_main_menu(
    running_bot, make_user, register_person
) -> None:
    user = make_user("张建国")
    await register_person("张建国", Role.CONTACT, village="东冲村", telegram_user=user)

    await user.send("/help")

    reply = await user.expect("张建国")
    with use_language("zh"):
        assert Role.CONTACT.label in reply.text
    assert await user.reply_keyboard_texts() == menu_labels("zh")
    await user.expect_no_message()


async def test_registered_english_speaker_gets_help_in_english(
    running_bot, make_user, register_person
) -> None:
    user = make_user("Tom", language_code="en")
    await register_person("Tom", Role.VILLAGE_ADMIN, village="东冲村", telegram_user=user)

    await user.send("/help")

    reply = await user.expect("Hello Tom")
    assert "Village admin" in reply.text
    assert await user.reply_keyboard_texts() == menu_labels("en", Duty.VILLAGE)


async def test_the_same_update_delivered_twice_is_handled_once(
    running_bot, make_user, register_person
) -> None:
    user = make_user("张建国")
    await register_person("张建国", telegram_user=user)

    await user.send("/help", duplicate=True)
    await user.expect("张建国")
    await user.expect_no_message()

    await user.redeliver_last()
    await user.expect_no_message()


async def test_a_stranger_s_replayed_update_gets_one_explanation(running_bot, make_user) -> None:
    stranger = make_user()
    await stranger.send("你好", duplicate=True)
    await stranger.expect(in_language("zh", NOT_REGISTERED))
    await stranger.expect_no_message()
