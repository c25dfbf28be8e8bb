"""Taking back a red flag that a contact raised by mistake (撤回红色标注).

A guarantee problem ticked by a mis-tap raises a flag and alerts the town office at once.
When the contact person corrects that contact ("都没问题") or withdraws it within the edit
window, the flag follows the contact, in the same transaction:

- the problems it was raised for are all gone → the flag is withdrawn (status "withdrawn",
  audited, no longer counted anywhere) and the town office gets a short notice replying to
  the original alert;
- some are still there → the flag stays, its reason names only those (audited);
- the town office has already acted on it (a measure in the assistance plan, or a removal
  step) → it is not taken back silently: the office is asked to keep or withdraw it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import exists, func, select

from bot.core.delivery.kinds import MessageKind
from bot.core.delivery.outbox import office_of_household, queue
from bot.core.flags.acknowledgement import FlagView, flag_view
from bot.core.flags.raising import problem_reason
from bot.core.policy import Act, Actor, readable_flag, require
from bot.domain.model import OPEN_FLAG_STATUSES, ContactStatus, FlagSource, FlagStatus
from bot.errors import Conflict
from bot.i18n import N_
from bot.storage.models import AssistanceMeasure, AuditEntry, Contact, FlagStep, RedFlag
from bot.storage.uow import App, UnitOfWork


class Retraction(StrEnum):
    """What became of a flag when the contact that raised it changed."""

    WITHDRAWN = "withdrawn"  # taken back; the town office is told
    NARROWED = "narrowed"  # some of its problems remain; its reason names only those
    ASKED = "asked"  # the town office acted on it already: it is asked to keep or withdraw


@dataclass(frozen=True)
class FlagsFollowed:
    """The contact's flags that changed with it, for the contact person's reply."""

    withdrawn: list[int] = field(default_factory=list)
    narrowed: list[int] = field(default_factory=list)
    asked: list[int] = field(default_factory=list)


async def follow_contact(uow: UnitOfWork, actor: Actor, contact: Contact) -> FlagsFollowed:
    """Bring the open flags the contact raised in line with what it says now (its problems;
    none once withdrawn). The caller checked the edit window and commits."""
    now_reported = set() if contact.status == ContactStatus.WITHDRAWN else set(contact.problems)
    flags = await uow.session.execute(
        select(RedFlag).where(
            RedFlag.contact_id == contact.id,
            RedFlag.source == FlagSource.GUARANTEE,
            RedFlag.status.in_(OPEN_FLAG_STATUSES),
        )
    )
    followed = FlagsFollowed()
    for flag in flags.scalars():
        remaining = [key for key in flag.problems if key in now_reported]
        if remaining == list(flag.problems):
            continue
        if remaining:
            _narrow(uow, actor, flag, remaining, contact.note)
            followed.narrowed.append(flag.id)
        elif await acted_on(uow, flag):
            await _ask_the_office(uow, actor, flag, contact)
            followed.asked.append(flag.id)
        else:
            await _withdraw(uow, actor, flag, contact, by_office=False)
            followed.withdrawn.append(flag.id)
    return followed


async def acted_on(uow: UnitOfWork, flag: RedFlag) -> bool:
    """Whether the town office or the village has worked on the flag beyond reading it: a
    measure in the household's plan for it, or a step towards its removal."""
    if flag.status == FlagStatus.REMOVAL_REQUESTED:
        return True
    measure = exists().where(AssistanceMeasure.flag_id == flag.id)
    step = exists().where(FlagStep.flag_id == flag.id)
    return bool((await uow.session.execute(select(measure | step))).scalar_one())


def _narrow(
    uow: UnitOfWork, actor: Actor, flag: RedFlag, remaining: Sequence[str], note: str | None
) -> None:
    before = {"problems": list(flag.problems), "reason": flag.reason}
    flag.problems = list(remaining)
    flag.reason = problem_reason(uow.settings, remaining, note)
    uow.audit_by(
        actor,
        "red_flag",
        flag.id,
        "narrow",
        {"before": before, "after": {"problems": flag.problems, "reason": flag.reason}},
    )


