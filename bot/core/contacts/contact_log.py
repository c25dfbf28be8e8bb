"""Contacts (走访记录): logging one, and correcting or withdrawing one's own within the window.

A contact is written in one transaction together with everything it causes: the household's
income update, one red flag when any of the six guarantees has a problem (whose town office
alert lands in the outbox in that same transaction), and the audit entries. Each filled-in
form carries a random `draft_key`, unique in the database, so the same form saved twice (a
double tap, a replayed update, a restart between save and reply) yields one contact.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.config import Settings
from bot.core.contacts import rules
from bot.core.contacts.income import audit_text, restore_income, update_income
from bot.core.coverage.progress import MonthProgress, month_progress
from bot.core.flags.raising import problem_reason, raise_flag
from bot.core.flags.retraction import FlagsFollowed, follow_contact
from bot.core.households.my_households import household_name
from bot.core.policy import Actor, own_household
from bot.domain.model import (
    OPEN_FLAG_STATUSES,
    ContactChannel,
    ContactEvent,
    ContactStatus,
    FlagSource,
    Guarantee,
)
from bot.errors import Conflict, InvalidInput, NotAllowed
from bot.i18n import N_
from bot.storage.models import Assignment, Contact, Household, RedFlag
from bot.storage.uow import App, UnitOfWork

log = logging.getLogger(__name__)

OUTSIDE_WINDOW = N_(
    "A contact can be corrected or withdrawn only within {hours} hours of entering it."
)
NOT_YOUR_CONTACT = N_("That contact is not one of yours.")
ALREADY_WITHDRAWN = N_("This contact has already been withdrawn.")


def new_draft_key() -> str:
    """A key for a form just started; kept with the form until it is saved."""
    return secrets.token_urlsafe(16)


@dataclass(frozen=True)
class ContactDraft:
    """A filled-in contact form, as the person confirmed it."""

    draft_key: str
    household_id: int
    channel: str
    occurred_on: date
    problems: Sequence[str] = ()  # guarantees with a problem; empty = all six fine
    events: Sequence[str] = ()
    income: Decimal | None = None  # 年人均纯收入 learned at the contact, yuan
    note: str | None = None
    photo_file_id: str | None = None  # Telegram file_id, home visits only


@dataclass(frozen=True)
class LoggedContact:
    contact: Contact
    household_name: str
    progress: MonthProgress
    flag_raised: bool
    already_saved: bool  # this draft had been saved before: nothing new was written
    already_flagged: Sequence[str] = ()  # problems an open guarantee flag already covers


@dataclass(frozen=True)
class ContactLine:
    """One of the person's own contacts that can still be corrected or withdrawn."""

    contact: Contact
    household_name: str


@dataclass(frozen=True)
class ChangedContact:
    contact: Contact
    household_name: str
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


