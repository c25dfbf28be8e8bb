"""A household's whole record for the office dashboard (农户档案): the card, every contact
(channel, date, guarantees, income, note, photo), the red flags with their steps, the
assistance plan (一户一方案), the roster changes, who its contact persons were over time, and
the audit trail of everything done to it. Read through the same policy as the bot's card and
history: the town office any household, a village admin their village's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select

from bot.core.households.history import HouseholdHistory, history_of
from bot.core.households.my_households import HouseholdCard, card_of, mask_id_number
from bot.core.policy import Actor, readable_household
from bot.errors import NotAllowed, NotFound
from bot.i18n import N_
from bot.storage.models import Assignment, AssistanceMeasure, AuditEntry, Contact, Person, RedFlag
from bot.storage.uow import App

NO_PHOTO = N_("There is no such photo.")

CONTACTS_SHOWN = 200  # years of monthly contacts; the rest are counted
AUDIT_SHOWN = 300


@dataclass(frozen=True)
class ContactRecord:
    contact: Contact
    person_name: str


@dataclass(frozen=True)
class AssignmentRecord:
    person_id: int
    person_name: str
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class AuditRecord:
    at: datetime
    actor: str
    entity: str
    entity_id: int
    action: str
    changes: dict[str, Any]


@dataclass(frozen=True)
class AuditNames:
    """What the audit trail's ids stand for, so a reader sees names rather than numbers:
    the people named in its entries and the days of the household's contacts."""

    persons: dict[int, str] = field(default_factory=dict)
    contact_days: dict[int, date] = field(default_factory=dict)


@dataclass(frozen=True)
class HouseholdRecord:
    card: HouseholdCard
    history: HouseholdHistory
    contacts: list[ContactRecord]  # newest first, withdrawn ones too (marked by status)
    more_contacts: int
    assignments: list[AssignmentRecord]  # newest first
    audit: list[AuditRecord]  # newest first
    names: AuditNames


async def household_record(app: App, actor: Actor, household_id: int) -> HouseholdRecord:
    """The household's record, if the actor may read it (NotAllowed otherwise), read in one
    unit of work."""
    async with app.uow() as uow:
        household = await readable_household(uow, actor, household_id)
        card = await card_of(uow, actor, household)
        history = await history_of(uow, actor, household)
        contact_rows = (
            await uow.session.execute(
                select(Contact, Person.name)
                .join(Person, Person.id == Contact.person_id)
                .where(Contact.household_id == household.id)
                .order_by(Contact.occurred_on.desc(), Contact.entered_at.desc())
            )
        ).all()
        assignments = (
            await uow.session.execute(
                select(Assignment, Person.name)
                .join(Person, Person.id == Assignment.person_id)
                .where(Assignment.household_id == household.id)
                .order_by(Assignment.started_at.desc(), Assignment.id.desc())
            )
        ).all()
        flag_ids = select(RedFlag.id).where(RedFlag.household_id == household.id)
        measure_ids = select(AssistanceMeasure.id).where(
            AssistanceMeasure.household_id == household.id
        )
        contact_ids = [contact.id for contact, _name in contact_rows]
        assignment_ids = [assignment.id for assignment, _name in assignments]
        about = or_(
            and_(AuditEntry.entity == "household", AuditEntry.entity_id == household.id),
            and_(AuditEntry.entity == "contact", AuditEntry.entity_id.in_(contact_ids)),
            and_(AuditEntry.entity == "red_flag", AuditEntry.entity_id.in_(flag_ids)),
            and_(AuditEntry.entity == "assistance_measure", AuditEntry.entity_id.in_(measure_ids)),
            and_(AuditEntry.entity == "assignment", AuditEntry.entity_id.in_(assignment_ids)),
        )
        audit = list(
            (
                await uow.session.execute(
                    select(AuditEntry)
                    .where(about)
                    .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                    .limit(AUDIT_SHOWN)
                )
            ).scalars()
        )
        # Every person an assignment's entry names held the household (or holds it now).
        persons = {a.person_id: name for a, name in assignments}
        return HouseholdRecord(
            card=card,
            history=history,
            contacts=[ContactRecord(c, name) for c, name in contact_rows[:CONTACTS_SHOWN]],
            more_contacts=max(0, len(contact_rows) - CONTACTS_SHOWN),
            assignments=[
                AssignmentRecord(a.person_id, name, a.started_at, a.ended_at)
                for a, name in assignments
            ],
            audit=[
                AuditRecord(e.at, e.actor_label, e.entity, e.entity_id, e.action, _shown(e.changes))
                for e in audit
            ],
            names=AuditNames(persons, {c.id: c.occurred_on for c, _name in contact_rows}),
        )


def _shown(changes: dict[str, Any]) -> dict[str, Any]:
    """An audit entry's changes as a reader may see them: 身份证号 masked, as everywhere,
    also inside an update's `before` and `after`."""
    return {key: _masked(key, value) for key, value in changes.items()}


def _masked(key: str, value: Any) -> Any:
    if key == "id_number" and isinstance(value, str):
        return mask_id_number(value)
    if isinstance(value, dict):
        return {inner: _masked(inner, item) for inner, item in value.items()}
    return value


async def contact_photo_id(app: App, actor: Actor, contact_id: int) -> str:
    """The Telegram file id of a contact's photo, if the actor may read its household;
    NotFound for a contact without a photo or out of reach (the same answer: ids are typed)."""
    async with app.uow() as uow:
        contact = await uow.session.get(Contact, contact_id)
        if contact is not None and contact.photo_file_id:
            try:
                await readable_household(uow, actor, contact.household_id)
            except NotAllowed:
                contact = None
        if contact is None or not contact.photo_file_id:
            raise NotFound(NO_PHOTO)
        return contact.photo_file_id
