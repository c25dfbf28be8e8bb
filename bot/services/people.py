"""People who use the bot: contact persons, village admins, the town office."""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.model import Role
from bot.services.access import Actor
from bot.storage.models import Person
from bot.storage.uow import App


async def actor_for_telegram(app: App, telegram_user_id: int) -> tuple[Actor, str | None] | None:
    """The active person bound to this Telegram account, with their chosen language."""
    async with app.uow() as uow:
        person = (
            await uow.session.execute(
                select(Person).where(
                    Person.telegram_user_id == telegram_user_id, Person.active.is_(True)
                )
            )
        ).scalar_one_or_none()
        if person is None:
            return None
        actor = Actor(
            person_id=person.id,
            name=person.name,
            role=Role(person.role),
            village_id=person.village_id,
        )
        return actor, person.language


async def set_language(app: App, actor: Actor, language: str) -> None:
    async with app.uow() as uow:
        person = await uow.session.get(Person, actor.person_id)
        if person is not None:
            person.language = language
            await uow.commit()
