"""People who use the bot: contact persons, village admins, the town office."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.core.policy import Actor
from bot.domain.model import Role
from bot.i18n import N_
from bot.storage.models import Person
from bot.storage.uow import App

# All a deactivated person is told, whatever they send or press: no menu, no data.
DEACTIVATED = N_(
    "Your account has been deactivated, so the bot no longer shows you any households. "
    "If you should still be using it, please ask the town office for a new invitation link."
)


@dataclass(frozen=True)
class Account:
    """Whose a Telegram account is: an active person (`actor`), or one the town office
    deactivated (`actor` None, `deactivated`), with the language they chose."""

    actor: Actor | None
    language: str | None
    deactivated: bool = False


async def account_for_telegram(app: App, telegram_user_id: int) -> Account | None:
    """The person bound to this Telegram account, if any (an account has one person)."""
    async with app.uow() as uow:
        person = (
            await uow.session.execute(
                select(Person).where(Person.telegram_user_id == telegram_user_id)
            )
        ).scalar_one_or_none()
        if person is None:
            return None
        if not person.active:
            return Account(actor=None, language=person.language, deactivated=True)
        actor = Actor(
            person_id=person.id,
            name=person.name,
            role=Role(person.role),
            village_id=person.village_id,
        )
        return Account(actor=actor, language=person.language)


async def set_language(app: App, actor: Actor, language: str) -> None:
    async with app.uow() as uow:
        person = await uow.session.get(Person, actor.person_id)
        if person is not None:
            person.language = language
            await uow.commit()
