"""How a red flag's card and its removal notices read (销号流程), and their buttons.

The card shows the flag, who raised and acknowledged it, every removal step, and one button
per act the reader's role allows now. The notices (a removal request for the town office, a
decision for the village and the contact persons) are rendered when sent, so a request the
town has already reviewed is not announced again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot.clock import local_minute
from bot.core.flags import removal as flag_lifecycle
from bot.core.flags.acknowledgement import flag_view
from bot.core.flags.removal import FlagAct, FlagPanel, StepKind
from bot.core.households.my_households import household_name
from bot.domain.model import FlagSource, FlagStatus
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages.keyboards import (
    FlagAction,
    FlagButton,
    HouseholdAct,
    HouseholdAction,
    inline_grid,
)
from bot.messages.rendering import OutgoingMessage
from bot.storage.models import FlagStep, OutboxMessage
from bot.storage.uow import UnitOfWork
from bot.text_preview import IN_FULL, IN_LIST, NAME, preview

ACT_LABELS: dict[FlagAct, str] = {
    FlagAct.ACKNOWLEDGE: N_("✅ Acknowledge"),
    FlagAct.ADD_MEASURE: N_("➕ Add a measure"),
    FlagAct.REQUEST_REMOVAL: N_("📝 Request removal"),
    FlagAct.APPROVE: N_("👍 Approve removal"),
    FlagAct.REJECT: N_("↩️ Reject removal"),
    FlagAct.COUNTY_DECISION: N_("🏛 Record county decision"),
}
HISTORY_BUTTON = N_("📜 Household history")
DETAILS_BUTTON = N_("📋 Details")
# A flag asked to be removed and rejected again and again gathers steps without end: a card
# shows the latest ones; the household's history shows them all.
CARD_STEPS = 6


def day(value: date | None) -> str:
    return value.isoformat() if value else "—"


def flag_status_text(panel: FlagPanel) -> str:
    if panel.awaiting_county:
        return _("Town approved removal; awaiting the county's decision")
    if panel.flag.status == FlagStatus.REMOVAL_REQUESTED:
        return _("Removal requested; awaiting the town's review")
    return FlagStatus(panel.flag.status).label


def step_line(step: FlagStep, tz: ZoneInfo) -> str:
    when, who = local_minute(step.at, tz), preview(step.actor_label, NAME, one_line=True)
    if step.kind == StepKind.REMOVAL_REQUESTED:
        text = _("{when} {who} requested removal: {reason}")
    elif step.kind == StepKind.REMOVAL_APPROVED:
        text = _("{when} {who} approved the removal")
    elif step.kind == StepKind.REMOVAL_REJECTED:
        text = _("{when} {who} rejected the removal: {reason}")
    else:
        text = _("{when} {who} recorded the county's decision of {day}, {document}: closed")
    return "• " + text.format(
        when=when,
        who=who,
        reason=preview(step.reason, IN_LIST, one_line=True),
        day=day(step.decided_on),
        document=preview(step.document, IN_LIST, one_line=True),
    )


def flag_lines(
    panel: FlagPanel, tz: ZoneInfo, *, in_list: bool = False, last_steps: int | None = None
) -> list[str]:
    """The flag and its way so far: for its card (the reason at length, the `last_steps`
    latest steps) and, `in_list`, for the household's history (every step, the reason on one
    short line among the other flags)."""
    flag, view = panel.flag, panel.view
    source = FlagSource(flag.source).label
    reason = (
        preview(flag.reason, IN_LIST, one_line=True) if in_list else preview(flag.reason, IN_FULL)
    )
    lines = [
        _("Reason: {reason}").format(reason=reason),
        _("Source: {source}").format(
            source=f"{source} · {preview(view.raised_by, NAME)}" if view.raised_by else source
        ),
        _("Raised: {when}").format(when=local_minute(flag.raised_at, tz)),
        _("Status: {status}").format(status=flag_status_text(panel)),
    ]
    if flag.acknowledged_at is not None:
        lines.append(
            _("✅ Acknowledged by {name}, {when}").format(
                name=preview(view.acknowledged_by, NAME) or "—",
                when=local_minute(flag.acknowledged_at, tz),
            )
        )
    if flag.deadline is not None and flag.status != FlagStatus.CLOSED:
        lines.append(
            _("⏱ Deadline to remove the risk: {deadline}").format(deadline=day(flag.deadline))
        )
    steps = panel.steps
    if last_steps is not None and len(steps) > last_steps:
        lines.append(
            _("… {count} earlier steps: see 📜 Household history.").format(
                count=len(steps) - last_steps
            )
        )
        steps = steps[-last_steps:]
    lines += [step_line(step, tz) for step in steps]
    return lines


def flag_card(panel: FlagPanel, tz: ZoneInfo) -> tuple[str, InlineKeyboardMarkup]:
    household = panel.household
    lines = [
        _("🚩 Red flag · {village} {household}").format(
            village=household.village.name, household=household_name(household)
        ),
        *flag_lines(panel, tz, last_steps=CARD_STEPS),
    ]
    if panel.next_step is not None:
        lines.append(_(panel.next_step))
    buttons: list[tuple[str, CallbackData | str]] = [
        (_(ACT_LABELS[act]), FlagAction(action=act, flag_id=panel.flag.id)) for act in panel.acts
    ]
    buttons.append(
        (_(HISTORY_BUTTON), HouseholdAction(action=HouseholdAct.HISTORY, household_id=household.id))
    )
    return "\n".join(lines), inline_grid(buttons, columns=2)


async def village_flag(uow: UnitOfWork, row: OutboxMessage, language: str) -> list[OutgoingMessage]:
    """A village admin told of a flag in their village: what it is, and their part in it."""
    view = await flag_view(uow, row.payload["flag_id"])
    if view is None or not view.is_open:
        return []  # withdrawn or closed before it could be sent: nothing to act on
    household = view.household
    source = FlagSource(view.flag.source).label
    text = "\n".join(
        [
            _("🚩 A household in your village was red-flagged: {village} {household}").format(
                village=household.village.name, household=household_name(household)
            ),
            _("Reason: {reason}").format(reason=preview(view.flag.reason, IN_FULL)),
            _("Source: {source}").format(
                source=f"{source} · {preview(view.raised_by, NAME)}" if view.raised_by else source
            ),
            "",
            _(
                "The town office has been alerted and will set a deadline. Please help the "
                "household; once the risk is gone, open the flag and request its removal."
            ),
        ]
    )
    keyboard = inline_grid(
        [(_(DETAILS_BUTTON), FlagAction(action=FlagButton.OPEN, flag_id=view.flag.id))]
    )
    return [OutgoingMessage(text, keyboard)]


StepNotice = Callable[[FlagPanel, FlagStep, ZoneInfo], list[OutgoingMessage]]


def _about_a_step(
    notice: StepNotice,
) -> Callable[[UnitOfWork, OutboxMessage, str], Awaitable[list[OutgoingMessage]]]:
    """The renderer of a notice about one step of a red flag (its payload's flag_id and
    step_id), read afresh; nothing when the flag or the step is gone."""

    async def render(uow: UnitOfWork, row: OutboxMessage, language: str) -> list[OutgoingMessage]:
        view = await flag_view(uow, row.payload["flag_id"])
        step = await uow.session.get(FlagStep, row.payload["step_id"])
        if view is None or step is None:
            return []
        steps = await flag_lifecycle.steps_of(uow, [view.flag.id])
        return notice(FlagPanel(view, steps, []), step, uow.clock.tz)

    return render


@_about_a_step
def removal_request(panel: FlagPanel, step: FlagStep, tz: ZoneInfo) -> list[OutgoingMessage]:
    # Reviewed (or asked again) before this was sent: the newer state speaks for itself.
    if panel.flag.status != FlagStatus.REMOVAL_REQUESTED or panel.steps[-1].id != step.id:
        return []
    household = panel.household
    text = "\n".join(
        [
            _("📝 {village} asks to remove the red flag on {household}.").format(
                village=household.village.name, household=household_name(household)
            ),
            *flag_lines(panel, tz, last_steps=CARD_STEPS),
            "",
            _("Please approve or reject it."),
        ]
    )
    buttons: list[tuple[str, CallbackData | str]] = [
        (_(ACT_LABELS[act]), FlagAction(action=act, flag_id=panel.flag.id))
        for act in (FlagAct.APPROVE, FlagAct.REJECT)
    ]
    buttons.append(
        (_(HISTORY_BUTTON), HouseholdAction(action=HouseholdAct.HISTORY, household_id=household.id))
    )
    return [OutgoingMessage(text, inline_grid(buttons, columns=2))]


@_about_a_step
def flag_decision(panel: FlagPanel, step: FlagStep, tz: ZoneInfo) -> list[OutgoingMessage]:
    household = household_name(panel.household)
    village = panel.household.village.name
    if step.kind == StepKind.REMOVAL_APPROVED:
        text = _(
            "👍 The town office approved removing the red flag on {village} {household}. "
            "The county will decide."
        )
    elif step.kind == StepKind.REMOVAL_REJECTED:
        text = _(
            "↩️ The town office did not approve removing the red flag on {village} {household}: "
            "{reason}\nThe flag stays open; please keep helping the household."
        )
    else:
        text = _(
            "✅ The red flag on {village} {household} is closed (销号): county decision of "
            "{day}, {document}."
        )
    message = text.format(
        village=village,
        household=household,
        reason=preview(step.reason, IN_FULL),
        day=day(step.decided_on),
        document=preview(step.document, IN_LIST, one_line=True),
    )
    keyboard = inline_grid(
        [(_(DETAILS_BUTTON), FlagAction(action=FlagButton.OPEN, flag_id=panel.flag.id))]
    )
    return [OutgoingMessage(message, keyboard)]
