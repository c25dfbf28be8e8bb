"""A household's history (农户档案): every red flag with every step, the assistance plan, the
roster changes decided at meetings, and the last contacts. Opened from the household card.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from bot.core.flags.acknowledgement import FlagView
from bot.core.flags.measures import measures_of
from bot.core.flags.removal import FlagPanel, allowed_acts, steps_of
from bot.core.policy import Actor, readable_household, visible_households
from bot.core.roster.assignments import contact_persons_of
from bot.domain.model import ContactStatus, Role
from bot.storage.models import (
    AssistanceMeasure,
    Contact,
    Household,
    HouseholdChange,
    Person,
    RedFlag,
)
from bot.storage.uow import App, UnitOfWork

HISTORY_CONTACTS = 5
FIND_LIMIT = 30


class ContactLine(NamedTuple):
    """A contact, with the name of the person who logged it (a row of the history's query)."""

    contact: Contact
    person_name: str


@dataclass(frozen=True)
class HouseholdHistory:
    household: Household
    contact_persons: list[str]
    flags: list[FlagPanel]  # newest first
    measures: list[AssistanceMeasure]
    changes: list[HouseholdChange]
    contacts: list[ContactLine]  # the last few, newest first
    actor_role: Role

    @property
    def may_change_roster(self) -> bool:
        return self.actor_role == Role.TOWN_OFFICE


async def household_history(app: App, actor: Actor, household_id: int) -> HouseholdHistory:
    """The household's whole record, if the actor may read the household."""
    async with app.uow() as uow:
        household = await readable_household(uow, actor, household_id)
        return await history_of(uow, actor, household)


async def history_of(uow: UnitOfWork, actor: Actor, household: Household) -> HouseholdHistory:
    """The history of a household the caller has read through the policy, in its unit of
    work."""
    raiser, acknowledger = aliased(Person), aliased(Person)
    flag_rows = (
        await uow.session.execute(
            select(RedFlag, raiser.name, acknowledger.name)
            .outerjoin(raiser, raiser.id == RedFlag.raised_by_id)
            .outerjoin(acknowledger, acknowledger.id == RedFlag.acknowledged_by_id)
            .where(RedFlag.household_id == household.id)
            .order_by(RedFlag.raised_at.desc(), RedFlag.id.desc())
        )
    ).all()
    steps = await steps_of(uow, [flag.id for flag, _r, _a in flag_rows])
    flags = [
        FlagPanel(
            FlagView(flag, household, raised_by, acknowledged_by),
            [step for step in steps if step.flag_id == flag.id],
            allowed_acts(actor, flag, household),
        )
        for flag, raised_by, acknowledged_by in flag_rows
    ]
    people = await contact_persons_of(uow, household.id)
    changes = await uow.session.execute(
        select(HouseholdChange)
        .where(HouseholdChange.household_id == household.id)
        .order_by(HouseholdChange.at, HouseholdChange.id)
    )
    contacts = await uow.session.execute(
        select(Contact, Person.name)
        .join(Person, Person.id == Contact.person_id)
        .where(Contact.household_id == household.id, Contact.status == ContactStatus.ACTIVE)
        .order_by(Contact.occurred_on.desc(), Contact.entered_at.desc())
        .limit(HISTORY_CONTACTS)
    )
    return HouseholdHistory(
        household=household,
        contact_persons=[name for _id, name in people],
        flags=flags,
        measures=await measures_of(uow, household.id),
        changes=list(changes.scalars()),
        contacts=[ContactLine(contact, name) for contact, name in contacts.all()],
        actor_role=actor.role,
    )


async def find_households(app: App, actor: Actor, text: str) -> list[Household]:
    """Households the actor may read whose head's name contains `text` or whose 户编号 ends
    with it: how the town office and village admins reach any card."""
    text = text.strip()
    if not text:
        return []
    query = (
        visible_households(actor)
        .where(
            or_(
                Household.head_name.icontains(text, autoescape=True),
                Household.number.endswith(text, autoescape=True),
            )
        )
        .order_by(Household.head_name, Household.id)
        .limit(FIND_LIMIT)
    )
    async with app.uow() as uow:
        return list((await uow.session.execute(query)).scalars())
