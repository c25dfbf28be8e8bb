"""Whether the bot can reach a person (联系不上): what the sender learns from Telegram.

A person who blocked the bot, or never started it, is marked unreachable and the town office
is told (once a month) to reassign their households; a message that reaches them again
clears the mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select, update

from bot.config import Settings
from bot.core.delivery.kinds import MessageKind
from bot.core.delivery.outbox import OutboxStatus, TownOffice, queue
from bot.domain.model import HouseholdStatus, Role
from bot.storage.models import FIRST_TOWN_ID, Assignment, Household, OutboxMessage, Person
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
    households = await households_held(uow, person_id)
    if not households:
        return 0
    month = uow.clock.this_month()
    # The daily people check (reminders.queue_people_to_reassign) uses the same kind and key,
    # so the town office hears about this person once a month, whoever noticed first.
    return await queue(
        uow,
        settings,
        TownOffice(person.town_id if person.town_id is not None else FIRST_TOWN_ID),
        f"{MessageKind.PERSON_UNREACHABLE}:person:{person_id}:{month}",
        MessageKind.PERSON_UNREACHABLE,
        {"person_id": person_id, "households": households, "last_entered": None},
    )


@dataclass(frozen=True)
class NeverJoined:
    """A contact person who never opened their invitation link, and how many households
    they hold (as counted when the notice was queued)."""

    person: Person
    households: int


async def never_joined_together(uow: UnitOfWork, row: OutboxMessage) -> list[NeverJoined]:
    """The "never opened the invitation" notice `row` and those still waiting for the same
    chat, as one list: a wave of reminders finds several such people at once, and the
    office's group hears of them in one message, not one each. The others are settled
    (SKIPPED, saying which row lists them); the caller commits."""
    waiting = await uow.session.execute(
        select(OutboxMessage)
        .where(
            OutboxMessage.kind == MessageKind.PERSON_UNREACHABLE,
            OutboxMessage.recipient == row.recipient,
            OutboxMessage.status == OutboxStatus.QUEUED,
            OutboxMessage.parts_sent == 0,
            OutboxMessage.id != row.id,
        )
        .order_by(OutboxMessage.id)
    )
    found: list[NeverJoined] = []
    for notice in [row, *waiting.scalars()]:
        person = await uow.session.get(Person, notice.payload["person_id"])
        if not _never_joined(person) or (notice is not row and notice.parts is not None):
            continue  # a notice rendered already goes out as it is
        assert person is not None
        found.append(NeverJoined(person, notice.payload["households"]))
        if notice is not row:
            notice.status = OutboxStatus.SKIPPED
            notice.last_error = f"listed with outbox row {row.id}"
    return found


def _never_joined(person: Person | None) -> bool:
    return (
        person is not None
        and person.active
        and person.telegram_user_id is None
        and person.unreachable_since is not None
    )


async def mark_reachable(uow: UnitOfWork, person_id: int) -> None:
    """Telegram took a message for the person: whatever kept them unreachable is over."""
    await uow.session.execute(
        update(Person)
        .where(Person.id == person_id, Person.unreachable_since.is_not(None))
        .values(unreachable_since=None)
    )


async def households_held(uow: UnitOfWork, person_id: int) -> int:
    """How many monitored households the person is the contact person of now."""
    query = (
        select(func.count(Household.id))
        .join(
            Assignment,
            and_(Assignment.household_id == Household.id, Assignment.ended_at.is_(None)),
        )
        .where(Assignment.person_id == person_id, Household.status == HouseholdStatus.MONITORED)
    )
    return int((await uow.session.execute(query)).scalar_one())
