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

Everything is counted in SQL, grouped by village and person (`month_counts`): a county's
month is a few statements, whatever its size; Python only adds the groups up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, Select, and_, case, func, or_, select

from bot.clock import Month
from bot.core.coverage.month_counts import (
    Window,
    counted_person,
    held_by_person,
    households_by_person,
    unassigned_households,
    uncontacted_households,
)
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
    FlagStatus,
    Role,
)
from bot.errors import NotAllowed
from bot.i18n import N_
from bot.storage.models import Household, Person, RedFlag, Village
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
    window = Window(
        month, start, end, min(end, now), None if villages is None else frozenset(villages)
    )
    session = uow.session
    village_query = select(Village.id, Village.name)
    if villages is not None:
        village_query = village_query.where(Village.id.in_(villages))
    village_names = {row.id: row.name for row in await session.execute(village_query)}
    people = {row.id: row for row in await session.execute(_people_query())}

    cells: dict[tuple[int, int], Tally] = defaultdict(Tally)  # (village, person) → numbers
    for cell in await households_by_person(uow, window):
        cells[cell.village_id, cell.person_id] = cell.tally()

    village_flags: dict[int, Tally] = defaultdict(Tally)  # flags of households no one counts
    for village_id, person_id, raised, acknowledged, closed, overdue, still in await _flag_counts(
        uow, window, tz
    ):
        target = village_flags[village_id] if person_id is None else cells[village_id, person_id]
        target.flags_raised += raised
        target.flags_acknowledged += acknowledged
        target.flags_closed += closed
        target.flags_past_deadline += overdue
        target.flags_open += still

    uncontacted: dict[int, list[HouseholdLine]] = defaultdict(list)
    for row in await uncontacted_households(uow, window):
        uncontacted[row.village_id].append(_line(row, village_names, row.person_id, people))
    unassigned: dict[int, list[HouseholdLine]] = defaultdict(list)
    for row in await unassigned_households(uow, window):
        unassigned[row.village_id].append(_line(row, village_names))

    villages_out = _villages(village_names, people, cells, village_flags, uncontacted, unassigned)
    town = Tally()
    for village in villages_out:
        town.add(village.tally)
    return MonthCoverage(
        month=month,
        computed_at=now,
        town=town,
        villages=villages_out,
        persons=_persons(cells, people),
        unassigned=[line for village in villages_out for line in village.unassigned],
        unreachable=_unreachable(people, await held_by_person(uow, window), window.as_of, villages),
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


async def _flag_counts(uow: UnitOfWork, window: Window, tz: ZoneInfo) -> Iterable[Row[Any]]:
    """Per village and the person its households count for (None: no one's) with any flag
    activity: raised, acknowledged, closed, past deadline, and still open at `as_of` (the
    month's end, or now while it runs)."""
    start, end, as_of = window.start, window.end, window.as_of

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
    each = (
        select(
            Household.village_id.label("village_id"),
            counted_person(window).label("person_id"),
            *(case((cond, 1), else_=0).label(f"n{i}") for i, cond in enumerate(conditions)),
        )
        .select_from(RedFlag)
        .join(Household, Household.id == RedFlag.household_id)
        # A withdrawn flag was a mistake taken back: it is kept on record, never counted.
        .where(*window.in_scope(), RedFlag.status != FlagStatus.WITHDRAWN, or_(*conditions))
        .subquery("each_flag")
    )
    query = select(
        each.c.village_id,
        each.c.person_id,
        *(func.sum(each.c[f"n{i}"]) for i in range(len(conditions))),
    ).group_by(each.c.village_id, each.c.person_id)
    return (await uow.session.execute(query)).all()


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
    village_names: Mapping[int, str],
    people: Mapping[int, Row[Any]],
    cells: dict[tuple[int, int], Tally],
    village_flags: dict[int, Tally],
    uncontacted: dict[int, list[HouseholdLine]],
    unassigned: dict[int, list[HouseholdLine]],
) -> list[VillageCoverage]:
    rows: dict[int, VillageCoverage] = {
        village_id: VillageCoverage(village_id, name, Tally(), [], [], [])
        for village_id, name in village_names.items()
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
    held: Mapping[int, int],
    as_of: datetime,
    villages: set[int] | None,
) -> list[UnreachablePerson]:
    rows = [
        UnreachablePerson(
            person.id, person.name, person.phone, person.unreachable_since, held.get(person.id, 0)
        )
        for person in people.values()
        if person.active
        and person.unreachable_since is not None
        and person.unreachable_since <= as_of
        and (villages is None or held.get(person.id) or person.village_id in villages)
    ]
    return sorted(rows, key=lambda person: (person.since, person.person_id))


def _household_order(line: HouseholdLine) -> tuple[str, str, str, int]:
    return (line.village, line.group, line.head_name, line.household_id)
