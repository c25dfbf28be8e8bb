"""The Bot API stand-in itself: it must refuse what Telegram refuses, in Telegram's words, so
the real aiogram client raises its real exceptions."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from tests.telegram_api import FakeTelegram, TelegramUser


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    """A bare aiogram Bot with its real aiohttp session, pointed at the stand-in."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram.url))
    client = Bot("123456:TEST-TOKEN", session=session)
    yield client
    await session.close()


def keyboard_with(data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="好", callback_data=data)]]
    )


async def test_the_bot_learns_its_name_from_get_me(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username) == (123456, "bangfu_test_bot")


async def test_a_4096_character_text_is_sent_and_4097_is_refused(
    bot: Bot, make_user: Callable[..., TelegramUser]
) -> None:
    user = make_user()
    sent = await bot.send_message(user.id, "户" * 4096)
    assert len(sent.text or "") == 4096
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(user.id, "x" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(user.id, "   ")
    assert [m.message_id for m in user.messages] == [sent.message_id]


async def test_html_markup_does_not_count_towards_the_limit(bot: Bot, make_user) -> None:
    user = make_user()
    await bot.send_message(user.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")
    assert user.last_message is not None and user.last_message.text == "x" * 4096


async def test_callback_data_over_64_bytes_is_refused(bot: Bot, make_user) -> None:
    user = make_user()
    await bot.send_message(user.id, "ok", reply_markup=keyboard_with("d" * 64))
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(user.id, "too long", reply_markup=keyboard_with("d" * 65))
    # Bytes, not characters: 22 Chinese characters are 66 bytes.
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(user.id, "too long", reply_markup=keyboard_with("户" * 22))


async def test_a_caption_over_1024_characters_is_refused(bot: Bot, make_user) -> None:
    user = make_user()
    document = BufferedInputFile(b"a,b\n1,2\n", filename="form.csv")
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_document(user.id, document, caption="x" * 1025)


async def test_sending_to_a_chat_nobody_opened_is_chat_not_found(bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(42, "hello")


async def test_a_blocked_person_gives_forbidden(
    bot: Bot, telegram: FakeTelegram, make_user
) -> None:
    user = make_user()
    telegram.block(user.id)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(user.id, "提醒")
    telegram.unblock(user.id)
    await bot.send_message(user.id, "提醒")
    assert len(user.messages) == 1


async def test_injected_faults_hit_only_the_next_matching_calls(
    bot: Bot, telegram: FakeTelegram, make_user
) -> None:
    first, second = make_user("张三"), make_user("李四")
    telegram.fail_next(
        "sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7, chat_id=second.id
    )
    telegram.fail_next("sendMessage", 500, "Internal Server Error", times=2)
    with pytest.raises(TelegramServerError):
        await bot.send_message(first.id, "1")
    with pytest.raises(TelegramRetryAfter) as retry:
        await bot.send_message(second.id, "2")
    assert retry.value.retry_after == 7
    with pytest.raises(TelegramServerError):
        await bot.send_message(second.id, "3")
    await bot.send_message(second.id, "4")
    assert [m.text for m in second.messages] == ["4"]
    assert telegram.retry_after_count == 1


async def test_edits_change_the_stored_message_and_keep_its_history(bot: Bot, make_user) -> None:
    user = make_user()
    sent = await bot.send_message(user.id, "选择方式", reply_markup=keyboard_with("a"))
    await bot.edit_message_text("已保存", chat_id=user.id, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("已保存", chat_id=user.id, message_id=sent.message_id)
    first = await user.next_message()
    edited = await user.next_message()
    assert (first.text, first.button_texts) == ("选择方式", ["好"])
    assert (edited.text, edited.buttons, edited.edited) == ("已保存", (), True)
    assert user.messages == [edited]


async def test_documents_and_photos_round_trip_through_get_file(bot: Bot, make_user) -> None:
    user = make_user()
    sent = await bot.send_document(
        user.id, BufferedInputFile("村,户\n".encode(), filename="名单.csv"), caption="名单"
    )
    assert sent.document is not None
    file = await bot.get_file(sent.document.file_id)
    assert file.file_path is not None
    downloaded = await bot.download_file(file.file_path)
    assert downloaded is not None and downloaded.read() == "村,户\n".encode()
    shown = user.last_message
    assert shown is not None and shown.document is not None
    assert (shown.document.filename, shown.text) == ("名单.csv", "名单")

    update = await user.send_photo(settle=False)
    photo_id = update["message"]["photo"][-1]["file_id"]
    photo_file = await bot.get_file(photo_id)
    assert photo_file.file_path is not None
    photo = await bot.download_file(photo_file.file_path)
    assert photo is not None and photo.read().startswith(b"\x89PNG")


async def test_reply_keyboard_stays_until_replaced(bot: Bot, make_user) -> None:
    user = make_user()
    menu = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="🏠 我的农户")]])
    await bot.send_message(user.id, "菜单", reply_markup=menu)
    await bot.send_message(user.id, "别的消息")
    assert await user.reply_keyboard_texts() == ["🏠 我的农户"]


