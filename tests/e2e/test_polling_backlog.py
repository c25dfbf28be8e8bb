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

PEOPLE = 2 * UPDATES_AT_ONCE + 20  # several getUpdates batches (100 each) of separate chats


class HeldInFlight(BaseMiddleware):
    """Holds every update until UPDATES_AT_ONCE are in flight and polling has had a while to
    fetch more (it would, without the limit), then lets them all go; counts the peak."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.full = asyncio.Event()
        self.released = asyncio.Event()

    async def __call__(self, handler: Any, event: Any, data: dict[str, Any]) -> Any:
        self.now += 1
        self.peak = max(self.peak, self.now)
        if self.now >= UPDATES_AT_ONCE:
            self.full.set()
        try:
            await self.released.wait()
            return await handler(event, data)
        finally:
            self.now -= 1

    async def release_when_full(self) -> None:
        await self.full.wait()
        await asyncio.sleep(0.5)  # time for several more fetches, were they allowed
        self.released.set()


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
    in_flight = HeldInFlight()
    dispatcher.update.outer_middleware(in_flight)
    polling = asyncio.create_task(poll(dispatcher, bot, polling_timeout=1))
    release = asyncio.create_task(in_flight.release_when_full())
    try:
        await telegram.wait_for_sends(PEOPLE, timeout=120)
    finally:
        release.cancel()
        await dispatcher.stop_polling()
        await polling
        await bot.session.close()

    assert all(len(person.unread()) == 1 for person in people)  # each answered once
    assert in_flight.peak == UPDATES_AT_ONCE  # the rest waited at Telegram
