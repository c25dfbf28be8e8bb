"""Contacts (走访记录): logging one. Correcting or withdrawing one's own is in corrections.py.

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
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.config import Settings
from bot.core.contacts import rules
from bot.core.contacts.income import audit_text, update_income
from bot.core.coverage.progress import MonthProgress, month_progress
from bot.core.flags.raising import problem_reason, raise_flag
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
from bot.errors import InvalidInput, NotAllowed
from bot.i18n import N_
from bot.storage.models import Assignment, Contact, Household, RedFlag
from bot.storage.uow import App, UnitOfWork

log = logging.getLogger(__name__)

NOT_YOUR_CONTACT = N_("That contact is not one of yours.")


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


async def assignment_start(uow: UnitOfWork, person_id: int | None, household_id: int) -> date:
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
        assigned_on = await assignment_start(uow, actor.person_id, household_id)
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
        uow.audit_by(actor, "contact", contact.id, "create", snapshot(contact))
        covered = await flagged_problems(uow, household.id)
        flagged, progress = await settle(
            uow, app, actor, household, contact, contact.problems, covered, income_changed=True
        )
    return LoggedContact(
        contact,
        household_name(household),
        progress,
        flagged,
        already_saved=False,
        already_flagged=[key for key in contact.problems if key in covered],
    )


async def settle(
    uow: UnitOfWork,
    app: App,
    actor: Actor,
    household: Household,
    contact: Contact,
    problems: Sequence[str],
    covered: set[str],
    *,
    income_changed: bool,
) -> tuple[bool, MonthProgress]:
    """What follows a contact saved or corrected, in its transaction, which it commits: the
    household's income, a red flag for `problems` no open flag `covered`, and the person's
    month. Whether a flag was raised, and the month."""
    if income_changed and contact.income is not None:
        update_income(uow, actor, household, contact, contact.income)
    uncovered = [key for key in problems if key not in covered]
    if uncovered:  # one red flag (and alert) for them all
        reason = problem_reason(app.settings, uncovered, contact.note)
        await raise_flag(uow, actor, household, FlagSource.GUARANTEE, reason, contact.id, uncovered)
    progress = await month_progress(uow, actor)
    await uow.commit()
    return bool(uncovered), progress


async def flagged_problems(uow: UnitOfWork, household_id: int) -> set[str]:
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


async def _new_contact(
    uow: UnitOfWork, settings: Settings, actor: Actor, household: Household, draft: ContactDraft
) -> Contact:
    channel = rules.channel(draft.channel)
    rules.validate_day(
        settings,
        uow.clock.today(),
        draft.occurred_on,
        await assignment_start(uow, actor.person_id, household.id),
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


def snapshot(contact: Contact) -> dict[str, object]:
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
