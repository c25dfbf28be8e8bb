"""Monthly coverage (走访覆盖率): which monitored households were contacted in a month, for the
town, each village and each contact person.

The rules, from DOMAIN.md "Coverage rule", made precise:

- **The month's households** are those whose status is `monitored` (today's status: the
  summary sent on the 1st keeps the month as it was then), created before the month ended, and
  with at least one assignment overlapping the month's [start, end) in the town's time zone.
- **Each counts once**, for one contact person: the assignment still open at the month's end
  (of two open at once, the later one); if none is, the one that started last. So a household
  reassigned on the 15th counts for the person who has it at month end, together with the
  contacts the first person made before; a stand-in for a week in between does not take it.
- **Contacted**: at least one active contact (a withdrawn one does not count) with `occurred_on`
  in the month, whoever logged it.
- **Home-visit share**: households with at least one home visit / households contacted. It
  counts households, not contacts, so a person who phones weekly and visits once is not
  punished for the calls.
- **Contacts by channel**: the month's active contacts on the row's households.
- **Red flags** (through the household's village and contact person): raised, acknowledged and
  closed in the month; past deadline = the deadline day was over at the month's end (or now,
  for the running month) and the flag was not closed by then.
- **Households without a contact person**: monitored households with no assignment open at the
  month's end (or now, for the running month).
- **Unreachable contact persons**: active people marked unreachable by then, with the number of
  households they hold.

Everything is a handful of aggregate queries over the scope's rows, then arithmetic in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, Select, and_, case, func, or_, select

from bot.clock import Month
from bot.core.coverage.month_summary import (
    HouseholdLine,
    MonthCoverage,
    PersonCoverage,
    Tally,
    UnreachablePerson,
    VillageCoverage,
)
from bot.core.policy import Actor, villages_in_reach
from bot.domain.model import (
    OPEN_FLAG_STATUSES,
    ContactChannel,
    ContactStatus,
    FlagStatus,
    HouseholdStatus,
    Role,
)
from bot.errors import NotAllowed
from bot.i18n import N_
from bot.storage.models import Assignment, Contact, Household, Person, RedFlag, Village
from bot.storage.uow import App, UnitOfWork


async def readable_villages(
    uow: UnitOfWork, actor: Actor, village_ids: Collection[int] | None
) -> set[int] | None:
    """The villages the actor may read a summary of; None means all of the county's."""
    if actor.office:
        reach = await villages_in_reach(uow, actor)
        if village_ids is None:
            return reach
        if reach is not None and set(village_ids) - reach:
            raise NotAllowed(N_("You can only read your own town's villages."))
        return set(village_ids)
    if actor.role == Role.VILLAGE_ADMIN and actor.village_id is not None:
        if village_ids is not None and set(village_ids) - {actor.village_id}:
            raise NotAllowed(N_("You can only read your own village's summary."))
        return {actor.village_id}
    raise NotAllowed(N_("Only the town office and village admins can read coverage summaries."))


async def coverage_for_month(
    app: App, actor: Actor, month: Month, village_ids: Collection[int] | None = None
) -> MonthCoverage:
    """The month's coverage over the villages the actor may read (the town's, for a town
    office person; the county's, for the county office)."""
    async with app.uow() as uow:
        scope = await readable_villages(uow, actor, village_ids)
        return await month_coverage(uow, month, app.settings.tz, scope)


async def month_coverage(
    uow: UnitOfWork, month: Month, tz: ZoneInfo, villages: set[int] | None = None
) -> MonthCoverage:
    """Compute the month's coverage inside an open unit of work; `villages` None = all."""
    start, end = month.utc_bounds(tz)
    now = uow.clock.now()
    as_of = min(end, now)
    rows = await _MonthRows.load(uow, month, (start, end, as_of), tz, villages)
    counted_for = _attribute(rows.assignments, end)
    holding = _held_at(rows.assignments, as_of)

    cells: dict[tuple[int, int], Tally] = defaultdict(Tally)  # (village, person) → numbers
    uncontacted: dict[int, list[HouseholdLine]] = defaultdict(list)
    for household_id, person_id in counted_for.items():
        household = rows.households[household_id]
        tally = cells[household.village_id, person_id]
        tally.households += 1
        by_channel = rows.channels.get(household_id)
        if by_channel:
            tally.contacted += 1
            tally.home_visited += ContactChannel.HOME_VISIT in by_channel
            for channel, count in by_channel.items():
                tally.by_channel[channel] = tally.by_channel.get(channel, 0) + count
        else:
            line = _line(household, rows.village_names, person_id, rows.people)
            uncontacted[household.village_id].append(line)

    village_flags: dict[int, Tally] = defaultdict(Tally)  # flags of households no one counts
    for household_id, village_id, raised, acknowledged, closed, overdue, still in rows.flags:
        person_id = counted_for.get(household_id)
        target = village_flags[village_id] if person_id is None else cells[village_id, person_id]
        target.flags_raised += raised
        target.flags_acknowledged += acknowledged
        target.flags_closed += closed
        target.flags_past_deadline += overdue
        target.flags_open += still

    unassigned: dict[int, list[HouseholdLine]] = defaultdict(list)
    for household in rows.households.values():
        if household.id not in holding:
            unassigned[household.village_id].append(_line(household, rows.village_names))

    villages_out = _villages(rows, cells, village_flags, uncontacted, unassigned)
    town = Tally()
    for village in villages_out:
        town.add(village.tally)
    return MonthCoverage(
        month=month,
        computed_at=now,
        town=town,
        villages=villages_out,
        persons=_persons(cells, rows.people),
        unassigned=[line for village in villages_out for line in village.unassigned],
        unreachable=_unreachable(rows.people, holding, as_of, villages),
    )


