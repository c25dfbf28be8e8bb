"""Shared by the contact e2e tests: a contact person with households, and database reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select, update

from bot.domain.model import Role
from bot.i18n import gettext as _
from bot.i18n import use_language
from bot.storage.models import Assignment, Contact, Household, Person
from bot.storage.uow import App
from tests.telegram_api import TelegramUser


@dataclass
class ContactPerson:
    phone: TelegramUser
    person: Person


def in_language(language: str, msgid: str) -> str:
    with use_language(language):
        return _(msgid)


async def count(app: App, model: type, *where: object) -> int:
    async with app.uow() as uow:
        query = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
        return (await uow.session.execute(query)).scalar_one()


async def saved_contacts(app: App) -> list[Contact]:
    async with app.uow() as uow:
        return list((await uow.session.execute(select(Contact).order_by(Contact.id))).scalars())


@dataclass
class ContactPeople:
    """`await contact_person("王建国", ["张桂英", "陈德明"])`: a registered contact person with
    households assigned a month ago, their phone showing the menu. Each test module makes it
    its `contact_person` fixture from the e2e conftest's fixtures."""

    app: App
    make_user: Callable[..., TelegramUser]
    register_person: Callable[..., Awaitable[Person]]
    add_household: Callable[..., Awaitable[Household]]
    assign: Callable[..., Awaitable[Assignment]]

    async def __call__(
        self, name: str, heads: list[str], language_code: str = "zh-hans"
    ) -> ContactPerson:
        phone = self.make_user(name, language_code=language_code)
        person = await self.register_person(
            name, Role.CONTACT, village="东冲村", telegram_user=phone
        )
        for head in heads:
            await self.assign(await self.add_household(head), person)
        async with self.app.uow() as uow:
            await uow.session.execute(
                update(Assignment)
                .where(Assignment.person_id == person.id)
                .values(started_at=uow.clock.now() - timedelta(days=30))
            )
            await uow.commit()
        await phone.send("/help")  # as after onboarding: the menu keyboard is on the phone
        phone.read_all()
        return ContactPerson(phone, person)
