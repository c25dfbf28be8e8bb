"""End-to-end fixtures: the Bot API stand-in, the real bot polling it, and people to play.

    async def test_registered_person_gets_help(running_bot, make_user, register_person):
        user = make_user("李四")
        await register_person("李四", Role.CONTACT, telegram_user=user)
        await user.send("/help")
        reply = await user.expect("李四")
        assert "🏠 我的农户" in await user.reply_keyboard_texts()

Inside tests/e2e, `settings` (and so `app`) point at the stand-in, and `running_bot.app` is
the very `app` fixture: seed data with it while the bot runs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from decimal import Decimal
from itertools import count

import pytest
from aiogram import Bot, Dispatcher

from bot.clock import FrozenClock
from bot.config import Settings
from bot.domain.model import Category, Role
from bot.storage.models import Assignment, Household, Person
from bot.storage.uow import App
from bot.telegram.app import build_bot, build_dispatcher
from bot.telegram.commands import publish_commands
from tests.fast_clock import FastClock
from tests.telegram_api import FakeTelegram, TelegramGroup, TelegramUser
from tests.town_builder import TownBuilder, id_number

POLLING_TIMEOUT = 2  # seconds a getUpdates waits: stop_polling cancels it anyway


class HandlerErrors(logging.Handler):
    """Collects exceptions aiogram swallowed while handling updates (it only logs them)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def report(self) -> str:
        return "\n\n".join(self.format(record) for record in self.records)


PACE_FACTOR = 20


class RunningBot:
    """The real bot (dispatcher, middlewares, routers, aiohttp session) polling the stand-in."""

    def __init__(self, app: App, telegram: FakeTelegram) -> None:
        self.app = app
        self.telegram = telegram
        self.bot: Bot | None = None
        self.dispatcher: Dispatcher | None = None
        self.errors = HandlerErrors()
        self._polling: asyncio.Task[None] | None = None
        # The bot paces, and the stand-in counts (and, where a test asks, enforces) Telegram's
        # limits, on one clock PACE_FACTOR times faster than real time: every limit still holds,
        # but a person's third quick reply waits 50 ms, not a second, so the suite does not
        # spend its time asleep.
        self.pace = FastClock(PACE_FACTOR)
        telegram.flood.now = self.pace.now

    async def start(self) -> None:
        self.bot = build_bot(self.app.settings, pacer=self.pace.pacer())
        self.dispatcher = build_dispatcher(self.app)
        await publish_commands(self.bot, self.app.settings)
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                handle_as_tasks=False,  # so telegram.settled() means "handlers finished"
                handle_signals=False,
                close_bot_session=False,
                polling_timeout=POLLING_TIMEOUT,
            )
        )
        await self.telegram.wait_until_polling()

    async def stop(self) -> None:
        """Stop polling cleanly and close the bot's HTTP session."""
        if self._polling is not None and self.dispatcher is not None:
            if not self._polling.done():
                await self.dispatcher.stop_polling()
            await self._polling
            self._polling = None
        if self.bot is not None:
            await self.bot.session.close()
            self.bot = None
        if self.dispatcher is not None:
            self.dispatcher = None

    async def restart(self) -> None:
        """Let the bot finish what it got, stop it, and start a new Bot and Dispatcher on the
        same database: whatever survives this was stored, not held in memory."""
        await self.telegram.settled()
        await self.stop()
        await self.start()

    def check_no_handler_errors(self) -> None:
        if self.errors.records:
            raise AssertionError(f"the bot failed while handling updates:\n{self.errors.report()}")


@pytest.fixture
async def telegram(clock: FrozenClock) -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(now=clock.now) as stand_in:
        yield stand_in


@pytest.fixture
def settings(
    settings: Settings, telegram: FakeTelegram, request: pytest.FixtureRequest
) -> Settings:
    """The shared settings, talking to the stand-in instead of api.telegram.org; a module
    marked `office_group(chat_id)` has the town office read its alerts in that group chat."""
    update: dict[str, object] = {"telegram_api_url": telegram.url}
    office_group = request.node.get_closest_marker("office_group")
    if office_group is not None:
        update["town_office_chat_id"] = office_group.args[0]
    return settings.model_copy(update=update)


