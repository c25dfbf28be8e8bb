"""Assignments (帮扶关系): which contact person looks after which household, from when to when.
Starting and ending one is always audited; the roster import and the roster changes both
come here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from bot.core.policy import Actor
from bot.storage.models import Assignment, Person
from bot.storage.uow import UnitOfWork


async def start_assignments(
    uow: UnitOfWork, actor: Actor, pairs: Iterable[tuple[int, int]]
) -> list[Assignment]:
    """A current assignment for each (household id, person id), from now."""
    now = uow.clock.now()
    started = [
        Assignment(household_id=household_id, person_id=person_id, started_at=now)
        for household_id, person_id in pairs
    ]
    uow.session.add_all(started)
    await uow.session.flush()
    for assignment in started:
        uow.audit_by(
            actor,
            "assignment",
            assignment.id,
            "create",
            {"household_id": assignment.household_id, "person_id": assignment.person_id},
        )
    return started


def end_assignment(uow: UnitOfWork, actor: Actor, assignment: Assignment) -> None:
    """The assignment ends now."""
    assignment.ended_at = uow.clock.now()
    uow.audit_by(
        actor,
        "assignment",
        assignment.id,
        "end",
        {"household_id": assignment.household_id, "person_id": assignment.person_id},
    )


async def end_assignments(uow: UnitOfWork, actor: Actor, *where: Any) -> list[int]:
    """End the current assignments matching `where`; returns their households' ids."""
    found = await uow.session.execute(
        select(Assignment).where(Assignment.ended_at.is_(None), *where)
    )
    ended = []
    for assignment in found.scalars():
        end_assignment(uow, actor, assignment)
        ended.append(assignment.household_id)
    return ended


async def contact_persons_of(uow: UnitOfWork, household_id: int) -> list[tuple[int, str]]:
    """The household's current contact persons, (id, name) by name."""
    rows = await uow.session.execute(
        select(Person.id, Person.name)
        .join(Assignment, Assignment.person_id == Person.id)
        .where(Assignment.household_id == household_id, Assignment.ended_at.is_(None))
        .order_by(Person.name)
    )
    return [(person_id, name) for person_id, name in rows.all()]


async def contact_person_ids(uow: UnitOfWork, household_id: int) -> list[int]:
    """The ids of the household's current contact persons."""
    rows = await uow.session.execute(
        select(Assignment.person_id).where(
            Assignment.household_id == household_id, Assignment.ended_at.is_(None)
        )
    )
    return list(rows.scalars())
