"""The people page of the office dashboard (帮扶联系人): each contact person and village admin
with the households they hold, this month's coverage of them (the numbers /summary shows),
their last contact, and where their invitation stands; the households without anyone, and
who in each village could take a household. For the town office (its town) and the county
office (the county, or one town of it: each person's town named); read only: the acts are
the roster changes' and the invitations' own use cases, offered as the policy allows them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Row, func, select

from bot.clock import Month
from bot.core.coverage.month_counts import households_by_person, month_window
from bot.core.coverage.month_summary import Tally
from bot.core.households.my_households import household_name
from bot.core.policy import (
    Act,
    Actor,
    in_reach,
    may,
    person_in_reach,
    require,
    villages_in_reach,
)
from bot.core.roster.changes import ASSIGNABLE_ROLES, Assignable
from bot.domain.model import ContactStatus, HouseholdStatus, Role
from bot.storage.models import Assignment, Contact, Household, Invite, Person, Town, Village
from bot.storage.uow import App, UnitOfWork


class InviteState(StrEnum):
    REGISTERED = "registered"  # opened the bot: their Telegram account is bound
    PENDING = "pending"  # a link was issued and still works
    EXPIRED = "expired"  # the links issued expired (or were replaced) unused
    NONE = "none"  # never invited


@dataclass(frozen=True)
class HeldHousehold:
    household_id: int
    name: str  # 张桂英（3组）
    village_id: int  # whose people may take it over


@dataclass
class PersonRow:
    person: Person
    village: str
    town: str
    households: list[HeldHousehold] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)  # this month's, as /summary counts it
    last_contact: date | None = None
    invite: InviteState = InviteState.NONE
    invite_expires: datetime | None = None

    @property
    def role(self) -> Role:
        return Role(self.person.role)


@dataclass(frozen=True)
class PeopleBoard:
    month: Month
    people: list[PersonRow]  # by village, then name
    deactivated: int
    unassigned: list[tuple[str, HeldHousehold]]  # (village name, household)
    assignable: dict[int, list[Assignable]]  # village id → who may take its households
    county_wide: bool = False  # the whole county's people: each village named with its town
    may_reassign: bool = False  # the policy's answer for the reader (the town office's acts)
    may_invite: bool = False

    @property
    def towns(self) -> list[tuple[int, str]]:
        """The towns of the people shown (ids and names), for the county's town filter."""
        return sorted({(row.person.town_id or 0, row.town) for row in self.people if row.town})

    @property
    def by_village(self) -> list[tuple[str, list[PersonRow]]]:
        """The people by village (one town's page), in the board's order."""
        groups: dict[str, list[PersonRow]] = {}
        for row in self.people:
            groups.setdefault(row.village, []).append(row)
        return list(groups.items())


async def people_board(app: App, actor: Actor, month: Month) -> PeopleBoard:
    """The month's people page (the offices only: NotAllowed for anyone else)."""
    require(actor, Act.READ_PEOPLE)
    async with app.uow() as uow:
        reach = await villages_in_reach(uow, actor)
        # Each person's households and contacted ones, as /summary counts them: the one
        # grouped statement, not the whole summary (a county's took a second).
        tallies: dict[int, Tally] = defaultdict(Tally)
        for cell in await households_by_person(
            uow, month_window(uow, month, app.settings.tz, reach)
        ):
            tallies[cell.person_id].add(cell.tally())
        people = await _people(uow, actor)
        rows = {person.id: PersonRow(person, village, town) for person, village, town in people}
        await _holdings(uow, actor, rows)
        await _last_contacts(uow, actor, rows)
        await _invites(uow, rows, uow.clock.now())
        deactivated = await uow.session.scalar(
            select(func.count(Person.id)).where(
                Person.active.is_(False),
                Person.role.in_(ASSIGNABLE_ROLES),
                person_in_reach(actor),
            )
        )
        unassigned = await _unassigned(uow, actor)
    for person_id, row in rows.items():
        row.tally = tallies.get(person_id, Tally())
    assignable: dict[int, list[Assignable]] = defaultdict(list)
    for row in rows.values():
        if row.person.village_id is not None:
            assignable[row.person.village_id].append(
                Assignable(row.person.id, row.person.name, len(row.households))
            )
    return PeopleBoard(
        month,
        list(rows.values()),
        deactivated or 0,
        unassigned,
        assignable,
        county_wide=actor.county_wide,
        may_reassign=may(actor, Act.CHANGE_ROSTER),
        may_invite=may(actor, Act.INVITE),
    )