@pytest.fixture
def e2e_settings(settings: Settings) -> Settings:
    return settings


@pytest.fixture
async def running_bot(app: App, telegram: FakeTelegram) -> AsyncIterator[RunningBot]:
    """The real bot, polling. Fails the test if a handler raised (clear `running_bot.errors
    .records` in a test that expects one)."""
    running = RunningBot(app, telegram)
    logging.getLogger("aiogram.event").addHandler(running.errors)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
        logging.getLogger("aiogram.event").removeHandler(running.errors)
    running.check_no_handler_errors()


@pytest.fixture
def make_user(telegram: FakeTelegram) -> Callable[..., TelegramUser]:
    """`make_user("张三")`, `make_user("Tom", language_code="en")`: a new Telegram account."""

    def make(name: str = "张三", language_code: str | None = "zh-hans") -> TelegramUser:
        return TelegramUser(telegram, first_name=name, language_code=language_code)

    return make


@pytest.fixture
def make_group(telegram: FakeTelegram) -> Callable[..., TelegramGroup]:
    def make(title: str = "镇扶贫办") -> TelegramGroup:
        return TelegramGroup(telegram, title)

    return make


@pytest.fixture
def town_office_group(telegram: FakeTelegram, settings: Settings) -> TelegramGroup:
    """The town office's group chat, configured as TOWN_OFFICE_CHAT_ID for this test."""
    group = TelegramGroup(telegram, "镇扶贫办")
    settings.town_office_chat_id = group.id
    return group


@pytest.fixture
def town_builder(app: App) -> TownBuilder:
    return TownBuilder(app)


@pytest.fixture
def register_person(town_builder: TownBuilder) -> Callable[..., Awaitable[Person]]:
    """Insert a registered person straight into the database, bound to a Telegram account:
    for tests that are not about onboarding."""

    async def register(
        name: str,
        role: Role = Role.CONTACT,
        village: str | None = None,
        telegram_user: TelegramUser | None = None,
        language: str | None = None,
        phone: str | None = None,
    ) -> Person:
        place = await town_builder.village(village) if village else None
        user_id = telegram_user.id if telegram_user else None
        return await town_builder.add_person(name, role, place, user_id, language, phone)

    return register


@pytest.fixture
def add_household(town_builder: TownBuilder) -> Callable[..., Awaitable[Household]]:
    """Insert a monitored household (户) in a village; numbers and ID numbers are made up."""
    serials = count(1)

    async def add(
        head_name: str,
        village: str = "东冲村",
        category: Category = Category.MARGINAL,
        members: int = 3,
        income: Decimal | None = Decimal("5200"),
        phone: str | None = None,
        group: str = "一组",
    ) -> Household:
        serial = next(serials)
        return await town_builder.household(
            await town_builder.village(village),
            head_name,
            group_name=group,
            category=category,
            number=f"E2E{serial:06d}",
            id_number=id_number(serial),
            phone=phone,
            members=members,
            income=income,
            income_measured_on=date(2025, 12, 31) if income is not None else None,
        )

    return add


@pytest.fixture
def assign(town_builder: TownBuilder) -> Callable[[Household, Person], Awaitable[Assignment]]:
    """Make `person` the household's contact person (帮扶联系人) from now on."""

    async def assign_to(household: Household, person: Person) -> Assignment:
        return await town_builder.assign(household, person.id)

    return assign_to


@pytest.fixture
async def hekou_town(make_user, register_person, add_household, assign):  # type: ignore[no-untyped-def]
    """河口村 as most town office tests start from it (tests/e2e/hekou.py)."""
    from tests.e2e.hekou import hekou  # hekou.py imports this module: import it when used

    return await hekou(make_user, register_person, add_household, assign)
