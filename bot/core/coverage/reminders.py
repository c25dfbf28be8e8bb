"""Reminders and escalations (催办): who is still uncontacted this month, and who is told.

Each function queues outbox rows keyed by (recipient, subject, period, ladder step), so a job
run twice, or caught up after downtime, queues nothing new. Nothing here knows Telegram: the
renderers in `bot/messages/notices.py` turn the rows into messages when they are sent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, and_, cast, exists, func, or_, select

from bot.clock import Month
from bot.config import Settings
from bot.core.coverage.progress import contacted_in
from bot.core.delivery.kinds import MessageKind
from bot.core.delivery.outbox import (
    TownOffice,
    VillageAdmins,
    queue,
    queue_to_people,
)
from bot.core.households.ordering import household_key, person_key
from bot.core.policy import Actor, in_reach
from bot.core.roster.towns import town_of_villages
from bot.domain.model import ContactStatus, HouseholdStatus, Role
from bot.storage.models import FIRST_TOWN_ID, Assignment, Contact, Household, Person
from bot.storage.uow import UnitOfWork


@dataclass(frozen=True)
class Uncontacted:
    """A monitored household with no contact this month, and one of its contact persons
    (None when nobody is assigned: the lists still show it)."""

    household: Household
    person: Person | None


async def uncontacted(
    uow: UnitOfWork,
    month: Month,
    village_id: int | None = None,
    household_ids: list[int] | None = None,
    reach: Actor | None = None,
) -> list[Uncontacted]:
    """Monitored households not contacted in the month (in the `reach` of an office, when
    given), once per current contact person, ordered by village, contact person (pinyin),
    group and head's name (pinyin)."""
    query = (
        select(Household, Person)
        .outerjoin(
            Assignment,
            and_(Assignment.household_id == Household.id, Assignment.ended_at.is_(None)),
        )
        .outerjoin(Person, Person.id == Assignment.person_id)
        .where(Household.status == HouseholdStatus.MONITORED, ~contacted_in(month))
    )
    if village_id is not None:
        query = query.where(Household.village_id == village_id)
    if reach is not None:
        query = query.where(in_reach(reach, Household.village_id))
    if household_ids is not None:
        query = query.where(Household.id.in_(household_ids))
    rows = (await uow.session.execute(query)).unique().all()
    found = [Uncontacted(household, person) for household, person in rows]
    found.sort(
        key=lambda row: (
            row.household.village_id,
            person_key(row.person.name if row.person else None),
            row.person.id if row.person else 0,
            household_key(row.household),
        )
    )
    return found


def by_person(rows: list[Uncontacted]) -> dict[Person | None, list[Household]]:
    """Households grouped by contact person, keeping the query's order."""
    grouped: dict[Person | None, list[Household]] = defaultdict(list)
    for row in rows:
        grouped[row.person].append(row.household)
    return dict(grouped)


def household_count(rows: list[Uncontacted]) -> int:
    return len({row.household.id for row in rows})


async def queue_contact_digests(
    uow: UnitOfWork, settings: Settings, month: Month, step: str
) -> int:
    """One digest per active contact person with households still uncontacted. Read as
    bare ids in one query and queued with one look for keys queued before (a province's
    sweep: bench/sweep.py); the digest orders its households when it is rendered."""
    # Each person's household ids as one text ("12,40,41"): a province's 400,000 rows come
    # back as 30,000.
    ids = func.aggregate_strings(cast(Household.id, String), ",")
    query = (
        select(Assignment.person_id, ids)
        .join(Assignment, Assignment.household_id == Household.id)
        .join(Person, Person.id == Assignment.person_id)
        .where(
            Assignment.ended_at.is_(None),
            Person.active.is_(True),
            Household.status == HouseholdStatus.MONITORED,
            ~contacted_in(month),
        )
        .group_by(Assignment.person_id)
        .order_by(Assignment.person_id)
    )
    left = {
        person_id: sorted(int(household_id) for household_id in joined.split(","))
        for person_id, joined in await uow.session.execute(query)
    }
    period = str(month)
    return await queue_to_people(
        uow,
        MessageKind.CONTACT_DIGEST,
        [
            (
                person_id,
                f"reminder:person:{person_id}:{period}:{step}",
                {
                    "person_id": person_id,
                    "month": period,
                    "step": step,
                    "household_ids": household_ids,
                },
            )
            for person_id, household_ids in left.items()
        ],
    )


