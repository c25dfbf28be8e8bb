"""People who use the bot: contact persons, village admins, the town office; adding one,
and finding one by name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import BigInteger, bindparam, select

from bot.core.policy import Actor, person_in_reach
from bot.domain.model import Role
from bot.domain.validation import phone_digits
from bot.i18n import N_
from bot.storage.models import FIRST_TOWN_ID, Person, Village
from bot.storage.uow import App, UnitOfWork

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
        return await find_account(uow, telegram_user_id)


async def find_account(uow: UnitOfWork, telegram_user_id: int) -> Account | None:
    """`account_for_telegram` inside a unit of work the caller holds."""
    found = await uow.session.execute(ACCOUNT_BY_TELEGRAM, {"telegram_user_id": telegram_user_id})
    return account_of(found.first())


# The person bound to a Telegram account, the columns an Account needs (bound parameter
# `telegram_user_id`). Built once: the bot reads it at every update, beside the update's
# other first reads, in one statement.
ACCOUNT_BY_TELEGRAM = select(
    Person.id,
    Person.name,
    Person.role,
    Person.village_id,
    Person.town_id,
    Person.active,
    Person.language,
).where(Person.telegram_user_id == bindparam("telegram_user_id", type_=BigInteger))


class AccountRow(Protocol):
    id: int
    name: str
    role: str
    village_id: int | None
    town_id: int | None
    active: bool
    language: str | None


def account_of(person: AccountRow | None) -> Account | None:
    """Whose account it is, from the person bound to it (None: nobody's)."""
    if person is None:
        return None
    if not person.active:
        return Account(actor=None, language=person.language, deactivated=True)
    actor = Actor(
        person_id=person.id,
        name=person.name,
        role=Role(person.role),
        village_id=person.village_id,
        town_id=person.town_id,
    )
    return Account(actor=actor, language=person.language)


async def set_language(app: App, actor: Actor, language: str) -> None:
    async with app.uow() as uow:
        person = await uow.session.get(Person, actor.person_id)
        if person is not None:
            person.language = language
            await uow.commit()


async def add_person(
    uow: UnitOfWork,
    actor: Actor,
    name: str,
    role: Role,
    phone: str | None = None,
    village: Village | None = None,
    town_id: int | None = None,
) -> Person:
    """A new person, with its audit entry: the one way people are added (an invite for
    someone new, a roster naming a new contact person, the first start's admin). Their town
    is the village's, else the one given, else the adding office's (the first town for the
    command line); the county office's people have none."""
    if role == Role.COUNTY_OFFICE:
        town_id = None
    elif village is not None and village.town_id is not None:
        town_id = village.town_id
    elif town_id is None:
        town_id = actor.town_id if actor.town_id is not None else FIRST_TOWN_ID
    person = Person(
        name=name,
        phone=phone,
        role=role,
        village=village,
        town_id=town_id,
        active=True,
        created_at=uow.clock.now(),
    )
    return await uow.add_audited(
        actor,
        person,
        "person",
        {"name": name, "role": str(role), "phone": phone, "village": village and village.name},
    )


async def people_called(
    uow: UnitOfWork,
    name: str,
    phone: str | None = None,
    village: Village | None = None,
    *,
    active_only: bool = False,
    reach: Actor,
) -> list[Person]:
    """The people with this name that fit the phone (compared by its digits) and village
    given, among those in `reach` of the asking office: the one rule for finding a person
    by name. A person whose phone or village is not on record fits any given one, but those
    whose record matches exactly are preferred. The caller decides what none, or more than
    one, means."""
    query = (
        select(Person)
        .where(Person.name == name.strip(), person_in_reach(reach))
        .order_by(Person.id)
    )
    if active_only:
        query = query.where(Person.active.is_(True))
    namesakes = list((await uow.session.execute(query)).scalars())

    def fits(person: Person, exactly: bool) -> bool:
        phone_ok = phone is None or phone_digits(person.phone) == phone_digits(phone)
        village_ok = village is None or person.village_id == village.id
        if not exactly:
            phone_ok = phone_ok or person.phone is None
            village_ok = village_ok or person.village_id is None
        return phone_ok and village_ok

    exact = [person for person in namesakes if fits(person, exactly=True)]
    return exact or [person for person in namesakes if fits(person, exactly=False)]


def describe(person: Person) -> str:
    """Name, village and phone: enough to tell namesakes apart."""
    village = person.village.name if person.village else "-"
    return f"{person.name} ({village}, {person.phone or '-'})"
