"""Whether the bot can reach a person (联系不上): what the sender learns from Telegram.

A person who blocked the bot, or never started it, is marked unreachable and the town office
is told (once a month) to reassign their households; a message that reaches them again
clears the mark.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select, update

from bot.config import Settings
from bot.core.delivery.kinds import MessageKind
from bot.core.delivery.outbox import TownOffice, queue
from bot.domain.model import HouseholdStatus, Role
from bot.storage.models import Assignment, Household, Person
from bot.storage.uow import UnitOfWork


async def mark_unreachable(
    uow: UnitOfWork, settings: Settings | None, person_id: int, now: datetime
) -> int:
    """Record that the person cannot get messages, and tell the town office when they hold
    households to reassign. Returns the outbox rows added. The caller commits."""
    person = await uow.session.get(Person, person_id)
    if person is None:
        return 0
    if person.unreachable_since is None:
        person.unreachable_since = now
    if not person.active or person.role == Role.TOWN_OFFICE:
        return 0
    households = await _monitored_households(uow, person_id)
    if not households:
        return 0
    month = uow.clock.this_month()
    # The daily people check (reminders.queue_people_to_reassign) uses the same kind and key,
    # so the town office hears about this person once a month, whoever noticed first.
    return await queue(
        uow,
        settings,
        TownOffice(),
        f"{MessageKind.PERSON_UNREACHABLE}:person:{person_id}:{month}",
        MessageKind.PERSON_UNREACHABLE,
        {"person_id": person_id, "households": households, "last_entered": None},
    )


async def mark_reachable(uow: UnitOfWork, person_id: int) -> None:
    """Telegram took a message for the person: whatever kept them unreachable is over."""
    await uow.session.execute(
        update(Person)
        .where(Person.id == person_id, Person.unreachable_since.is_not(None))
        .values(unreachable_since=None)
    )


async def _monitored_households(uow: UnitOfWork, person_id: int) -> int:
    query = (
        select(func.count(Household.id))
        .join(
            Assignment,
            and_(Assignment.household_id == Household.id, Assignment.ended_at.is_(None)),
        )
        .where(Assignment.person_id == person_id, Household.status == HouseholdStatus.MONITORED)
    )
    return int((await uow.session.execute(query)).scalar_one())
