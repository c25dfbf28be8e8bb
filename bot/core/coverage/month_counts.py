"""The month's coverage counted in SQL (走访覆盖率, set-based): which contact person each of
the month's households counts for, and the households, contacted households, home visits and
contacts per village and person, as aggregates grouped in the database — a county's 50,000
households are a few statements, not 50,000 rows read into Python.

The rules are month_coverage's (its docstring); `Window` holds one month's instants and
scope, and each function below is one statement over them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Subquery, and_, case, exists, func, or_, select, text

from bot.clock import Month
from bot.core.coverage.month_summary import Tally
from bot.domain.model import ContactChannel, ContactStatus, HouseholdStatus
from bot.storage.models import Assignment, Contact, Household
from bot.storage.uow import UnitOfWork


@dataclass(frozen=True)
class Window:
    """One month's counting window: [start, end) in UTC, `as_of` = the month's end or now
    if earlier, and the villages in scope (None = all)."""

    month: Month
    start: datetime
    end: datetime
    as_of: datetime
    villages: frozenset[int] | None

    def in_scope(self) -> list[ColumnElement[bool]]:
        return [] if self.villages is None else [Household.village_id.in_(self.villages)]

    def monitored(self) -> list[ColumnElement[bool]]:
        """The month's households: monitored now, created before the month ended, in scope."""
        return [
            Household.status == HouseholdStatus.MONITORED,
            Household.created_at < self.end,
            *self.in_scope(),
        ]

    def overlapping(self) -> list[ColumnElement[bool]]:
        """An assignment overlapping the month."""
        return [
            Assignment.started_at < self.end,
            or_(Assignment.ended_at.is_(None), Assignment.ended_at > self.start),
        ]

    def held_at_as_of(self) -> list[ColumnElement[bool]]:
        """An assignment of the month open at `as_of`."""
        return [
            *self.overlapping(),
            Assignment.started_at <= self.as_of,
            or_(Assignment.ended_at.is_(None), Assignment.ended_at > self.as_of),
        ]

    def contact_in_month(self) -> list[ColumnElement[bool]]:
        return [
            Contact.status == ContactStatus.ACTIVE,
            Contact.occurred_on >= self.month.first_day,
            Contact.occurred_on <= self.month.last_day,
        ]


def _latest_first(window: Window) -> tuple[Any, ...]:
    """The order in which a household's assignments are chosen to count it: the one open at
    the month's end first (the later of two), else the one that started last."""
    open_at_end = case(
        (or_(Assignment.ended_at.is_(None), Assignment.ended_at >= window.end), 1), else_=0
    )
    return (open_at_end.desc(), Assignment.started_at.desc(), Assignment.id.desc())


def counted_person(window: Window) -> ColumnElement[Any]:
    """For a row with `Household` in it: the person the household counts for in the month, or
    NULL if it is not one of the month's households (one indexed look per row: for a few rows,
    such as the households with flags)."""
    return case((and_(*window.monitored()), person_counted(window, Household.id)), else_=None)


def person_counted(window: Window, household_id: ColumnElement[int]) -> ColumnElement[Any]:
    """The person a household of the month (`household_id`, a column of the enclosing row)
    counts for (one indexed look per row)."""
    return (
        select(Assignment.person_id)
        .where(Assignment.household_id == household_id, *window.overlapping())
        .order_by(*_latest_first(window))
        .limit(1)
        .correlate_except(Assignment)
        .scalar_subquery()
    )


def counted_for(window: Window) -> Subquery:
    """household_id, village_id, person_id: each of the month's households once, with the
    contact person it counts for — the assignment open at the month's end (the later of two),
    else the one that started last (ties: the later assignment)."""
    ranked = (
        select(
            Assignment.household_id.label("household_id"),
            Household.village_id.label("village_id"),
            Assignment.person_id.label("person_id"),
            func.row_number()
            .over(
                partition_by=Assignment.household_id,
                order_by=_latest_first(window),
            )
            .label("rank"),
        )
        .join(Household, Household.id == Assignment.household_id)
        .where(*window.monitored(), *window.overlapping())
        .subquery("ranked")
    )
    return (
        select(ranked.c.household_id, ranked.c.village_id, ranked.c.person_id)
        .where(ranked.c.rank == 1)
        .subquery("counted")
    )


CHANNELS = tuple(str(channel) for channel in ContactChannel)


def contacted(window: Window) -> Subquery:
    """household_id, home_visit (0/1) and one count per channel (c_phone, ...): the
    households with an active contact in the month."""
    home = func.max(case((Contact.channel == ContactChannel.HOME_VISIT, 1), else_=0))
    by_channel = (
        func.sum(case((Contact.channel == channel, 1), else_=0)).label(f"c_{channel}")
        for channel in CHANNELS
    )
    return (
        select(Contact.household_id.label("household_id"), home.label("home_visit"), *by_channel)
        .where(*window.contact_in_month())
        .group_by(Contact.household_id)
        .subquery("contacted")
    )