@dataclass
class _MonthRows:
    """What a month's summary is computed from: one query each, rows as plain tuples."""

    village_names: dict[int, str]
    households: dict[int, Row[Any]]  # monitored, in scope
    assignments: list[Row[Any]]  # overlapping the month
    channels: dict[int, dict[str, int]]  # household → channel → active contacts in the month
    flags: list[Row[Any]]
    people: dict[int, Row[Any]]

    @classmethod
    async def load(
        cls,
        uow: UnitOfWork,
        month: Month,
        instants: tuple[datetime, datetime, datetime],  # start, end, as of
        tz: ZoneInfo,
        villages: set[int] | None,
    ) -> _MonthRows:
        start, end, as_of = instants
        session = uow.session
        in_scope = [Household.village_id.in_(villages)] if villages is not None else []
        monitored = [
            Household.status == HouseholdStatus.MONITORED,
            Household.created_at < end,
            *in_scope,
        ]
        village_query = select(Village.id, Village.name)
        if villages is not None:
            village_query = village_query.where(Village.id.in_(villages))
        household_query = select(
            Household.id,
            Household.number,
            Household.village_id,
            Household.group_name,
            Household.head_name,
        ).where(*monitored)
        assignment_query = (
            select(
                Assignment.id,
                Assignment.household_id,
                Assignment.person_id,
                Assignment.started_at,
                Assignment.ended_at,
            )
            .join(Household, Household.id == Assignment.household_id)
            .where(
                *monitored,
                Assignment.started_at < end,
                or_(Assignment.ended_at.is_(None), Assignment.ended_at > start),
            )
        )
        contact_query = (
            select(Contact.household_id, Contact.channel, func.count())
            .join(Household, Household.id == Contact.household_id)
            .where(
                *monitored,
                Contact.status == ContactStatus.ACTIVE,
                Contact.occurred_on >= month.first_day,
                Contact.occurred_on <= month.last_day,
            )
            .group_by(Contact.household_id, Contact.channel)
        )
        channels: dict[int, dict[str, int]] = defaultdict(dict)
        for household_id, channel, count in await session.execute(contact_query):
            channels[household_id][channel] = count
        return cls(
            village_names={row.id: row.name for row in await session.execute(village_query)},
            households={row.id: row for row in await session.execute(household_query)},
            assignments=list((await session.execute(assignment_query)).all()),
            channels=channels,
            flags=list(await _flag_counts(uow, start, end, as_of, tz, in_scope)),
            people={row.id: row for row in await session.execute(_people_query())},
        )


def _people_query() -> Select[Any]:
    return select(
        Person.id,
        Person.name,
        Person.phone,
        Person.village_id,
        Person.active,
        Person.unreachable_since,
    )


async def _flag_counts(
    uow: UnitOfWork,
    start: datetime,
    end: datetime,
    as_of: datetime,
    tz: ZoneInfo,
    in_scope: list[ColumnElement[bool]],
) -> Iterable[Row[Any]]:
    """Per household with any flag activity: raised, acknowledged, closed, past deadline,
    and still open at `as_of` (the month's end, or now while it runs)."""

    def within(column: Any) -> ColumnElement[bool]:
        return and_(column >= start, column < end)

    overdue = and_(
        RedFlag.deadline.is_not(None),
        RedFlag.deadline < as_of.astimezone(tz).date(),
        RedFlag.raised_at < as_of,
        or_(RedFlag.closed_at.is_(None), RedFlag.closed_at >= as_of),
    )
    # Open then: raised before, not closed by then (a flag ended another way, e.g. withdrawn,
    # has a status outside these and is not counted).
    # (While the month runs, as_of is now: a flag raised this very instant is open.)
    raised_by_then = RedFlag.raised_at < as_of if as_of == end else RedFlag.raised_at <= as_of
    still_open = and_(
        raised_by_then,
        RedFlag.status.in_([*OPEN_FLAG_STATUSES, FlagStatus.CLOSED]),
        or_(RedFlag.closed_at.is_(None), RedFlag.closed_at >= as_of),
    )
    conditions = (
        within(RedFlag.raised_at),
        within(RedFlag.acknowledged_at),
        within(RedFlag.closed_at),
        overdue,
        still_open,
    )
    query = (
        select(
            RedFlag.household_id,
            Household.village_id,
            *(func.sum(case((condition, 1), else_=0)) for condition in conditions),
        )
        .join(Household, Household.id == RedFlag.household_id)
        # A withdrawn flag was a mistake taken back: it is kept on record, never counted.
        .where(*in_scope, RedFlag.status != FlagStatus.WITHDRAWN, or_(*conditions))
        .group_by(RedFlag.household_id, Household.village_id)
    )
    return (await uow.session.execute(query)).all()


