"""The contact persons (帮扶联系人) a roster names: found among the people the town already
has, or added so the town office can invite them.

Only contact persons, and the village admins of the household's own village (a village cadre
often is a contact person), can be the one a roster names: a town office clerk who shares a
name is someone else. Among those, a person is the same one when name and phone match;
failing that, when the name is the only one of its kind on both sides (the roster gives one
phone for it and the town knows one such person by it). A contact person's phone is then
brought up to date; a village admin's phone is only filled in when missing, since the
town office recorded it for another role.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.core.policy import Actor, person_in_reach
from bot.core.roster.people import add_person
from bot.core.roster.rows import RosterRow
from bot.domain.model import Role
from bot.domain.validation import phone_digits
from bot.storage.batches import DEFAULT_BATCH_SIZE, rows_in_batches
from bot.storage.models import Person, Village
from bot.storage.uow import UnitOfWork

PersonKey = tuple[str, str]  # name, phone digits


@dataclass
class ContactPersons:
    by_key: dict[PersonKey, Person] = field(default_factory=dict)
    created: list[Person] = field(default_factory=list)

    def for_row(self, row: RosterRow) -> Person:
        return self.by_key[_key(row)]


def _key(row: RosterRow) -> PersonKey:
    return row.contact_name, phone_digits(row.contact_phone)


async def contact_persons_for(
    uow: UnitOfWork,
    actor: Actor,
    rows: Sequence[RosterRow],
    villages: dict[str, Village],
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> ContactPersons:
    """The person for each contact named in the rows; new ones live in the village of the
    first household they look after."""
    first_row: dict[PersonKey, RosterRow] = {}
    for row in rows:
        first_row.setdefault(_key(row), row)
    phones_by_name: dict[str, set[str]] = {}
    for name, digits in first_row:
        phones_by_name.setdefault(name, set()).add(digits)
    namesakes: dict[str, list[Person]] = {}
    found = await rows_in_batches(
        uow.session,
        lambda batch: (
            select(Person).where(Person.name.in_(batch), person_in_reach(actor)).order_by(Person.id)
        ),
        list(phones_by_name),
        batch_size,
    )
    for (person,) in sorted(found, key=lambda row: row[0].id):
        namesakes.setdefault(person.name, []).append(person)

    result = ContactPersons()
    for (name, digits), row in first_row.items():
        village = villages[row.village]
        people = [person for person in namesakes.get(name, []) if _may_be_contact(person, village)]
        exact = [person for person in people if phone_digits(person.phone) == digits]
        if exact:
            result.by_key[(name, digits)] = exact[0]
        elif (
            len(people) == 1
            and len(phones_by_name[name]) == 1
            and (people[0].role == Role.CONTACT or not people[0].phone)
        ):
            result.by_key[(name, digits)] = _new_phone(uow, actor, people[0], row.contact_phone)
        else:
            person = await add_person(
                uow, actor, row.contact_name, Role.CONTACT, row.contact_phone, village
            )
            result.by_key[(name, digits)] = person
            result.created.append(person)
    return result


def _may_be_contact(person: Person, village: Village) -> bool:
    if person.role == Role.CONTACT:
        return True
    return (
        person.role == Role.VILLAGE_ADMIN
        and village.id is not None
        and person.village_id == village.id
    )


def _new_phone(uow: UnitOfWork, actor: Actor, person: Person, phone: str) -> Person:
    uow.audit_by(
        actor,
        "person",
        person.id,
        "update",
        {"before": {"phone": person.phone}, "after": {"phone": phone}},
    )
    person.phone = phone
    return person
