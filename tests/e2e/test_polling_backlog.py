"""A backlog waits at Telegram, not in the process: polling handles at most
UPDATES_AT_ONCE updates at a time (each fetched update is memory, and is lost if the process
stops before handling it, since the next fetch confirms it to Telegram)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import BaseMiddleware

from bot.storage.uow import App
from bot.telegram.app import UPDATES_AT_ONCE, build_bot, build_dispatcher, poll
from tests.e2e.conftest import PACE_FACTOR
from tests.fast_clock import FastClock
from tests.telegram_api import FakeTelegram, TelegramUser

PEOPLE = 2 * UPDATES_AT_ONCE + 20  # more than one getUpdates batch (100) of separate chats


class PeakInFlight(BaseMiddleware):
    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    async def __call__(self, handler: Any, event: Any, data: dict[str, Any]) -> Any:
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await asyncio.sleep(0.01)  # as a handler waiting on the database or Telegram
            return await handler(event, data)
        finally:
            self.now -= 1


async def test_a_backlog_of_many_chats_is_handled_at_most_updates_at_once_at_a_time(
    app: App, telegram: FakeTelegram
) -> None:
    people = [TelegramUser(telegram, f"访客{n:03d}") for n in range(PEOPLE)]
    for person in people:  # all waiting before the bot starts, as after a restart
        await person.send("/start", settle=False)
    pace = FastClock(PACE_FACTOR)
    telegram.flood.now = pace.now
    bot = build_bot(app.settings, pacer=pace.pacer())
    dispatcher = build_dispatcher(app)
    in_flight = PeakInFlight()
    dispatcher.update.outer_middleware(in_flight)
    polling = asyncio.create_task(poll(dispatcher, bot, polling_timeout=1))
    try:
        await telegram.wait_for_sends(PEOPLE, timeout=120)
    finally:
        await dispatcher.stop_polling()
        await polling
        await bot.session.close()

    assert all(len(person.unread()) == 1 for person in people)  # each answered once
    assert 1 < in_flight.peak <= UPDATES_AT_ONCE
