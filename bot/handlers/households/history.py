"""📜 A household's history, from its card: every red flag with every step, the assistance
plan, roster changes with their meeting records, the last contacts; and the buttons for what
the reader's role may do (flags, measures; for the town office, roster changes)."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.flags.measures import MeasureType
from bot.core.households.history import HouseholdHistory, household_history
from bot.core.households.my_households import household_name
from bot.core.policy import Actor
from bot.core.roster.changes import ChangeKind
from bot.domain.model import (
    Category,
    ContactChannel,
    FlagStatus,
    HouseholdStatus,
    Role,
)
from bot.handlers.dialogs import unless_refused
from bot.handlers.households.my_households import findings, listing
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages.flag_notices import day, flag_lines
from bot.messages.keyboards import (
    FlagAction,
    FlagButton,
    HouseholdAct,
    HouseholdAction,
    inline_grid,
)
from bot.messages.rendering import split_text
from bot.storage.models import AssistanceMeasure, Household, HouseholdChange
from bot.storage.uow import App
from bot.text_preview import IN_LIST, preview

REASON_BUTTON_UNITS = 24  # of a flag's reason on its button (UTF-16 units)
CHANGE_LABELS = {
    ChangeKind.ADDED: N_("New household"),
    ChangeKind.CATEGORY: N_("Category changed"),
    ChangeKind.ADJUSTED_OUT: N_("Adjusted out"),
}
ROSTER_BUTTONS = (
    ("reassign", N_("👤 Reassign contact person")),
    ("category", N_("🔁 Change category")),
    ("adjust", N_("➖ Adjust out")),
)


def _value(value: str | None) -> str:
    if value is None:
        return "—"
    for enum in (Category, HouseholdStatus):
        try:
            return enum(value).label
        except ValueError:
            continue
    return value


def _change_line(change: HouseholdChange) -> str:
    kind = ChangeKind(change.kind)
    return "• " + _("{day} meeting: {kind} {old} → {new}: {reason}").format(
        day=day(change.meeting_on),
        kind=_(CHANGE_LABELS[kind]),
        old=_value(change.old_value),
        new=_value(change.new_value),
        reason=preview(change.reason, IN_LIST, one_line=True),
    )


def _measure_line(measure: AssistanceMeasure) -> str:
    kind = MeasureType(measure.kind).label
    what = preview(measure.what, IN_LIST, one_line=True)
    parts = [
        _("{kind}: {what}").format(kind=kind, what=what),
        preview(measure.responsible, IN_LIST, one_line=True),
    ]
    if measure.amount is not None:
        parts.append(_("{amount} yuan").format(amount=f"{measure.amount:,.2f}".removesuffix(".00")))
    if measure.deadline is not None:
        parts.append(_("by {day}").format(day=day(measure.deadline)))
    if measure.major_event:
        event = preview(measure.major_event, IN_LIST, one_line=True)
        parts.append(_("major event: {event}").format(event=event))
    return "• " + " · ".join(parts)


def render_history(
    history: HouseholdHistory, actor: Actor, app: App
) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    household, tz = history.household, app.settings.tz
    lines = [
        _("📜 {village} {household} · household number {number}").format(
            village=household.village.name,
            household=household_name(household),
            number=household.number,
        ),
        _("Category: {category}").format(category=Category(household.category).label),
        _("Status: {status}").format(status=HouseholdStatus(household.status).label),
        _("Contact person: {names}").format(
            names=listing(history.contact_persons) or _("none assigned")
        ),
        "",
        _("🚩 Red flags: {count}").format(count=len(history.flags)),
    ]
    for panel in history.flags:
        lines.append(f"— {day(app.clock.local_date(panel.flag.raised_at))}")
        lines += ["    " + line for line in flag_lines(panel, tz, in_list=True)]
    lines += ["", _("🤝 Assistance plan: {count} measures").format(count=len(history.measures))]
    lines += [_measure_line(measure) for measure in history.measures]
    if history.changes:
        lines += ["", _("📝 Roster changes:")]
        lines += [_change_line(change) for change in history.changes]
    lines += ["", _("📞 Last contacts:") if history.contacts else _("No contacts recorded yet.")]
    for line in history.contacts:
        contact = line.contact
        lines.append(
            _("• {day} {channel} · {name}: {found}").format(
                day=day(contact.occurred_on),
                channel=ContactChannel(contact.channel).label,
                name=line.person_name,
                found=findings(contact.problems),
            )
        )
    texts = split_text(lines)
    messages: list[tuple[str, InlineKeyboardMarkup | None]] = [(text, None) for text in texts]
    messages[-1] = (texts[-1], _buttons(history, actor))
    return messages


def _buttons(history: HouseholdHistory, actor: Actor) -> InlineKeyboardMarkup | None:
    household_id = history.household.id
    buttons: list[tuple[str, CallbackData | str]] = []
    for panel in history.flags:
        if panel.flag.status != FlagStatus.CLOSED:
            reason = preview(panel.flag.reason, REASON_BUTTON_UNITS, one_line=True)
            buttons.append(
                (f"🚩 {reason}", FlagAction(action=FlagButton.OPEN, flag_id=panel.flag.id))
            )
    plans = actor.role == Role.TOWN_OFFICE or (
        actor.role == Role.VILLAGE_ADMIN and actor.village_id == history.household.village_id
    )
    if plans:
        buttons.append(
            (
                _("➕ Add a measure"),
                HouseholdAction(action=HouseholdAct.MEASURE, household_id=household_id),
            )
        )
    if history.may_change_roster and history.household.status == HouseholdStatus.MONITORED:
        buttons += [
            (_(label), HouseholdAction(action=action, household_id=household_id))
            for action, label in ROSTER_BUTTONS
        ]
    return inline_grid(buttons, columns=2) if buttons else None


async def send_history(message: Message, app: App, actor: Actor, household_id: int) -> None:
    history = await household_history(app, actor, household_id)
    for text, markup in render_history(history, actor, app):
        await message.answer(text, reply_markup=markup)


async def offer_found(message: Message, app: App, actor: Actor, found: Sequence[Household]) -> None:
    """Households found by a search: the one's history at once, or a button for each."""
    if len(found) == 1:
        await send_history(message, app, actor, found[0].id)
        return
    buttons = [
        (
            f"{household.village.name} {household_name(household)}",
            HouseholdAction(action=HouseholdAct.HISTORY, household_id=household.id),
        )
        for household in found
    ]
    await message.answer(
        _("Households found: {count}. Tap one.").format(count=len(found)),
        reply_markup=inline_grid(buttons, columns=2),
    )


async def open_history(
    query: CallbackQuery, callback_data: HouseholdAction, app: App, actor: Actor
) -> None:
    if not isinstance(query.message, Message):
        await query.answer()
        return
    history = await unless_refused(query, household_history(app, actor, callback_data.household_id))
    if history is None:
        return
    await query.answer()
    for text, markup in render_history(history, actor, app):
        await query.message.answer(text, reply_markup=markup)


def build_router() -> Router:
    router = Router(name="household_history")
    router.callback_query.register(
        open_history, HouseholdAction.filter(F.action == HouseholdAct.HISTORY)
    )
    return router