async def _ask_the_office(uow: UnitOfWork, actor: Actor, flag: RedFlag, contact: Contact) -> None:
    uow.audit_by(
        actor,
        "red_flag",
        flag.id,
        "retraction_asked",
        {"contact_id": contact.id, "contact_status": str(contact.status)},
    )
    # Keyed by the moment: a later change of the same contact asks again.
    await queue(
        uow,
        uow.settings,
        await office_of_household(uow, flag.household_id),
        f"flag:{flag.id}:retraction_asked:{uow.clock.now().isoformat()}",
        MessageKind.FLAG_RETRACTION_QUESTION,
        {"flag_id": flag.id, "by": actor.label, "contact_status": str(contact.status)},
        urgent=True,
    )


async def _withdraw(
    uow: UnitOfWork, actor: Actor, flag: RedFlag, contact: Contact | None, *, by_office: bool
) -> None:
    before = str(flag.status)
    flag.status = FlagStatus.WITHDRAWN
    flag.withdrawn_at = uow.clock.now()
    if by_office:
        why = "office_decided"
    elif contact is not None and contact.status == ContactStatus.WITHDRAWN:
        why = "contact_withdrawn"
    else:
        why = "contact_corrected"
    uow.audit_by(
        actor,
        "red_flag",
        flag.id,
        "withdraw",
        {"before": {"status": before}, "after": {"status": str(flag.status)}, "why": why},
    )
    if by_office:
        return  # the office pressed the button itself; its message is edited to say so
    await queue(
        uow,
        uow.settings,
        await office_of_household(uow, flag.household_id),
        f"flag:{flag.id}:withdrawn",
        MessageKind.FLAG_RETRACTED,
        {
            "flag_id": flag.id,
            "by": actor.label,
            "contact_status": str(contact.status if contact else ContactStatus.ACTIVE),
        },
        urgent=True,
    )


# ---- the town office's answer when asked ---------------------------------------------------

NO_LONGER_OPEN = N_("This red flag is no longer open: nothing to decide.")
STILL_REPORTED = N_(
    "The contact that raised this red flag still reports the problem: it stays open."
)


async def decide_retraction(app: App, actor: Actor, flag_id: int, withdraw: bool) -> FlagView:
    """The town office keeps, or withdraws, a flag whose contact was corrected or withdrawn
    after the office had acted on it. Audited either way."""
    require(actor, Act.DECIDE_RETRACTION)
    async with app.uow() as uow:
        flag, _household = await readable_flag(uow, actor, flag_id)
        if flag.status not in OPEN_FLAG_STATUSES:
            raise Conflict(NO_LONGER_OPEN)
        contact = await uow.session.get(Contact, flag.contact_id) if flag.contact_id else None
        if _still_reported(flag, contact):
            raise Conflict(STILL_REPORTED)
        if withdraw:
            await _withdraw(uow, actor, flag, contact, by_office=True)
        else:
            uow.audit_by(actor, "red_flag", flag.id, "keep", {})
        view = await flag_view(uow, flag.id)
        await uow.commit()
    assert view is not None
    return view


def _still_reported(flag: RedFlag, contact: Contact | None) -> bool:
    """Whether the contact that raised the flag reports one of its problems (again)."""
    return (
        contact is not None
        and contact.status == ContactStatus.ACTIVE
        and any(key in contact.problems for key in flag.problems)
    )


async def awaiting_retraction_answer(uow: UnitOfWork, flag: RedFlag) -> bool:
    """Whether the town office was asked to keep or withdraw this open flag and has not
    answered since (an answer to keep it is on record after the question), while its
    contact still does not report its problems: the question the dashboard's flag page
    offers again, beside the bot's message."""
    if flag.status not in OPEN_FLAG_STATUSES:
        return False
    last: dict[str, int] = {}
    entries = await uow.session.execute(
        select(AuditEntry.action, func.max(AuditEntry.id))
        .where(
            AuditEntry.entity == "red_flag",
            AuditEntry.entity_id == flag.id,
            AuditEntry.action.in_(("retraction_asked", "keep")),
        )
        .group_by(AuditEntry.action)
    )
    for action, entry_id in entries:
        last[action] = entry_id
    asked = last.get("retraction_asked")
    if asked is None or last.get("keep", 0) > asked:
        return False
    contact = await uow.session.get(Contact, flag.contact_id) if flag.contact_id else None
    return not _still_reported(flag, contact)
