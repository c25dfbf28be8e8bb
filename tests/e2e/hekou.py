"""The town most office e2e tests start from: 周主任 at the town office, 孙书记 the
village admin of 河口村, 王建华 and 李春华 its contact persons (李春华 without Telegram),
and 张桂英's household in 王建华's care; and delivering the outbox without pacing waits
(content, not pacing, is what these tests check)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.policy import Actor
from bot.domain.model import Role
from bot.storage.models import Household, Person
from bot.storage.uow import App
from bot.telegram.session import pacer_of
from scheduler.sender import OutboxSender
from tests.e2e.conftest import RunningBot
from tests.telegram_api import TelegramUser

ON_TELEGRAM = ("周主任", "孙书记", "王建华")


@dataclass
class Hekou:
    users: dict[str, TelegramUser]  # the people on Telegram, by name
    people: dict[str, Person]
    zhang: Household  # 张桂英（一组）, 王建华's


async def hekou(make_user, register_person, add_household, assign) -> Hekou:  # type: ignore[no-untyped-def]
    users = {name: make_user(name) for name in ON_TELEGRAM}
    people = {
        "周主任": await register_person("周主任", Role.TOWN_OFFICE, telegram_user=users["周主任"]),
        "孙书记": await register_person(
            "孙书记", Role.VILLAGE_ADMIN, village="河口村", telegram_user=users["孙书记"]
        ),
        "王建华": await register_person(
            "王建华", Role.CONTACT, village="河口村", telegram_user=users["王建华"]
        ),
        "李春华": await register_person("李春华", Role.CONTACT, village="河口村"),
    }
    zhang = await add_household("张桂英", village="河口村")
    await assign(zhang, people["王建华"])
    return Hekou(users, people, zhang)


def actor(person: Person) -> Actor:
    return Actor(person.id, person.name, Role(person.role), person.village_id, person.town_id)


def unpaced_delivery(app: App, running_bot: RunningBot) -> Callable[[], Awaitable[int]]:
    """The outbox sender's one round, with no pacing waits between a chat's messages."""
    assert running_bot.bot is not None
    pacer_of(running_bot.bot).chat_limits = False
    return OutboxSender(app, running_bot.bot).drain_once
