"""🚩 Report a risk: pick the household's risk (or type it), confirm, and the town office is
alerted. Two steps: the reason, then a confirm screen."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.flags.raising import report_risk, validate_reason
from bot.core.households.my_households import household_line, household_name
from bot.core.policy import Actor
from bot.domain.validation import COVID_RISK, RISK_TYPE_BY_CODE
from bot.errors import DomainError
from bot.handlers.dialogs import (
    Dialog,
    FormButton,
    OfTheOpenForm,
    answer_with_step,
    guard,
    replace_pressed,
    unless_refused,
)
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages.keyboards import HouseholdAct, HouseholdAction, RowId, inline_grid
from bot.storage.uow import App
from bot.telegram.filters import FreeText
from bot.text_preview import IN_FULL, preview


@dataclass(frozen=True)
class RiskChoice:
    emoji: str
    label: str  # msgid, shown in the reporter's language
    recorded_as: str  # the 风险类型 name the roster uses, so the town reads one vocabulary


# The national risk types a contact person meets most (by national code), plus the notice's
# COVID-19 impact. Anything else (99 其他) the reporter types in their own words.
RISK_CHOICES: dict[str, RiskChoice] = {
    "01": RiskChoice("🏥", N_("Illness in the family"), RISK_TYPE_BY_CODE["01"]),
    "03": RiskChoice("♿", N_("Disability in the family"), RISK_TYPE_BY_CODE["03"]),
    "09": RiskChoice("🎒", N_("Schooling costs"), RISK_TYPE_BY_CODE["09"]),
    "02": RiskChoice("🌊", N_("Natural disaster"), RISK_TYPE_BY_CODE["02"]),
    "04": RiskChoice("👐", N_("Lack of labour"), RISK_TYPE_BY_CODE["04"]),
    "05": RiskChoice("🚑", N_("Accident or injury"), RISK_TYPE_BY_CODE["05"]),
    "06": RiskChoice("🌾", N_("Failed farming or business"), RISK_TYPE_BY_CODE["06"]),
    "07": RiskChoice("🧰", N_("Unstable work"), RISK_TYPE_BY_CODE["07"]),
    "covid": RiskChoice("😷", N_("COVID-19 impact"), COVID_RISK),
}
OTHER = "99"
OTHER_LABEL = N_("✏️ Something else (type it)")


class ReportRisk(StatesGroup):
    reason = State()
    confirm = State()


# Both carry the household the report is for: a button from an older report, pressed while
# another is open, must not report the household of the open one.
class RiskReason(CallbackData, prefix="rr"):
    household_id: RowId
    code: str


class RiskStep(CallbackData, prefix="rs"):
    household_id: RowId
    action: FormButton


def _cancel_button(household_id: int) -> tuple[str, RiskStep]:
    return _("✖️ Cancel"), RiskStep(household_id=household_id, action=FormButton.CANCEL)


def reason_step(household_id: int, household: str, limit: int) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "🚩 Report a risk for {household}.\n"
        "What is the risk? Tap one below, or type it in your own words "
        "(at most {limit} characters)."
    ).format(household=household, limit=limit)
    buttons = [
        (f"{choice.emoji} {_(choice.label)}", RiskReason(household_id=household_id, code=code))
        for code, choice in RISK_CHOICES.items()
    ]
    buttons.append((_(OTHER_LABEL), RiskReason(household_id=household_id, code=OTHER)))
    return text, inline_grid(buttons, columns=2, footer=[_cancel_button(household_id)])


def _shown_reason(data: dict[str, Any]) -> str:
    code = data.get("risk_code")
    return _(RISK_CHOICES[code].label) if code else preview(data["reason"], IN_FULL)


def _recorded_reason(data: dict[str, Any]) -> str:
    code = data.get("risk_code")
    return RISK_CHOICES[code].recorded_as if code else data["reason"]


def confirm_step(data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    """The confirm screen for the form's data (household, and a picked or typed reason)."""
    household, reason = data["household"], _shown_reason(data)
    text = _(
        "Report this risk for {household}?\n\n{reason}\n\nThe town office will be alerted at once."
    ).format(household=household, reason=reason)
    household_id = data["household_id"]
    buttons = [
        (_("✅ Report it"), RiskStep(household_id=household_id, action=FormButton.REPORT)),
        _cancel_button(household_id),
    ]
    return text, inline_grid(buttons, columns=2)


