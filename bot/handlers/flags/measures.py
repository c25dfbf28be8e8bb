"""➕ Add a measure to a household's assistance plan (一户一方案): type, what, who is
responsible, amount, deadline, and for a 不享受政策 household's subsidy the major event; then
a confirm screen. Started from a flag's card or the household's history; runs in private."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.dates import parse_day
from bot.core.flags.acknowledgement import DEADLINE_CHOICES
from bot.core.flags.measures import (
    RESPONSIBLE_MAX_CHARS,
    MeasureType,
    add_measure,
    measure_target,
    parse_amount,
    validate_major_event,
    validate_responsible,
    validate_what,
)
from bot.core.flags.removal import FlagAct
from bot.core.policy import Actor
from bot.errors import DomainError
from bot.handlers.dialogs import (
    TYPE_A_DAY,
    TYPE_YUAN,
    Dialog,
    FormButton,
    answer_with_step,
    begin_in_private,
    finish_form,
    guard,
    not_saved,
    replace_pressed,
    save_and_cancel,
    unless_refused,
)
from bot.handlers.flags.removal import pressed_flag
from bot.handlers.households.my_households import HOUSEHOLD_HISTORY
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages.keyboards import FlagAction, HouseholdAct, HouseholdAction, RowId, inline_grid
from bot.storage.uow import App
from bot.telegram.filters import FreeText
from bot.text_preview import IN_FULL, IN_LIST, preview

ASK_WHAT = N_(
    "What will be done? Type it in a sentence (e.g. 申请大病医疗救助), at most {limit} characters."
)
ASK_RESPONSIBLE = N_(
    "Who is responsible? Type a name or an office (e.g. 镇民政办 李干事), at most {limit} "
    "characters."
)
ASK_AMOUNT = N_("The amount in yuan, if there is one (e.g. 3000). Or tap Skip.")
ASK_DEADLINE = N_("By when? Tap a choice, or type a date like 4月30日.")
ASK_EVENT = N_(
    "This household is lifted and no longer enjoys policies (不享受政策). A subsidy needs a "
    "major event: a major natural disaster or a major family crisis. Please describe it "
    "(at most {limit} characters)."
)
TYPE_AGAIN = N_("Please type it again, or /cancel.")


class MeasureForm(StatesGroup):
    kind = State()
    what = State()
    responsible = State()
    amount = State()
    deadline = State()
    event = State()
    confirm = State()


class MeasurePick(CallbackData, prefix="mk"):
    kind: str


class MeasureStep(CallbackData, prefix="ms"):
    action: FormButton
    days: RowId = 0


def _cancel() -> tuple[str, MeasureStep]:
    return _("✖️ Cancel"), MeasureStep(action=FormButton.CANCEL)


def kind_step(household: str) -> tuple[str, InlineKeyboardMarkup]:
    text = _("➕ A measure for {household}. Which kind?").format(household=household)
    buttons = [(kind.label, MeasurePick(kind=kind.value)) for kind in MeasureType]
    return text, inline_grid(buttons, columns=2, footer=[_cancel()])


def _skip_keyboard() -> InlineKeyboardMarkup:
    return inline_grid([(_("Skip"), MeasureStep(action=FormButton.SKIP)), _cancel()], columns=2)


def _deadline_keyboard() -> InlineKeyboardMarkup:
    buttons = [
        (_("⏱ {days} days").format(days=days), MeasureStep(action=FormButton.DAYS, days=days))
        for days in DEADLINE_CHOICES
    ]
    return inline_grid(
        buttons, columns=3, footer=[(_("No deadline"), MeasureStep(action=FormButton.SKIP))]
    )


def confirm_step(data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        _("Add this measure for {household}?").format(household=data["household"]),
        "",
        _("Kind: {kind}").format(kind=MeasureType(data["kind"]).label),
        _("What: {what}").format(what=preview(data["what"], IN_FULL)),
        _("Responsible: {who}").format(who=preview(data["responsible"], IN_LIST)),
        _("Amount: {amount}").format(amount=data.get("amount") or "—"),
        _("Deadline: {day}").format(day=data.get("deadline") or "—"),
    ]
    if data.get("major_event"):
        lines.append(_("Major event: {event}").format(event=preview(data["major_event"], IN_FULL)))
    buttons = [(_("✅ Save"), MeasureStep(action=FormButton.SAVE)), _cancel()]
    return "\n".join(lines), inline_grid(buttons, columns=2)


async def _start(
    query: CallbackQuery,
    app: App,
    actor: Actor,
    state: FSMContext,
    bot: Bot,
    household_id: int,
    flag_id: int | None,
) -> None:
    target = await unless_refused(query, measure_target(app, actor, household_id))
    if target is None:
        return
    data = {
        "household_id": target.household_id,
        "household": target.name,
        "no_policy": target.no_policy,
        "flag_id": flag_id,
    }
    text, markup = kind_step(target.name)
    await begin_in_private(query, state, bot, MeasureForm.kind, data, text, markup)


async def from_flag(
    query: CallbackQuery,
    callback_data: FlagAction,
    app: App,
    actor: Actor,
    state: FSMContext,
    bot: Bot,
) -> None:
    panel = await pressed_flag(query, app, actor, callback_data)
    if panel is None:
        return
    await _start(query, app, actor, state, bot, panel.household.id, panel.flag.id)


async def from_household(
    query: CallbackQuery,
    callback_data: HouseholdAction,
    app: App,
    actor: Actor,
    state: FSMContext,
    bot: Bot,
) -> None:
    await _start(query, app, actor, state, bot, callback_data.household_id, None)


async def kind_picked(
    query: CallbackQuery, callback_data: MeasurePick, app: App, state: FSMContext
) -> None:
    await query.answer()
    if callback_data.kind not in set(MeasureType):
        return
    await state.update_data(kind=callback_data.kind)
    await state.set_state(MeasureForm.what)
    ask = _(ASK_WHAT).format(limit=app.settings.note_max_chars)
    await replace_pressed(query, f"{MeasureType(callback_data.kind).label}\n\n{ask}", None)


# Each typed answer is checked by the rule add_measure applies, as soon as it is typed: a text
# over its limit is refused here, with the limit, not at the end (nor echoed back in full).
async def _checked(message: Message, rule: Callable[[str | None], str]) -> str | None:
    """The typed text as `rule` accepts it, or None once the person is told why not and
    asked to type it again."""
    try:
        return rule(message.text)
    except DomainError as error:
        await message.answer(error.render() + "\n" + _(TYPE_AGAIN))
        return None


async def what_typed(message: Message, app: App, state: FSMContext) -> None:
    what = await _checked(message, partial(validate_what, app.settings))
    if what is None:
        return
    await state.update_data(what=what)
    await state.set_state(MeasureForm.responsible)
    await message.answer(_(ASK_RESPONSIBLE).format(limit=RESPONSIBLE_MAX_CHARS))


async def responsible_typed(message: Message, state: FSMContext) -> None:
    responsible = await _checked(message, validate_responsible)
    if responsible is None:
        return
    await state.update_data(responsible=responsible)
    await state.set_state(MeasureForm.amount)
    await message.answer(_(ASK_AMOUNT), reply_markup=_skip_keyboard())


async def amount_typed(message: Message, state: FSMContext) -> None:
    try:
        amount = parse_amount(message.text or "")
    except DomainError as error:
        await message.answer(error.render(), reply_markup=_skip_keyboard())
        return
    await state.update_data(amount=str(amount))
    await state.set_state(MeasureForm.deadline)
    await message.answer(_(ASK_DEADLINE), reply_markup=_deadline_keyboard())


async def amount_skipped(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await state.set_state(MeasureForm.deadline)
    await replace_pressed(query, _(ASK_DEADLINE), _deadline_keyboard())


async def deadline_typed(message: Message, app: App, state: FSMContext) -> None:
    try:
        day = parse_day(message.text or "", app.clock.today())
    except DomainError as error:
        await message.answer(error.render(), reply_markup=_deadline_keyboard())
        return
    await _after_deadline(message, app, state, day.isoformat())


async def deadline_picked(
    query: CallbackQuery, callback_data: MeasureStep, app: App, state: FSMContext
) -> None:
    await query.answer()
    day = None
    if callback_data.action == FormButton.DAYS and callback_data.days in DEADLINE_CHOICES:
        day = (app.clock.today() + timedelta(days=callback_data.days)).isoformat()
    if isinstance(query.message, Message):
        await _after_deadline(query.message, app, state, day)


async def _after_deadline(message: Message, app: App, state: FSMContext, day: str | None) -> None:
    data = await state.update_data(deadline=day)
    if data["no_policy"] and MeasureType(data["kind"]).is_subsidy:
        await state.set_state(MeasureForm.event)
        await message.answer(_(ASK_EVENT).format(limit=app.settings.note_max_chars))
        return
    await answer_with_step(message, state, MeasureForm.confirm, confirm_step)


async def event_typed(message: Message, app: App, state: FSMContext) -> None:
    try:  # no event typed (spaces only) is None here, and refused on saving
        major_event = validate_major_event(app.settings, message.text)
    except DomainError as error:
        await message.answer(error.render() + "\n" + _(TYPE_AGAIN))
        return
    await answer_with_step(
        message, state, MeasureForm.confirm, confirm_step, major_event=major_event
    )


async def save(query: CallbackQuery, app: App, actor: Actor, state: FSMContext) -> None:
    data = await finish_form(state)
    try:
        await add_measure(
            app,
            actor,
            data["household_id"],
            data["kind"],
            data["what"],
            data["responsible"],
            amount=Decimal(data["amount"]) if data.get("amount") else None,
            deadline=date.fromisoformat(data["deadline"]) if data.get("deadline") else None,
            major_event=data.get("major_event"),
            flag_id=data.get("flag_id"),
        )
    except DomainError as error:
        await query.answer()
        await not_saved(query, error)
        return
    await query.answer(_("Saved."))
    await replace_pressed(
        query,
        _("✅ Measure added to the plan of {household}.").format(household=data["household"]),
        inline_grid(
            [
                (
                    _(HOUSEHOLD_HISTORY),
                    HouseholdAction(action=HouseholdAct.HISTORY, household_id=data["household_id"]),
                )
            ]
        ),
    )


def step_screen(
    step: str | None, data: dict[str, Any], app: App
) -> tuple[str, InlineKeyboardMarkup | None]:
    """What the form asks at `step`, as it asked it first."""
    limit = app.settings.note_max_chars
    screens: dict[str, tuple[str, InlineKeyboardMarkup | None]] = {
        MeasureForm.what.state: (_(ASK_WHAT).format(limit=limit), None),
        MeasureForm.responsible.state: (
            _(ASK_RESPONSIBLE).format(limit=RESPONSIBLE_MAX_CHARS),
            None,
        ),
        MeasureForm.amount.state: (_(ASK_AMOUNT), _skip_keyboard()),
        MeasureForm.deadline.state: (_(ASK_DEADLINE), _deadline_keyboard()),
        MeasureForm.event.state: (_(ASK_EVENT).format(limit=limit), None),
    }
    if step == MeasureForm.confirm.state:
        return confirm_step(data)
    return screens.get(step or "") or kind_step(data["household"])


async def step_again(message: Message, state: FSMContext, app: App, lead: str) -> None:
    text, markup = step_screen(await state.get_state(), await state.get_data(), app)
    await message.answer(f"{lead}\n\n{text}", reply_markup=markup)


DIALOG = Dialog(
    states=MeasureForm,
    buttons=(MeasureStep, MeasurePick),
    show_again=step_again,
    typed=(MeasureForm.what, MeasureForm.responsible, MeasureForm.event),
    hints={MeasureForm.amount.state: TYPE_YUAN, MeasureForm.deadline.state: TYPE_A_DAY},
)


def build_router() -> Router:
    router = Router(name="measure_form")
    router.callback_query.register(from_flag, FlagAction.filter(F.action == FlagAct.ADD_MEASURE))
    router.callback_query.register(
        from_household, HouseholdAction.filter(F.action == HouseholdAct.MEASURE)
    )
    router.callback_query.register(kind_picked, StateFilter(MeasureForm.kind), MeasurePick.filter())
    router.message.register(what_typed, StateFilter(MeasureForm.what), FreeText())
    router.message.register(responsible_typed, StateFilter(MeasureForm.responsible), FreeText())
    router.message.register(amount_typed, StateFilter(MeasureForm.amount), FreeText())
    router.callback_query.register(
        amount_skipped,
        StateFilter(MeasureForm.amount),
        MeasureStep.filter(F.action == FormButton.SKIP),
    )
    router.message.register(deadline_typed, StateFilter(MeasureForm.deadline), FreeText())
    router.callback_query.register(
        deadline_picked,
        StateFilter(MeasureForm.deadline),
        MeasureStep.filter(F.action.in_({FormButton.DAYS, FormButton.SKIP})),
    )
    router.message.register(event_typed, StateFilter(MeasureForm.event), FreeText())
    save_and_cancel(router, MeasureStep, MeasureForm.confirm, save)
    guard(router, DIALOG)
    return router
