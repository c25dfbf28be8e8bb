"""Who may see what (谁能看什么). Every service asks here; handlers never decide.

- a contact person reads and writes only the households assigned to them;
- a village admin reads the whole village;
- the town office reads everything.
Writing a contact is always the assigned contact person's own act.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Select, and_, exists, select

from bot.domain.model import Role
from bot.errors import NotAllowed
from bot.i18n import N_
from bot.storage.models import Assignment, Household
from bot.storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """The registered person behind an update, or the operator at the CLI (person_id None)."""

    person_id: int | None
    name: str
    role: Role
    village_id: int | None = None

    @property
    def label(self) -> str:
        return self.name if self.person_id is not None else "cli"


CLI_OPERATOR = Actor(person_id=None, name="cli", role=Role.TOWN_OFFICE)


def assigned_to(person_id: int) -> Select[tuple[int]]:
    """Ids of households currently assigned to the person."""
    return select(Assignment.household_id).where(
        Assignment.person_id == person_id, Assignment.ended_at.is_(None)
    )


def visible_households(actor: Actor) -> Select[tuple[Household]]:
    """A query of the households the actor may read, to be narrowed further by the caller."""
    query = select(Household)
    if actor.role == Role.TOWN_OFFICE:
        return query
    own = Household.id.in_(assigned_to(actor.person_id or -1))
    if actor.role == Role.VILLAGE_ADMIN and actor.village_id is not None:
        return query.where((Household.village_id == actor.village_id) | own)
    return query.where(own)


async def readable_household(uow: UnitOfWork, actor: Actor, household_id: int) -> Household:
    """The household, if the actor may read it; else NotAllowed (logged: ids come from users)."""
    query = visible_households(actor).where(Household.id == household_id)
    household = (await uow.session.execute(query)).scalar_one_or_none()
    if household is None:
        log.warning(
            "refused: %s (person %s) read household %s", actor.role, actor.person_id, household_id
        )
        raise NotAllowed(N_("That household is not one of yours."))
    return household


async def own_household(uow: UnitOfWork, actor: Actor, household_id: int) -> Household:
    """The household, if it is assigned to the actor now (needed to log a contact)."""
    query = select(Household).where(
        Household.id == household_id,
        exists().where(
            and_(
                Assignment.household_id == Household.id,
                Assignment.person_id == (actor.person_id or -1),
                Assignment.ended_at.is_(None),
            )
        ),
    )
    household = (await uow.session.execute(query)).scalar_one_or_none()
    if household is None:
        log.warning("refused: person %s wrote household %s", actor.person_id, household_id)
        raise NotAllowed(N_("That household is not one of yours."))
    return household
