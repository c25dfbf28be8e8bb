"""A month at a glance (概览的数字): what the office overview shows of a month's coverage and
nothing more — per village the households, contacted and home-visited households and how many
were not contacted, the first few uncontacted households by name, and how many households
have no contact person.

Counted by month_coverage's rules (its docstring), but asked of the database as the page
needs it: a village's numbers do not depend on which person a household counts for, so they
are counted without choosing one (month_counts' window over the assignments); the uncontacted
households come back only as many per village as the page lists (a window numbering them in
the summary's order), with the person each counts for looked up for those alone; the
households without a contact person only counted. A county's running month is then three
grouped statements and a few thousand rows instead of a MonthCoverage of every household
and person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, case, exists, func, select, text

from bot.clock import Month
from bot.core.coverage.month_counts import LINE, Window, month_window, person_counted
from bot.core.coverage.month_summary import HouseholdLine, MonthCoverage, Tally
from bot.domain.model import ContactChannel
from bot.storage.models import Assignment, Contact, Household, Person, Village
from bot.storage.uow import UnitOfWork


@dataclass
class VillageGlance:
    village_id: int
    name: str
    tally: Tally  # households, contacted, home_visited (the rest is not shown here)
    uncontacted: int  # how many of its households were not contacted
    first_uncontacted: list[HouseholdLine] = field(default_factory=list)  # in the summary's order


@dataclass
class MonthGlance:
    month: Month
    computed_at: datetime
    town: Tally
    villages: list[VillageGlance]  # by name, as the summary orders them
    unassigned: int  # households without a contact person

    @property
    def uncontacted(self) -> int:
        return sum(village.uncontacted for village in self.villages)


def glance_of(coverage: MonthCoverage, names_shown: int) -> MonthGlance:
    """The glance of a whole summary (a month as sent on the 1st)."""
    return MonthGlance(
        month=coverage.month,
        computed_at=coverage.computed_at,
        town=coverage.town,
        villages=[
            VillageGlance(
                village.village_id,
                village.name,
                village.tally,
                len(village.uncontacted),
                village.uncontacted[:names_shown],
            )
            for village in coverage.villages
        ],
        unassigned=len(coverage.unassigned),
    )


async def month_glance(
    uow: UnitOfWork, month: Month, tz: ZoneInfo, villages: set[int] | None, names_shown: int
) -> MonthGlance:
    """The month counted now over `villages` (None = all), as month_coverage would count it."""
    window = month_window(uow, month, tz, villages)
    village_query = select(Village.id, Village.name)
    if villages is not None:
        village_query = village_query.where(Village.id.in_(villages))
    rows = {
        village_id: VillageGlance(village_id, name, Tally(), 0)
        for village_id, name in await uow.session.execute(village_query)
    }
    for village_id, households, done, home in await uow.session.execute(_tallies(window)):
        rows[village_id].tally = Tally(households, done, int(home or 0))
        rows[village_id].uncontacted = households - done
    await _without_jit(uow)
    lines = (await uow.session.execute(_first_uncontacted(uow, window, names_shown))).all()
    people = {line.person_id for line in lines if line.person_id is not None}
    names = dict((await uow.session.execute(_names(people))).all()) if people else {}
    for line in lines:
        village = rows[line.village_id]
        village.first_uncontacted.append(
            HouseholdLine(
                household_id=line.id,
                number=line.number,
                village=village.name,
                group=line.group_name,
                head_name=line.head_name,
                person_id=line.person_id,
                contact_person=names.get(line.person_id),
            )
        )
    town = Tally()
    for row in rows.values():
        town.add(row.tally)
    return MonthGlance(
        month=month,
        computed_at=uow.clock.now(),
        town=town,
        villages=sorted(rows.values(), key=lambda village: (village.name, village.village_id)),
        unassigned=int(await uow.session.scalar(_unassigned(window)) or 0),
    )


def _assigned(window: Window) -> ColumnElement[bool]:
    """The household (a row with `Household`) has an assignment overlapping the month."""
    return exists().where(Assignment.household_id == Household.id, *window.overlapping())


def _tallies(window: Window) -> Any:
    """village, households, contacted, home visited: the month's households (monitored, with
    an assignment overlapping it) and those with an active contact in it, per village."""
    home = func.max(case((Contact.channel == ContactChannel.HOME_VISIT, 1), else_=0))
    reached = (
        select(Contact.household_id.label("household_id"), home.label("home_visit"))
        .where(*window.contact_in_month())
        .group_by(Contact.household_id)
        .subquery("reached")
    )
    return (
        select(
            Household.village_id,
            func.count(),
            func.count(reached.c.household_id),
            func.sum(reached.c.home_visit),
        )
        .outerjoin(reached, reached.c.household_id == Household.id)
        .where(*window.monitored(), _assigned(window))
        .group_by(Household.village_id)
    )


def _first_uncontacted(uow: UnitOfWork, window: Window, names_shown: int) -> Select[Any]:
    """The first `names_shown` uncontacted households of each village in the summary's order
    (group, head's name, id), with the person each counts for."""
    reached = select(Contact.household_id).where(*window.contact_in_month())
    in_order = (
        _by_code_point(uow, Household.group_name),
        _by_code_point(uow, Household.head_name),
        Household.id,
    )
    numbered = (
        select(
            *LINE,
            func.row_number()
            .over(partition_by=Household.village_id, order_by=in_order)
            .label("place"),
        )
        .where(*window.monitored(), _assigned(window), Household.id.not_in(reached))
        .subquery("numbered")
    )
    return (
        select(numbered, person_counted(window, numbered.c.id).label("person_id"))
        .where(numbered.c.place <= names_shown)
        .order_by(numbered.c.village_id, numbered.c.place)
    )


def _names(people: set[int]) -> Select[Any]:
    return select(Person.id, Person.name).where(Person.id.in_(people))


# PostgreSQL compiles a statement to machine code (JIT) when its estimated cost is high; the
# uncontacted households' is (it cannot know how few lines the numbering keeps), and compiling
# took 50 ms of a 270 ms statement that runs in 200 ms without it. This transaction only.
NO_JIT = "SET LOCAL jit = off"


async def _without_jit(uow: UnitOfWork) -> None:
    if uow.session.get_bind().dialect.name == "postgresql":
        await uow.session.execute(text(NO_JIT))


def _by_code_point(uow: UnitOfWork, column: Any) -> Any:
    """The column ordered as Python orders strings (the summary sorts its lines in Python):
    SQLite compares text by its bytes already; PostgreSQL by the database's locale unless
    told "C"."""
    if uow.session.get_bind().dialect.name == "postgresql":
        return column.collate("C")
    return column


def _unassigned(window: Window) -> Select[Any]:
    """How many of the month's households have no assignment open at `as_of`."""
    held = exists().where(Assignment.household_id == Household.id, *window.held_at_as_of())
    return select(func.count()).select_from(Household).where(*window.monitored(), ~held)
