"""A backlog waits at Telegram, not in the process: polling handles at most
UPDATES_AT_ONCE updates at a time (each fetched update is memory, and is lost if the process
stops before handling it, since the next fetch confirms it to Telegram). And a stop waits for
every update taken in, also one still waiting for its chat's turn."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.types import Chat, Message, Update, User

from bot.storage.uow import App
from bot.telegram.app import UPDATES_AT_ONCE, build_bot, build_dispatcher, poll
from bot.telegram.stopping import UpdatesInFlight
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


def _hello(update_id: int) -> Update:
    person = User(id=700_000_001, is_bot=False, first_name="王建国")
    chat = Chat(id=person.id, type="private")
    message = Message(message_id=update_id, date=datetime(2026, 3, 10), chat=chat, text="你好")
    return Update(update_id=update_id, message=message.model_copy(update={"from_user": person}))


async def test_a_stop_waits_for_an_update_still_waiting_for_its_chats_turn(app: App) -> None:
    in_flight = UpdatesInFlight()
    dispatcher = build_dispatcher(app, in_flight=in_flight)
    first_inside, go_on = asyncio.Event(), asyncio.Event()

    async def hold(handler: Any, event: Any, data: dict[str, Any]) -> None:
        first_inside.set()  # past the intake: this update has its chat's turn
        await go_on.wait()

    dispatcher.message.outer_middleware(hold)
    bot = Bot("123456:STOPPING")  # never called: `hold` answers nothing
    first = asyncio.create_task(dispatcher.feed_update(bot, _hello(1)))
    await first_inside.wait()
    second = asyncio.create_task(dispatcher.feed_update(bot, _hello(2)))  # same chat: waits
    for _ in range(1000):
        if in_flight.handling == 2:
            break
        await asyncio.sleep(0.01)

    assert in_flight.handling == 2
    assert not await in_flight.finished(timeout=0.05)  # a stop now would wait for both
    go_on.set()
    await asyncio.gather(first, second)
    assert await in_flight.finished(timeout=5)
    await bot.session.close()