async def _assigned_on(uow: UnitOfWork, person_id: int | None, household_id: int) -> date:
    """The local day the person's assignment to the household began (the current one if any,
    else the latest: an author may correct a contact after the household was reassigned)."""
    started = (
        await uow.session.execute(
            select(Assignment.started_at)
            .where(Assignment.household_id == household_id, Assignment.person_id == person_id)
            .order_by(Assignment.ended_at.is_(None).desc(), Assignment.started_at.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    return date.min if started is None else uow.clock.local_date(started)


async def validate_contact_day(app: App, actor: Actor, household_id: int, day: date) -> date:
    """Checks a day chosen in the form early, with the same rules `log_contact` applies."""
    async with app.uow() as uow:
        await own_household(uow, actor, household_id)
        assigned_on = await _assigned_on(uow, actor.person_id, household_id)
        rules.validate_day(app.settings, uow.clock.today(), day, assigned_on)
    return day


# ---- logging a contact ----------------------------------------------------------------------


async def contact_target(app: App, actor: Actor, household_id: int) -> str:
    """The name of a household the actor may log a contact for (NotAllowed otherwise)."""
    async with app.uow() as uow:
        return household_name(await own_household(uow, actor, household_id))


async def log_contact(app: App, actor: Actor, draft: ContactDraft) -> LoggedContact:
    """Save a confirmed form: the contact, an income update, a red flag for any guarantee
    problem (with its town office alert), and the audit trail, all in one transaction."""
    async with app.uow() as uow:
        saved = await _saved_draft(uow, actor, draft.draft_key)
        if saved is not None:
            return saved
        household = await own_household(uow, actor, draft.household_id)
        contact = await _new_contact(uow, app.settings, actor, household, draft)
        uow.session.add(contact)
        try:
            await uow.session.flush()
        except IntegrityError:
            # The same draft was saved by a concurrent request between our check and insert.
            await uow.rollback()
            saved = await _saved_draft(uow, actor, draft.draft_key)
            if saved is None:
                raise
            return saved
        uow.audit(actor.person_id, actor.label, "contact", contact.id, "create", _snapshot(contact))
        if contact.income is not None:
            update_income(uow, actor, household, contact, contact.income)
        covered = await _flagged_problems(uow, household.id)
        flagged = await _flag_uncovered(
            uow, app, actor, household, contact, contact.problems, covered
        )
        progress = await month_progress(uow, actor)
        await uow.commit()
    return LoggedContact(
        contact,
        household_name(household),
        progress,
        flagged,
        already_saved=False,
        already_flagged=[key for key in contact.problems if key in covered],
    )


async def _flagged_problems(uow: UnitOfWork, household_id: int) -> set[str]:
    """The guarantee problems an open guarantee flag on the household already covers: those
    each was raised for. Reporting one again must not alert the town office again."""
    rows = await uow.session.execute(
        select(RedFlag.problems).where(
            RedFlag.household_id == household_id,
            RedFlag.source == FlagSource.GUARANTEE,
            RedFlag.status.in_(OPEN_FLAG_STATUSES),
        )
    )
    return {key for (problems,) in rows for key in problems}


async def _flag_uncovered(
    uow: UnitOfWork,
    app: App,
    actor: Actor,
    household: Household,
    contact: Contact,
    problems: Sequence[str],
    covered: set[str],
) -> bool:
    """One red flag (and alert) for the contact's problems no open flag covers yet."""
    uncovered = [key for key in problems if key not in covered]
    if not uncovered:
        return False
    reason = problem_reason(app.settings, uncovered, contact.note)
    await raise_flag(uow, actor, household, FlagSource.GUARANTEE, reason, contact.id, uncovered)
    return True


async def _new_contact(
    uow: UnitOfWork, settings: Settings, actor: Actor, household: Household, draft: ContactDraft
) -> Contact:
    channel = rules.channel(draft.channel)
    rules.validate_day(
        settings,
        uow.clock.today(),
        draft.occurred_on,
        await _assigned_on(uow, actor.person_id, household.id),
    )
    if draft.photo_file_id and channel != ContactChannel.HOME_VISIT:
        raise InvalidInput(rules.PHOTO_NOT_HOME_VISIT)
    if not draft.draft_key or len(draft.draft_key) > 64:
        raise InvalidInput(rules.UNKNOWN_CHOICE)
    return Contact(
        household_id=household.id,
        person_id=actor.person_id,
        occurred_on=draft.occurred_on,
        entered_at=uow.clock.now(),
        channel=channel,
        problems=rules.choices(draft.problems, Guarantee),
        events=rules.choices(draft.events, ContactEvent),
        income=None if draft.income is None else rules.validate_income(draft.income),
        note=rules.validate_note(settings, draft.note),
        photo_file_id=draft.photo_file_id or None,
        status=ContactStatus.ACTIVE,
        draft_key=draft.draft_key,
    )


async def _saved_draft(uow: UnitOfWork, actor: Actor, draft_key: str) -> LoggedContact | None:
    contact = (
        await uow.session.execute(select(Contact).where(Contact.draft_key == draft_key))
    ).scalar_one_or_none()
    if contact is None:
        return None
    if contact.person_id != actor.person_id:
        log.warning(
            "refused: person %s reused draft %s of another person", actor.person_id, draft_key
        )
        raise NotAllowed(NOT_YOUR_CONTACT)
    household = await uow.session.get_one(Household, contact.household_id)
    flags = await uow.session.execute(select(func.count()).where(RedFlag.contact_id == contact.id))
    return LoggedContact(
        contact,
        household_name(household),
        await month_progress(uow, actor),
        flag_raised=flags.scalar_one() > 0,
        already_saved=True,
    )


# ---- correcting and withdrawing one's own contact -------------------------------------------


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
        uow.audit(
            actor.person_id,
            actor.label,
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
        covered = await _flagged_problems(uow, household.id)
        before = _snapshot(contact)
        if correction.occurred_on is not None:
            assigned_on = await _assigned_on(uow, actor.person_id, household.id)
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
        after = _snapshot(contact)
        changed = {key: value for key, value in after.items() if before[key] != value}
        if changed:
            contact.changed_at = uow.clock.now()
            uow.audit(
                actor.person_id,
                actor.label,
                "contact",
                contact.id,
                "correct",
                {"before": {key: before[key] for key in changed}, "after": changed},
            )
        if "income" in changed and contact.income is not None:
            update_income(uow, actor, household, contact, contact.income)
        flags = await follow_contact(uow, actor, contact)
        flagged = await _flag_uncovered(uow, app, actor, household, contact, new_problems, covered)
        progress = await month_progress(uow, actor)
        await uow.commit()
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


def _snapshot(contact: Contact) -> dict[str, object]:
    """The contact's fields as the audit trail keeps them."""
    return {
        "household_id": contact.household_id,
        "occurred_on": contact.occurred_on.isoformat(),
        "channel": str(contact.channel),
        "problems": list(contact.problems),
        "events": list(contact.events),
        "income": audit_text(contact.income),
        "note": contact.note,
        "photo_file_id": contact.photo_file_id,
        "status": str(contact.status),
    }
