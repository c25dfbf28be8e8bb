"""Factories for the bot, the dispatcher and the running service (polling + scheduler)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.strategy import FSMStrategy

from bot.clock import Clock
from bot.config import Settings
from bot.handlers import build_router
from bot.i18n import load_catalogs
from bot.storage.db import create_engine, create_session_factory
from bot.storage.uow import App
from bot.telegram.commands import publish_commands
from bot.telegram.filters import check_filters_inline
from bot.telegram.middlewares import (
    OwnCommandMenu,
    RefuseControlCharacters,
    UpdateIntake,
    WhoIsTalking,
)
from bot.telegram.pacing import SendPacer
from bot.telegram.proxy import bot_api_session
from bot.telegram.session import install
from bot.telegram.shared_state import (
    answer_when_redis_is_lost,
    send_pacer,
    state_and_isolation,
)
from bot.telegram.stopping import UpdatesInFlight, stop_on_signals
from bot.web.server import start_web

log = logging.getLogger(__name__)
STOP_GRACE_SECONDS = 20.0  # updates being handled when asked to stop may finish this long
# Updates handled at once while polling. A backlog (after a restart, on a busy morning)
# waits at Telegram, which keeps updates for a day, instead of being fetched whole: every
# fetched update is a task in memory (~14 KB each: 30,000 queued presses took the process
# to 760 MB in bench/per_update.py), and fetching the next batch confirms the last to
# Telegram, so whatever was fetched and not yet handled when the process stops is lost.
# Not lower: an update waiting for its chat's turn holds its place, so one chat with this
# many updates waiting (a flood: a person's answers are paced to one a second) would make
# every other chat wait; 200 answers at Telegram's 30 a second fit the 20 s a stop allows.
UPDATES_AT_ONCE = 200


def build_app(settings: Settings, clock: Clock | None = None) -> App:
    load_catalogs(settings.locales_dir)
    engine = create_engine(settings.database_url, settings.db_pool_size, settings.db_max_overflow)
    return App(
        settings=settings,
        clock=clock or Clock(settings.tz),
        sessions=create_session_factory(engine),
    )


def build_bot(settings: Settings, pacer: SendPacer | None = None) -> Bot:
    """The one Bot: every call it makes is split to Telegram's limits and paced by `pacer`
    (bot/telegram/session.py), replies and the outbox sender alike; with REDIS_URL the
    budget is shared by every worker (bot/telegram/shared_state.py)."""
    if not settings.bot_token:
        raise ValueError("BOT_TOKEN is not set")
    api = TelegramAPIServer.from_base(settings.telegram_api_url.rstrip("/"))
    session = bot_api_session(api, settings.telegram_proxy)
    install(session, pacer or send_pacer(settings))
    return Bot(settings.bot_token, session=session)


def build_dispatcher(
    app: App, storage: BaseStorage | None = None, in_flight: UpdatesInFlight | None = None
) -> Dispatcher:
    """The dispatcher with bangfu's middlewares and routers. `in_flight` (what a stop waits
    for) counts an update from the moment it is taken, before it waits for its chat's turn
    in the intake: by then Telegram may have been told it arrived."""
    shared_storage, isolation = state_and_isolation(app)
    dispatcher = Dispatcher(
        storage=storage or shared_storage,
        fsm_strategy=FSMStrategy.USER_IN_CHAT,
        events_isolation=isolation,  # one update at a time per chat: a double tap waits
        app=app,
    )
    answer_when_redis_is_lost(dispatcher)
    if in_flight is not None:
        dispatcher.update.outer_middleware(in_flight)
    UpdateIntake(app, dispatcher.fsm).install(dispatcher)
    who = WhoIsTalking(app)
    dispatcher.message.outer_middleware(who)
    dispatcher.callback_query.outer_middleware(who)
    dispatcher.my_chat_member.outer_middleware(who)  # who added the bot to a group
    at_the_door = RefuseControlCharacters()
    dispatcher.message.outer_middleware(at_the_door)
    dispatcher.callback_query.outer_middleware(at_the_door)
    dispatcher.message.outer_middleware(OwnCommandMenu(app))
    dispatcher.include_router(build_router())
    check_filters_inline(dispatcher)
    return dispatcher


async def serve(app: App, bot: Bot, stop: asyncio.Event | None = None) -> None:
    """Poll Telegram and run the scheduler until SIGTERM or SIGINT (or `stop` is set); then
    stop polling, let the updates being handled finish, stop the scheduler and let the
    sends on their way finish and be recorded."""
    from scheduler import start_scheduler

    stop = stop or asyncio.Event()
    in_flight = UpdatesInFlight()
    dispatcher = build_dispatcher(app, in_flight=in_flight)
    polling = asyncio.Event()
    dispatcher.startup.register(_set_when_called(polling))
    with stop_on_signals(stop):
        await publish_commands(bot, app.settings)
        scheduler = await start_scheduler(app, bot)
        # The office dashboard beside polling, when WEB_PORT is set (README "The office dashboard").
        dashboard = await start_web(app, bot) if app.settings.web_port is not None else None
        stopper = asyncio.create_task(_stop_polling_when(stop, polling, dispatcher))
        try:
            await poll(dispatcher, bot)
        finally:
            stopper.cancel()
            await in_flight.finished(STOP_GRACE_SECONDS)
            if dashboard is not None:
                await dashboard.cleanup()
            await scheduler.stop()
    log.info("bangfu stopped")


async def poll(dispatcher: Dispatcher, bot: Bot, **options: Any) -> None:
    """Poll Telegram, handling at most UPDATES_AT_ONCE updates at a time."""
    await dispatcher.start_polling(
        bot,
        handle_signals=False,
        close_bot_session=False,
        tasks_concurrency_limit=UPDATES_AT_ONCE,
        **options,
    )


async def _stop_polling_when(
    stop: asyncio.Event, polling: asyncio.Event, dispatcher: Dispatcher
) -> None:
    await stop.wait()
    await polling.wait()  # stop_polling() is refused before polling has begun
    await dispatcher.stop_polling()


def _set_when_called(event: asyncio.Event) -> Callable[[], Awaitable[None]]:
    async def startup() -> None:
        event.set()

    return startup
