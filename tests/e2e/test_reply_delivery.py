"""A person always gets an answer: a reply Telegram refuses with a server error, or whose
connection drops, is made again; and replies keep to Telegram's limits for each chat (a short
burst then one a second to a person, 20 a minute in a group), so a long answer in parts or a
burst to the office group earns no 429. The stand-in enforces the limits on a clock ten times
faster than the real one; the tests count messages and 429s, never rates."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot

from bot.config import Settings
from bot.domain.model import Role
from bot.telegram.app import build_bot
from bot.telegram.limits import TEXT_LIMIT
from tests.fast_clock import FastClock
from tests.telegram_api import FakeTelegram, TelegramGroup

OFFICE_GROUP = -1001234500


@pytest.fixture
async def fast_bot(settings: Settings, telegram: FakeTelegram) -> AsyncIterator[Bot]:
    """The bot as `bangfu run` builds it, pacing on the fast clock the stand-in enforces."""
    fast = FastClock(10)
    fast.enforce_limits(telegram)
    bot = build_bot(settings, pacer=fast.pacer())
    yield bot
    await bot.session.close()


@pytest.mark.parametrize("status", [500, 502])
async def test_a_reply_refused_with_a_server_error_is_sent_again_and_arrives_once(
    running_bot, telegram: FakeTelegram, make_user, register_person, status: int
) -> None:
    user = make_user("张建国")
    await register_person("张建国", Role.CONTACT, village="东冲村", telegram_user=user)
    telegram.fail_next("sendMessage", status, "Internal Server Error", chat_id=user.id, times=2)

    await user.send("/help")

    await user.expect("张建国")
    await user.expect_no_message()


@pytest.mark.parametrize("after_accepting", [False, True])
async def test_a_reply_whose_connection_drops_is_sent_again(
    running_bot, telegram: FakeTelegram, make_user, register_person, after_accepting: bool
) -> None:
    user = make_user("张建国")
    await register_person("张建国", Role.CONTACT, village="东冲村", telegram_user=user)
    telegram.drop_next("sendMessage", after_accepting=after_accepting, chat_id=user.id)

    await user.send("/help")

    await user.expect("张建国")
    if after_accepting:  # Telegram showed it, the bot never heard: shown twice, never lost
        await user.expect("张建国")
    await user.expect_no_message()


async def test_a_long_answer_in_many_parts_to_one_person_earns_no_429(
    fast_bot: Bot, telegram: FakeTelegram, make_user
) -> None:
    user = make_user("周主任")
    lines = [f"🏘 大河村 {n:04d}：👤 王秀英、李德明、张桂英" for n in range(800)]

    await fast_bot.send_message(user.id, "\n".join(lines))

    parts = user.messages
    assert len(parts) >= 6
    assert all(len(part.text) <= TEXT_LIMIT for part in parts)
    assert "\n".join(part.text for part in parts).split("\n") == lines
    assert telegram.retry_after_count == 0


async def test_a_burst_of_replies_to_the_office_group_earns_no_429(
    fast_bot: Bot, telegram: FakeTelegram
) -> None:
    group = TelegramGroup(telegram, "佛子岭镇扶贫办", chat_id=OFFICE_GROUP)

    for number in range(25):
        await fast_bot.send_message(OFFICE_GROUP, f"第 {number + 1} 条")

    assert [message.text for message in group.messages] == [f"第 {n + 1} 条" for n in range(25)]
    assert telegram.retry_after_count == 0
