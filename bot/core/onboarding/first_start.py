"""The first start (首次启动): while nobody at the town office has opened the bot, each start
prints a fresh town-office invite link; and the bot's @username kept for the CLI's links.

When the roster (or `demo-data --county`) already names town office people, none of whom has
joined, no extra admin is made: they are the ones to invite, each with their own link."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from bot.core.onboarding.invites import issue_code
from bot.core.policy import CLI_OPERATOR
from bot.core.roster.people import add_person
from bot.domain.model import Role
from bot.storage.models import AppState, Person
from bot.storage.uow import App

# The person the first-start link is made for; whoever opens it becomes the town office admin.
FIRST_ADMIN_NAME = "镇扶贫办管理员"
BOT_USERNAME_KEY = "bot_username"


async def remember_bot_username(app: App, username: str) -> None:
    """Keep the bot's @username so the CLI can print links while the bot is offline."""
    async with app.uow() as uow:
        row = await uow.session.get(AppState, BOT_USERNAME_KEY)
        if row is None:
            uow.session.add(AppState(name=BOT_USERNAME_KEY, value=username))
        else:
            row.value = username
        await uow.commit()


async def bot_username(app: App) -> str | None:
    async with app.uow() as uow:
        row = await uow.session.get(AppState, BOT_USERNAME_KEY)
        return row.value if row and row.value else None


@dataclass(frozen=True)
class FirstStart:
    """What a start tells the operator: a fresh admin link (`code`), or how many town office
    people on the roster wait for their own links; neither once one of them has joined."""

    code: str | None = None
    offices_waiting: int = 0


async def first_start(app: App) -> FirstStart:
    """A fresh town-office invite while nobody at the town office has opened the bot and the
    roster names none; the count of those waiting when it does.

    Each start replaces the previous start's link, so only the one printed last works.
    """
    town_office = (Person.role == Role.TOWN_OFFICE, Person.active.is_(True))
    async with app.uow() as uow:
        bound_office = await uow.session.execute(
            select(Person.id).where(*town_office, Person.telegram_user_id.is_not(None)).limit(1)
        )
        if bound_office.first() is not None:
            return FirstStart()
        waiting = await uow.session.scalar(
            select(func.count()).where(*town_office, Person.name != FIRST_ADMIN_NAME)
        )
        if waiting:
            return FirstStart(offices_waiting=waiting)
        admin = (
            await uow.session.execute(
                select(Person).where(Person.name == FIRST_ADMIN_NAME).order_by(Person.id).limit(1)
            )
        ).scalar_one_or_none()
        if admin is None:
            admin = await add_person(uow, CLI_OPERATOR, FIRST_ADMIN_NAME, Role.TOWN_OFFICE)
        code, _expires_at = await issue_code(
            uow, CLI_OPERATOR, admin, Role.TOWN_OFFICE, app.settings.invite_ttl_days
        )
        await uow.commit()
        return FirstStart(code=code)