async def queue_village_lists(uow: UnitOfWork, settings: Settings, month: Month, step: str) -> int:
    """Each village with uncontacted households: its list to the village admins (or to the
    town office, when the village has none)."""
    by_village: dict[int, dict[int, None]] = defaultdict(dict)  # an ordered set per village
    for row in await uncontacted(uow, month):
        by_village[row.household.village_id][row.household.id] = None
    queued = 0
    for village_id, household_ids in by_village.items():
        queued += await queue(
            uow,
            settings,
            VillageAdmins(village_id),
            f"village_list:village:{village_id}:{month}:{step}",
            MessageKind.VILLAGE_LIST,
            {
                "village_id": village_id,
                "month": str(month),
                "step": step,
                "household_ids": list(household_ids),
            },
        )
    return queued


async def queue_town_list(uow: UnitOfWork, settings: Settings, month: Month, step: str) -> int:
    """Each town's uncontacted list to that town's office, when anything is left there."""
    rows = await uncontacted(uow, month)
    towns = await town_of_villages(uow)
    by_town: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        by_town[towns.get(row.household.village_id) or FIRST_TOWN_ID].append(row.household.id)
    queued = 0
    for town_id, ids in sorted(by_town.items()):
        # The first town keeps the key a single-town installation always had.
        town = "town" if town_id == FIRST_TOWN_ID else f"town{town_id}"
        queued += await queue(
            uow,
            settings,
            TownOffice(town_id),
            f"town_list:{town}:{month}:{step}",
            MessageKind.TOWN_LIST,
            {"month": str(month), "step": step, "household_ids": list(dict.fromkeys(ids))},
        )
    return queued


@dataclass(frozen=True)
class PersonToReassign:
    person: Person
    households: int  # monitored households currently assigned
    last_entered: datetime | None  # when they last logged a contact


async def people_to_reassign(
    uow: UnitOfWork, settings: Settings, now: datetime
) -> tuple[list[PersonToReassign], list[PersonToReassign]]:
    """(unreachable, inactive) active contact persons who hold monitored households.

    Unreachable: the sender found they blocked the bot or never started it. Inactive: they
    have held households for `inactive_days` and logged no contact in that time."""
    cutoff = now - timedelta(days=settings.inactive_days)
    own = (Contact.person_id == Person.id, Contact.status == ContactStatus.ACTIVE)
    last_entered = select(func.max(Contact.entered_at)).where(*own).scalar_subquery()
    holding_since = func.min(Assignment.started_at)
    # Only the people to reassign come back (a county has thousands of contact persons): the
    # unreachable, and those holding households since before the cutoff with nothing entered
    # since (one look each in ix_contacts_person_entered).
    to_reassign = or_(
        Person.unreachable_since.is_not(None),
        and_(holding_since <= cutoff, ~exists().where(*own, Contact.entered_at >= cutoff)),
    )
    query = (
        select(Person, func.count(Household.id), holding_since, last_entered)
        .join(Assignment, and_(Assignment.person_id == Person.id, Assignment.ended_at.is_(None)))
        .join(
            Household,
            and_(
                Household.id == Assignment.household_id,
                Household.status == HouseholdStatus.MONITORED,
            ),
        )
        .where(Person.active.is_(True), Person.role != Role.TOWN_OFFICE)
        .group_by(Person.id)
        .having(to_reassign)
        .order_by(Person.village_id, Person.name)
    )
    unreachable: list[PersonToReassign] = []
    inactive: list[PersonToReassign] = []
    for person, households, holding_since, entered in (await uow.session.execute(query)).all():
        found = PersonToReassign(person, households, entered)
        if person.unreachable_since is not None:
            unreachable.append(found)
        elif holding_since <= cutoff and (entered is None or entered < cutoff):
            inactive.append(found)
    return unreachable, inactive


async def queue_people_to_reassign(
    uow: UnitOfWork, settings: Settings, month: Month, now: datetime
) -> int:
    """Tell the town office, once per person and month, whom to reassign households from."""
    unreachable, inactive = await people_to_reassign(uow, settings, now)
    queued = 0
    for kind, found in (
        (MessageKind.PERSON_UNREACHABLE, unreachable),
        (MessageKind.PERSON_INACTIVE, inactive),
    ):
        for entry in found:
            queued += await queue(
                uow,
                settings,
                TownOffice(entry.person.town_id or FIRST_TOWN_ID),
                f"{kind}:person:{entry.person.id}:{month}",
                kind,
                {
                    "person_id": entry.person.id,
                    "households": entry.households,
                    "last_entered": entry.last_entered.isoformat() if entry.last_entered else None,
                    "days": settings.inactive_days,
                },
            )
    return queued