async def _people(uow: UnitOfWork, actor: Actor) -> list[tuple[Person, str, str]]:
    query = (
        select(Person, Village.name, Town.name)
        .outerjoin(Village, Village.id == Person.village_id)
        .outerjoin(Town, Town.id == Person.town_id)
        .where(Person.active.is_(True), Person.role.in_(ASSIGNABLE_ROLES), person_in_reach(actor))
        .order_by(Town.name, Village.name, Person.name, Person.id)
    )
    return [
        (person, village or "", town or "")
        for person, village, town in (await uow.session.execute(query))
    ]


# The columns a household's line shows, read instead of the households (a county has 50,000).
HELD_COLUMNS = (Household.id, Household.head_name, Household.group_name, Household.village_id)


async def _holdings(uow: UnitOfWork, actor: Actor, rows: dict[int, PersonRow]) -> None:
    query = (
        select(Assignment.person_id, *HELD_COLUMNS)
        .join(Household, Household.id == Assignment.household_id)
        .where(
            Assignment.ended_at.is_(None),
            Household.status == HouseholdStatus.MONITORED,
            in_reach(actor, Household.village_id),
        )
        .order_by(Household.group_name, Household.head_name, Household.id)
    )
    for row in await uow.session.execute(query):
        if row.person_id in rows:
            rows[row.person_id].households.append(_held(row))


async def _last_contacts(uow: UnitOfWork, actor: Actor, rows: dict[int, PersonRow]) -> None:
    query = (
        select(Contact.person_id, func.max(Contact.occurred_on))
        .join(Person, Person.id == Contact.person_id)
        .where(Contact.status == ContactStatus.ACTIVE, person_in_reach(actor))
        .group_by(Contact.person_id)
    )
    for person_id, day in await uow.session.execute(query):
        if person_id in rows:
            rows[person_id].last_contact = day


async def _invites(uow: UnitOfWork, rows: dict[int, PersonRow], now: datetime) -> None:
    """Registered, else the latest unused link that still works, else expired / none."""
    query = select(Invite.person_id, func.max(Invite.expires_at)).group_by(Invite.person_id)
    latest = {person_id: expires for person_id, expires in await uow.session.execute(query)}
    for person_id, row in rows.items():
        if row.person.telegram_user_id is not None:
            row.invite = InviteState.REGISTERED
            continue
        expires = latest.get(person_id)
        if expires is None:
            continue
        row.invite_expires = expires
        if expires.tzinfo is None:  # SQLite returns naive UTC
            expires = expires.replace(tzinfo=now.tzinfo)
        row.invite = InviteState.PENDING if expires > now else InviteState.EXPIRED


async def _unassigned(uow: UnitOfWork, actor: Actor) -> list[tuple[str, HeldHousehold]]:
    """The households without a contact person, each with its village (and its town, on the
    county-wide page)."""
    current = select(Assignment.household_id).where(Assignment.ended_at.is_(None))
    query = (
        select(Village.name.label("village"), Town.name.label("town"), *HELD_COLUMNS)
        .join(Village, Village.id == Household.village_id)
        .outerjoin(Town, Town.id == Village.town_id)
        .where(
            Household.status == HouseholdStatus.MONITORED,
            Household.id.not_in(current),
            in_reach(actor, Household.village_id),
        )
        .order_by(Town.name, Village.name, Household.group_name, Household.head_name, Household.id)
    )
    return [(_place(actor, row), _held(row)) for row in await uow.session.execute(query)]


def _held(row: Row[Any]) -> HeldHousehold:
    return HeldHousehold(row.id, household_name(row), row.village_id)


def _place(actor: Actor, row: Row[Any]) -> str:
    """The village, and on the county-wide page its town before it."""
    return f"{row.town} {row.village}" if actor.county_wide and row.town else row.village
