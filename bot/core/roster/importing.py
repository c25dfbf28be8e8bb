"""Roster import (花名册导入): the town office's spreadsheet becomes villages, households,
contact persons and assignments.

All or nothing: every row is checked first, and one bad row refuses the whole file with a
list of every problem and its row number. A good file is written in one transaction:
households are matched by 户编号 (new ones added, known ones updated field by field), and a
household whose contact person changed is reassigned. Every change goes to the audit trail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.core.policy import Act, Actor, in_reach, require
from bot.core.roster.assignments import end_assignment, start_assignments
from bot.core.roster.columns import ID_NUMBER, NUMBER, RawRow
from bot.core.roster.contact_persons import ContactPersons, contact_persons_for
from bot.core.roster.rows import RosterRejected, RosterRow, RowProblem, check_rows
from bot.core.roster.towns import roster_towns
from bot.domain.model import ContactStatus, HouseholdStatus
from bot.i18n import N_
from bot.storage.batches import rows_in_batches
from bot.storage.models import Assignment, Contact, Household, Village
from bot.storage.uow import App, UnitOfWork

# Another town's household is named as little as possible: only that it is another town's.
OTHER_TOWNS_HOUSEHOLD = N_("This household number belongs to another town's roster.")
OTHER_TOWNS_ID_NUMBER = N_("This ID number is already on another town's roster.")

__all__ = [
    "RosterImportReport",
    "RosterRejected",
    "RowProblem",
    "import_roster",
]


@dataclass
class RosterImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    reassigned: int = 0
    contact_persons_created: int = 0
    villages_created: int = 0
    new_contact_persons: list[tuple[str, str]] = field(default_factory=list)  # name, phone


async def import_roster(app: App, actor: Actor, raw_rows: list[RawRow]) -> RosterImportReport:
    """Import the roster's rows (read from its file by bot/documents/roster_sheet.py), all
    or nothing (see the module's docstring)."""
    require(actor, Act.IMPORT_ROSTER)
    rows = check_rows(raw_rows, app.clock.today())
    report = RosterImportReport()
    size = app.settings.import_batch_size  # values per query: a town may have 100,000 rows
    async with app.uow() as uow:
        await _refuse_id_numbers_of_other_households(uow, actor, rows, size)
        villages, report.villages_created = await _villages(uow, actor, rows, size)
        people = await contact_persons_for(uow, actor, rows, villages, size)
        report.contact_persons_created = len(people.created)
        report.new_contact_persons = [(p.name, p.phone or "") for p in people.created]
        households, created, updated = await _households(uow, actor, rows, villages, size)
        reassigned = await _assign(uow, actor, rows, households, people, created, size)
        await uow.commit()
    report.created, report.updated, report.reassigned = len(created), len(updated), len(reassigned)
    report.unchanged = len(rows) - len(created | updated | reassigned)
    return report


async def _refuse_id_numbers_of_other_households(
    uow: UnitOfWork, actor: Actor, rows: list[RosterRow], size: int
) -> None:
    """An ID number already on another household (another 户编号) is a typo or a duplicate."""
    by_id = {row.id_number: row for row in rows}
    known = await rows_in_batches(
        uow.session,
        lambda batch: select(
            Household.id_number,
            Household.number,
            Household.head_name,
            in_reach(actor, Household.village_id).label("ours"),
        ).where(Household.id_number.in_(batch)),
        list(by_id),
        size,
    )
    problems = [
        RowProblem(
            by_id[id_number].row_number,
            ID_NUMBER,
            N_("This ID number already belongs to household {number} ({name})."),
            {"number": number, "name": head_name},
        )
        if ours
        else RowProblem(by_id[id_number].row_number, ID_NUMBER, OTHER_TOWNS_ID_NUMBER)
        for id_number, number, head_name, ours in known
        if number != by_id[id_number].number
    ]
    if problems:
        raise RosterRejected(problems)


async def _villages(
    uow: UnitOfWork, actor: Actor, rows: list[RosterRow], size: int
) -> tuple[dict[str, Village], int]:
    """The roster's villages by name, with how many of them were added (each in its town:
    `roster_towns`, which refuses another town's villages for a town office)."""
    names = list(dict.fromkeys(row.village for row in rows))
    found = await rows_in_batches(
        uow.session, lambda batch: select(Village).where(Village.name.in_(batch)), names, size
    )
    villages = {village.name: village for (village,) in found}
    new_towns = await roster_towns(uow, actor, rows, villages)
    for name, town_id in new_towns.items():
        villages[name] = await uow.add_audited(
            actor, Village(name=name, town_id=town_id), "village", {"name": name}
        )
    return villages, len(new_towns)


def _jsonable(value: Any) -> Any:
    """A value as the audit trail keeps it: amounts as text, dates as 2019-10-15."""
    if isinstance(value, Decimal):
        return str(value)
    return value.isoformat() if isinstance(value, date) else value


async def _households(
    uow: UnitOfWork,
    actor: Actor,
    rows: list[RosterRow],
    villages: dict[str, Village],
    size: int,
) -> tuple[dict[str, Household], set[str], set[str]]:
    """Add the new households and update the known ones, by 户编号. Returns the households by
    户编号, and the 户编号 created and updated."""
    now, today = uow.clock.now(), uow.clock.today()
    found = await rows_in_batches(
        uow.session,
        lambda batch: select(Household).where(Household.number.in_(batch)),
        [row.number for row in rows],
        size,
    )
    households = {household.number: household for (household,) in found}
    _refuse_other_towns_households(actor, rows, households)
    visited = await _incomes_from_visits(
        uow, [household.id for household in households.values()], size
    )
    new: list[tuple[Household, RosterRow]] = []
    updated: set[str] = set()
    for row in rows:
        village = villages[row.village]
        household = households.get(row.number)
        if household is None:
            household = households[row.number] = Household(
                number=row.number,
                village=village,
                status=HouseholdStatus.MONITORED,
                income_measured_on=today if row.income is not None else None,
                created_at=now,
                updated_at=now,
                **row.household_fields(),
            )
            uow.session.add(household)
            new.append((household, row))
            continue
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        if household.village_id != village.id:
            before["village"], after["village"] = household.village.name, village.name
            household.village = village
        fields = row.household_fields()
        if row.income is None or household.id in visited:
            del fields["income"]
        for name, value in fields.items():
            if getattr(household, name) != value:
                before[name], after[name] = _jsonable(getattr(household, name)), _jsonable(value)
                setattr(household, name, value)
        if "income" in after:
            household.income_measured_on = today
        if after:
            household.updated_at = now
            uow.audit_by(
                actor,
                "household",
                household.id,
                "update",
                {"before": before, "after": after},
            )
            updated.add(row.number)
    await uow.session.flush()
    for household, row in new:
        fields = {key: _jsonable(value) for key, value in row.household_fields().items()}
        uow.audit_by(
            actor,
            "household",
            household.id,
            "create",
            {"number": row.number, "village": row.village, **fields},
        )
    return households, {row.number for _household, row in new}, updated


def _refuse_other_towns_households(
    actor: Actor, rows: list[RosterRow], households: dict[str, Household]
) -> None:
    """A town office's roster may not name a household of another town by its 户编号."""
    if actor.county_wide:
        return
    problems = [
        RowProblem(row.row_number, NUMBER, OTHER_TOWNS_HOUSEHOLD)
        for row in rows
        if (household := households.get(row.number)) is not None
        and household.village.town_id != actor.town_id
    ]
    if problems:
        raise RosterRejected(problems)


async def _incomes_from_visits(uow: UnitOfWork, household_ids: list[int], size: int) -> set[int]:
    """The households whose income a contact person recorded on a visit, as the last
    measurement. A re-imported roster keeps those: its income column is the figure from the
    yearly survey (摸底), older than what the contact person found, and a blank cell says
    nothing new either."""
    found = await rows_in_batches(
        uow.session,
        lambda batch: (
            select(Contact.household_id)
            .join(Household, Household.id == Contact.household_id)
            .where(
                Contact.household_id.in_(batch),
                Contact.status == ContactStatus.ACTIVE,
                Contact.occurred_on == Household.income_measured_on,
                Contact.income == Household.income,
            )
        ),
        household_ids,
        size,
    )
    return {household_id for (household_id,) in found}


async def _assign(
    uow: UnitOfWork,
    actor: Actor,
    rows: list[RosterRow],
    households: dict[str, Household],
    people: ContactPersons,
    new_numbers: set[str],
    size: int,
) -> set[str]:
    """Each household gets the roster's contact person, and a different current one is ended.
    Returns the 户编号 of the known households whose contact person changed."""
    ids = [household.id for household in households.values()]
    current: dict[int, list[Assignment]] = {}
    found = await rows_in_batches(
        uow.session,
        lambda batch: select(Assignment).where(
            Assignment.household_id.in_(batch), Assignment.ended_at.is_(None)
        ),
        ids,
        size,
    )
    for (assignment,) in found:
        current.setdefault(assignment.household_id, []).append(assignment)
    starting: list[tuple[int, int]] = []
    reassigned: set[str] = set()
    for row in rows:
        household = households[row.number]
        person = people.for_row(row)
        assignments = current.get(household.id, [])
        for assignment in assignments:
            if assignment.person_id != person.id:
                end_assignment(uow, actor, assignment)
                reassigned.add(row.number)
        if all(assignment.person_id != person.id for assignment in assignments):
            starting.append((household.id, person.id))
            if row.number not in new_numbers:
                reassigned.add(row.number)
    await start_assignments(uow, actor, starting)
    return reassigned