@dataclass(frozen=True)
class Cell:
    """The numbers of one village's households counted for one person."""

    village_id: int
    person_id: int
    households: int
    contacted: int
    home_visited: int
    by_channel: dict[str, int]

    def tally(self) -> Tally:
        return Tally(self.households, self.contacted, self.home_visited, dict(self.by_channel))


# PostgreSQL's default work_mem (4 MB) sends the sort of a county's month (the window over its
# assignments, the contacts grouped by household) to disk; this is the transaction's only.
SORT_MEMORY = "SET LOCAL work_mem = '64MB'"


async def _room_to_sort(uow: UnitOfWork) -> None:
    if uow.session.get_bind().dialect.name == "postgresql":
        await uow.session.execute(text(SORT_MEMORY))


async def households_by_person(uow: UnitOfWork, window: Window) -> list[Cell]:
    """Each (village, person) pair with households: households, contacted, home visited, and
    the month's active contacts on them by channel. One statement."""
    await _room_to_sort(uow)
    counted, reached = counted_for(window), contacted(window)
    channel_sums = (func.coalesce(func.sum(reached.c[f"c_{c}"]), 0) for c in CHANNELS)
    query = (
        select(
            counted.c.village_id,
            counted.c.person_id,
            func.count(),
            func.count(reached.c.household_id),
            func.coalesce(func.sum(reached.c.home_visit), 0),
            *channel_sums,
        )
        .select_from(counted)
        .outerjoin(reached, reached.c.household_id == counted.c.household_id)
        .group_by(counted.c.village_id, counted.c.person_id)
    )
    cells = []
    for village_id, person_id, households, done, home, *counts in await uow.session.execute(query):
        by_channel = {c: int(n) for c, n in zip(CHANNELS, counts, strict=True) if n}
        cells.append(Cell(village_id, person_id, households, done, int(home), by_channel))
    return cells


# What a household line of the summary shows (HouseholdLine).
LINE = (
    Household.id,
    Household.number,
    Household.village_id,
    Household.group_name,
    Household.head_name,
)


async def uncontacted_households(uow: UnitOfWork, window: Window) -> list[Any]:
    """The month's households with no active contact in it, with the person each counts for."""
    assigned = exists().where(Assignment.household_id == Household.id, *window.overlapping())
    # The month's contacts read once through their covering index (ix_contacts_month), not
    # looked up household by household.
    reached = select(Contact.household_id).where(*window.contact_in_month())
    query = select(*LINE, counted_person(window).label("person_id")).where(
        *window.monitored(), assigned, Household.id.not_in(reached)
    )
    return list((await uow.session.execute(query)).all())


async def unassigned_households(uow: UnitOfWork, window: Window) -> list[Any]:
    """The month's households with no assignment open at `as_of`."""
    held = exists().where(Assignment.household_id == Household.id, *window.held_at_as_of())
    query = select(*LINE).where(*window.monitored(), ~held)
    return list((await uow.session.execute(query)).all())


async def held_by_person(uow: UnitOfWork, window: Window) -> dict[int, int]:
    """person → how many of the month's households they hold at `as_of`."""
    query = (
        select(Assignment.person_id, func.count(func.distinct(Assignment.household_id)))
        .join(Household, Household.id == Assignment.household_id)
        .where(*window.monitored(), *window.held_at_as_of())
        .group_by(Assignment.person_id)
    )
    return {person_id: count for person_id, count in await uow.session.execute(query)}


async def village_counts(uow: UnitOfWork, window: Window) -> dict[int, tuple[int, int]]:
    """village → (households, contacted): the month's numbers a trend point needs."""
    await _room_to_sort(uow)
    counted, reached = counted_for(window), contacted(window)
    query = (
        select(counted.c.village_id, func.count(), func.count(reached.c.household_id))
        .select_from(counted)
        .outerjoin(reached, reached.c.household_id == counted.c.household_id)
        .group_by(counted.c.village_id)
    )
    return {
        village: (households, done)
        for village, households, done in await uow.session.execute(query)
    }


def month_window(uow: UnitOfWork, month: Month, tz: ZoneInfo, villages: Any = None) -> Window:
    """The month's window as of the unit of work's clock; `villages` None = all."""
    start, end = month.utc_bounds(tz)
    scope = None if villages is None else frozenset(villages)
    return Window(month, start, end, min(end, uow.clock.now()), scope)
