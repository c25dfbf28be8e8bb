"""Correcting or withdrawing one's own contact (更正、撤回走访记录) within the edit window, by
the same rules as logging it (contact_log.py); every change is audited."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from bot.config import Settings
from bot.core.contacts import rules
from bot.core.contacts.contact_log import (
    NOT_YOUR_CONTACT,
    assignment_start,
    flagged_problems,
    settle,
    snapshot,
)
from bot.core.contacts.income import restore_income
from bot.core.coverage.progress import MonthProgress, month_progress
from bot.core.flags.retraction import FlagsFollowed, follow_contact
from bot.core.households.my_households import household_name
from bot.core.policy import Actor
from bot.domain.model import ContactChannel, ContactEvent, ContactStatus, Guarantee
from bot.errors import Conflict, InvalidInput, NotAllowed
from bot.i18n import N_
from bot.storage.models import Contact, Household
from bot.storage.uow import App, UnitOfWork

log = logging.getLogger(__name__)

OUTSIDE_WINDOW = N_(
    "A contact can be corrected or withdrawn only within {hours} hours of entering it."
)
ALREADY_WITHDRAWN = N_("This contact has already been withdrawn.")


@dataclass(frozen=True)
class ContactLine:
    """One of the person's own contacts that can still be corrected or withdrawn."""

    contact: Contact
    household_name: str


@dataclass(frozen=True)
class ChangedContact(ContactLine):
    """The contact as a correction or withdrawal left it, with the month's progress and what
    its red flags did."""

    progress: MonthProgress
    flag_raised: bool = False
    already_flagged: Sequence[str] = ()  # problems an open guarantee flag already covers
    flags: FlagsFollowed = field(default_factory=FlagsFollowed)  # its flags, as they followed


@dataclass(frozen=True)
class Correction:
    """What to change in a contact; None leaves a field as it was."""

    occurred_on: date | None = None
    channel: str | None = None
    problems: Sequence[str] | None = None
    events: Sequence[str] | None = None
    income: Decimal | None = None
    note: str | None = None  # "" removes the note


async def recent_own_contacts(app: App, actor: Actor) -> list[ContactLine]:
    """The actor's active contacts entered within the edit window, newest first."""
    async with app.uow() as uow:
        since = uow.clock.now() - timedelta(hours=app.settings.contact_edit_window_hours)
        rows = await uow.session.execute(
            select(Contact, Household)
            .join(Household, Household.id == Contact.household_id)
            .where(
                Contact.person_id == (actor.person_id or -1),
                Contact.status == ContactStatus.ACTIVE,
                Contact.entered_at >= since,
            )
            .order_by(Contact.entered_at.desc(), Contact.id.desc())
        )
        return [ContactLine(contact, household_name(household)) for contact, household in rows]


async def editable_contact(app: App, actor: Actor, contact_id: int) -> ContactLine:
    """One of the actor's own contacts that is still within the edit window."""
    async with app.uow() as uow:
        contact, household = await _own_editable(uow, app.settings, actor, contact_id)
    return ContactLine(contact, household_name(household))


async def withdraw_contact(app: App, actor: Actor, contact_id: int) -> ChangedContact:
    """Withdraw one's own contact; it no longer counts for its month. The red flags it raised
    are taken back with it (or, once the town office acted on them, the office is asked)."""
    async with app.uow() as uow:
        contact, household = await _own_editable(uow, app.settings, actor, contact_id)
        contact.status = ContactStatus.WITHDRAWN
        contact.changed_at = uow.clock.now()
        if contact.income is not None:
            await restore_income(uow, actor, household, contact)
        uow.audit_by(
            actor,
            "contact",
            contact.id,
            "withdraw",
            {
                "before": {"status": str(ContactStatus.ACTIVE)},
                "after": {"status": str(ContactStatus.WITHDRAWN)},
            },
        )
        flags = await follow_contact(uow, actor, contact)
        progress = await month_progress(uow, actor)
        await uow.commit()
    return ChangedContact(contact, household_name(household), progress, flags=flags)


async def correct_contact(
    app: App, actor: Actor, contact_id: int, correction: Correction
) -> ChangedContact:
    """Change the date, channel, guarantees, events, income or note of one's own contact, by
    the same rules as logging it. A guarantee problem that was not there before raises a red
    flag, unless an open guarantee flag on the household covers it already; a problem taken
    away takes back the flag it raised (see bot/core/flags/retraction.py)."""
    async with app.uow() as uow:
        contact, household = await _own_editable(uow, app.settings, actor, contact_id)
        covered = await flagged_problems(uow, household.id)
        before = snapshot(contact)
        if correction.occurred_on is not None:
            assigned_on = await assignment_start(uow, actor.person_id, household.id)
            rules.validate_day(app.settings, uow.clock.today(), correction.occurred_on, assigned_on)
            contact.occurred_on = correction.occurred_on
        if correction.channel is not None:
            contact.channel = rules.channel(correction.channel)
            if contact.channel != ContactChannel.HOME_VISIT:
                contact.photo_file_id = None  # a photo belongs to a home visit; the audit keeps it
        new_problems: list[str] = []
        if correction.problems is not None:
            problems = rules.choices(correction.problems, Guarantee)
            new_problems = [key for key in problems if key not in contact.problems]
            contact.problems = problems
        if correction.events is not None:
            contact.events = rules.choices(correction.events, ContactEvent)
        if correction.income is not None:
            contact.income = rules.validate_income(correction.income)
        if correction.note is not None:
            contact.note = rules.validate_note(app.settings, correction.note)
        after = snapshot(contact)
        changed = {key: value for key, value in after.items() if before[key] != value}
        if changed:
            contact.changed_at = uow.clock.now()
            uow.audit_by(
                actor,
                "contact",
                contact.id,
                "correct",
                {"before": {key: before[key] for key in changed}, "after": changed},
            )
        flags = await follow_contact(uow, actor, contact)
        flagged, progress = await settle(
            uow,
            app,
            actor,
            household,
            contact,
            new_problems,
            covered,
            income_changed="income" in changed,
        )
    return ChangedContact(
        contact,
        household_name(household),
        progress,
        flagged,
        already_flagged=[key for key in new_problems if key in covered],
        flags=flags,
    )


async def _own_editable(
    uow: UnitOfWork, settings: Settings, actor: Actor, contact_id: int
) -> tuple[Contact, Household]:
    contact = await uow.session.get(Contact, contact_id)
    if contact is None or contact.person_id != actor.person_id or actor.person_id is None:
        log.warning("refused: person %s changed contact %s", actor.person_id, contact_id)
        raise NotAllowed(NOT_YOUR_CONTACT)
    if contact.status == ContactStatus.WITHDRAWN:
        raise Conflict(ALREADY_WITHDRAWN)
    if uow.clock.now() - contact.entered_at > timedelta(hours=settings.contact_edit_window_hours):
        raise InvalidInput(OUTSIDE_WINDOW, hours=settings.contact_edit_window_hours)
    return contact, await uow.session.get_one(Household, contact.household_id)