def _attribute(assignments: Iterable[Row[Any]], end: datetime) -> dict[int, int]:
    """household → the contact person it counts for (see the module's docstring)."""
    best: dict[int, tuple[bool, datetime, int, int]] = {}
    for row in assignments:
        open_at_end = row.ended_at is None or row.ended_at >= end
        key = (open_at_end, row.started_at, row.id, row.person_id)
        if row.household_id not in best or key > best[row.household_id]:
            best[row.household_id] = key
    return {household_id: key[3] for household_id, key in best.items()}


def _held_at(assignments: Iterable[Row[Any]], instant: datetime) -> dict[int, set[int]]:
    """household → the people assigned to it at the instant."""
    holding: dict[int, set[int]] = defaultdict(set)
    for row in assignments:
        if row.started_at <= instant and (row.ended_at is None or row.ended_at > instant):
            holding[row.household_id].add(row.person_id)
    return holding


def _line(
    household: Row[Any],
    village_names: Mapping[int, str],
    person_id: int | None = None,
    people: Mapping[int, Row[Any]] | None = None,
) -> HouseholdLine:
    return HouseholdLine(
        household_id=household.id,
        number=household.number,
        village=village_names.get(household.village_id, ""),
        group=household.group_name,
        head_name=household.head_name,
        person_id=person_id,
        contact_person=people[person_id].name if person_id and people else None,
    )


def _person(person: Row[Any], tally: Tally) -> PersonCoverage:
    return PersonCoverage(
        person_id=person.id,
        name=person.name,
        phone=person.phone,
        tally=tally,
        unreachable_since=person.unreachable_since,
    )


def _villages(
    month_rows: _MonthRows,
    cells: dict[tuple[int, int], Tally],
    village_flags: dict[int, Tally],
    uncontacted: dict[int, list[HouseholdLine]],
    unassigned: dict[int, list[HouseholdLine]],
) -> list[VillageCoverage]:
    people = month_rows.people
    rows: dict[int, VillageCoverage] = {
        village_id: VillageCoverage(village_id, name, Tally(), [], [], [])
        for village_id, name in month_rows.village_names.items()
    }
    for (village_id, person_id), tally in cells.items():
        rows[village_id].tally.add(tally)
        rows[village_id].persons.append(_person(people[person_id], tally))
    for village_id, tally in village_flags.items():
        rows[village_id].tally.add(tally)
    for village_id, row in rows.items():
        row.persons.sort(key=lambda person: (person.name, person.person_id))
        row.uncontacted = sorted(uncontacted[village_id], key=_household_order)
        row.unassigned = sorted(unassigned[village_id], key=_household_order)
    return sorted(rows.values(), key=lambda village: (village.name, village.village_id))


def _persons(
    cells: dict[tuple[int, int], Tally], people: Mapping[int, Row[Any]]
) -> list[PersonCoverage]:
    totals: dict[int, Tally] = defaultdict(Tally)
    for (_village_id, person_id), tally in cells.items():
        totals[person_id].add(tally)
    rows = [_person(people[person_id], tally) for person_id, tally in totals.items()]
    return sorted(rows, key=lambda person: (person.name, person.person_id))


def _unreachable(
    people: Mapping[int, Row[Any]],
    holding: dict[int, set[int]],
    as_of: datetime,
    villages: set[int] | None,
) -> list[UnreachablePerson]:
    held: dict[int, int] = defaultdict(int)
    for persons in holding.values():
        for person_id in persons:
            held[person_id] += 1
    rows = [
        UnreachablePerson(
            person.id, person.name, person.phone, person.unreachable_since, held[person.id]
        )
        for person in people.values()
        if person.active
        and person.unreachable_since is not None
        and person.unreachable_since <= as_of
        and (villages is None or held[person.id] or person.village_id in villages)
    ]
    return sorted(rows, key=lambda person: (person.since, person.person_id))


def _household_order(line: HouseholdLine) -> tuple[str, str, str, int]:
    return (line.village, line.group, line.head_name, line.household_id)