def _reason_step(data: dict[str, Any], app: App) -> tuple[str, InlineKeyboardMarkup]:
    return reason_step(data["household_id"], data["household"], app.settings.note_max_chars)


async def _send(message: Message, screen: tuple[str, InlineKeyboardMarkup]) -> None:
    text, markup = screen
    await message.answer(text, reply_markup=markup)


async def start_report(
    query: CallbackQuery, callback_data: HouseholdAction, app: App, actor: Actor, state: FSMContext
) -> None:
    line = await unless_refused(query, household_line(app, actor, callback_data.household_id))
    if line is None:
        return
    household = household_name(line)
    await state.set_state(ReportRisk.reason)
    await state.set_data({"household_id": line.household_id, "household": household})
    await query.answer()
    if isinstance(query.message, Message):
        await _send(
            query.message, reason_step(line.household_id, household, app.settings.note_max_chars)
        )


async def reason_picked(query: CallbackQuery, callback_data: RiskReason, state: FSMContext) -> None:
    await query.answer()
    if callback_data.code == OTHER:
        await state.set_state(ReportRisk.reason)
        if isinstance(query.message, Message):
            await query.message.answer(_("Please type what the risk is, in a few words."))
        return
    if callback_data.code not in RISK_CHOICES:
        return
    data = await state.update_data(risk_code=callback_data.code, reason=None)
    await state.set_state(ReportRisk.confirm)
    await replace_pressed(query, *confirm_step(data))


async def reason_typed(message: Message, app: App, state: FSMContext) -> None:
    data = await state.get_data()
    try:
        reason = validate_reason(app.settings, message.text or "")
    except DomainError as error:
        await message.answer(error.render())
        await _send(message, _reason_step(data, app))
        return
    await answer_with_step(
        message, state, ReportRisk.confirm, confirm_step, risk_code=None, reason=reason
    )


async def step_again(message: Message, state: FSMContext, app: App, lead: str) -> None:
    """The hint, then the step again with its buttons."""
    data = await state.get_data()
    await message.answer(lead)
    confirming = await state.get_state() == ReportRisk.confirm.state
    await _send(message, confirm_step(data) if confirming else _reason_step(data, app))


DIALOG = Dialog(
    states=ReportRisk,
    buttons=(RiskReason, RiskStep),
    show_again=step_again,
    hints={
        ReportRisk.reason.state: N_("Please tap a risk below, or type it as text."),
        ReportRisk.confirm.state: N_("Please tap ✅ Report it or ✖️ Cancel."),
    },
)
# A button from an older report, pressed while another is open, does not act on the open one.
THIS_REPORT = OfTheOpenForm("household_id", "household_id")


async def report_confirmed(
    query: CallbackQuery, callback_data: RiskStep, app: App, actor: Actor, state: FSMContext
) -> None:
    data = await state.get_data()
    flag = await unless_refused(
        query, report_risk(app, actor, data["household_id"], _recorded_reason(data))
    )
    await state.clear()  # reported or refused, the form is over
    if flag is None:
        return
    await query.answer()
    await replace_pressed(
        query,
        _("🚩 Reported for {household}: {reason}\nThe town office has been alerted.").format(
            household=data["household"], reason=_shown_reason(data)
        ),
        None,
    )


async def report_cancelled(
    query: CallbackQuery, callback_data: RiskStep, state: FSMContext
) -> None:
    await state.clear()
    await query.answer()
    await replace_pressed(query, _("Cancelled. No risk was reported."), None)


def build_router() -> Router:
    router = Router(name="risk")
    router.callback_query.register(
        start_report, HouseholdAction.filter(F.action == HouseholdAct.RISK)
    )
    router.callback_query.register(
        reason_picked,
        StateFilter(ReportRisk.reason, ReportRisk.confirm),
        RiskReason.filter(),
        THIS_REPORT,
    )
    router.message.register(reason_typed, StateFilter(ReportRisk.reason), FreeText())
    router.callback_query.register(
        report_confirmed,
        StateFilter(ReportRisk.confirm),
        RiskStep.filter(F.action == FormButton.REPORT),
        THIS_REPORT,
    )
    router.callback_query.register(
        report_cancelled,
        StateFilter(ReportRisk.reason, ReportRisk.confirm),
        RiskStep.filter(F.action == FormButton.CANCEL),
        THIS_REPORT,
    )
    guard(router, DIALOG)
    return router