async def test_counters_see_every_send_per_chat_and_per_group(
    bot: Bot, telegram: FakeTelegram, make_user, make_group
) -> None:
    telegram.flood.now = lambda: 100.0  # every send in the same instant: no timing in tests
    user, group = make_user(), make_group()
    for number in range(3):
        await bot.send_message(user.id, f"{number}")
        await bot.send_message(group.id, f"{number}")
    assert telegram.max_per_second() == 6
    assert telegram.max_per_chat_per_second() == 3
    assert telegram.max_per_group_per_minute() == 3
    assert len(telegram.sends) == 6


async def test_enforced_limits_answer_429_with_retry_after(
    bot: Bot, telegram: FakeTelegram, make_user
) -> None:
    telegram.enforce_limits = True
    telegram.flood.now = lambda: 100.0
    user = make_user()
    with pytest.raises(TelegramRetryAfter) as retry:
        for number in range(10):
            await bot.send_message(user.id, f"{number}")
    assert retry.value.retry_after >= 1
    assert telegram.retry_after_count == 1
    assert len(user.messages) == 3  # Telegram tolerates a short burst in one chat


async def test_the_bot_remembers_a_chosen_language_across_a_restart(
    running_bot, make_user, register_person
) -> None:
    user = make_user("张建国")
    await register_person("张建国", telegram_user=user)
    await user.send("/language")
    await user.next_message()

    answer = await user.press("English")
    assert answer is not None and not answer.show_alert
    await user.expect("Language set to English.")

    await running_bot.restart()
    await user.send("/help")
    await user.expect("Hello 张建国")


async def test_a_failing_handler_is_reported_not_swallowed(
    running_bot, telegram: FakeTelegram, make_user
) -> None:
    # A refusal no retry can mend (a 5xx would be tried again, and the reply arrive).
    telegram.fail_next("sendMessage", 400, "Bad Request: message text is empty")
    user = make_user()
    await user.send("你好")
    assert "TelegramBadRequest" in running_bot.errors.report()
    running_bot.errors.records.clear()  # expected here; otherwise the test would fail


async def test_press_names_the_buttons_it_could_find(bot: Bot, make_user) -> None:
    user = make_user()
    await bot.send_message(user.id, "选择", reply_markup=keyboard_with("a"))
    with pytest.raises(AssertionError, match=r"no inline button '电话'.*\['好'\]"):
        await user.press("电话", settle=False)


async def test_enforced_limits_hold_a_group_to_20_a_minute_and_all_chats_to_30_a_second(
    bot: Bot, telegram: FakeTelegram, make_user, make_group
) -> None:
    telegram.enforce_limits = True
    telegram.flood.now = lambda: 100.0
    group = make_group()
    for number in range(20):
        await bot.send_message(group.id, f"{number}")
    with pytest.raises(TelegramRetryAfter) as group_retry:
        await bot.send_message(group.id, "21")
    assert 1 <= group_retry.value.retry_after <= 60

    people = [make_user(f"联系人{n}") for n in range(11)]
    for person in people[:10]:
        await bot.send_message(person.id, "提醒")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(people[10].id, "提醒")
    assert telegram.max_per_second() == 30
    assert telegram.retry_after_count == 2
