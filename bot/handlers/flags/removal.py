"""A red flag's card and its way to removal (销号): /flags lists the open ones; the card's
buttons request removal (village admin), approve or reject it, and record the county's
decision (town office). Typed steps continue in the presser's private chat."""

from __future__ import annotations

from datetime import date

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.core.dates import parse_day
from bot.core.flags import removal as flag_lifecycle
from bot.core.flags.removal import FlagAct, FlagPanel
from bot.core.households.my_households import household_name
from bot.core.policy import Actor
from bot.domain.text_rules import DOCUMENT_MAX_CHARS
from bot.errors import DomainError, InvalidInput
from bot.handlers.dialogs import (
    Dialog,
    FormButton,
    OfTheOpenForm,
    begin_in_private,
    guard,
    unless_refused,
)
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages.flag_notices import flag_card, flag_status_text
from bot.messages.keyboards import FlagAction, FlagButton, RowId, inline_grid
from bot.storage.uow import App
from bot.telegram.filters import FreeText

LIST_LIMIT = 40  # buttons in one message; the town rarely has more flags open
PROMPTS = {
    FlagAct.REQUEST_REMOVAL: N_(
        "📝 Request removal of the red flag on {household}.\n"
        "Why is the risk gone? (e.g. income stable above the line for six months, "
        "the six guarantees secured). Type it below, at most {limit} characters, or /cancel."
    ),
    FlagAct.REJECT: N_(
        "↩️ Reject the removal for {household}.\n"
        "Please type the reason (at most {limit} characters), or /cancel."
    ),
    FlagAct.COUNTY_DECISION: N_(
        "🏛 The county's decision for {household}.\n"
        "Type the decision date and the document number (at most {limit} characters), like:\n"
        "{example} 霍政〔2026〕12号\nor /cancel."
    ),
}


class FlagStepForm(StatesGroup):
    text = State()
    county_confirm = State()  # the county's decision as it will be recorded, before closing


class CountyPress(CallbackData, prefix="cty"):
    """The buttons under the county decision's confirm screen."""

    flag_id: RowId
    step: FormButton  # SAVE records it and closes the flag, CANCEL stops


async def pressed_flag(
    query: CallbackQuery, app: App, actor: Actor, press: FlagAction
) -> FlagPanel | None:
    """The pressed button's red flag as the presser may see and act on it, or None once they
    are told why not."""
    return await unless_refused(query, flag_lifecycle.flag_panel(app, actor, press.flag_id))


def _name(panel: FlagPanel) -> str:
    return f"{panel.household.village.name} {household_name(panel.household)}"


async def list_open_flags(message: Message, app: App, actor: Actor) -> None:
    panels = await flag_lifecycle.open_flag_panels(app, actor)
    if not panels:
        await message.answer(_("No open red flags you can see. 👍"))
        return
    shown = panels[:LIST_LIMIT]
    buttons = [
        (
            f"🚩 {_name(panel)} · {flag_status_text(panel)}",
            FlagAction(action=FlagButton.OPEN, flag_id=panel.flag.id),
        )
        for panel in shown
    ]
    text = _("🚩 Open red flags: {count}. Tap one to see it and act on it.").format(
        count=len(panels)
    )
    await message.answer(text, reply_markup=inline_grid(buttons))


async def open_flag(
    query: CallbackQuery, callback_data: FlagAction, app: App, actor: Actor
) -> None:
    panel = await pressed_flag(query, app, actor, callback_data)
    if panel is None:
        return
    await query.answer()
    if isinstance(query.message, Message):
        text, markup = flag_card(panel, app.settings.tz)
        await query.message.answer(text, reply_markup=markup)


async def approve(query: CallbackQuery, callback_data: FlagAction, app: App, actor: Actor) -> None:
    try:
        await flag_lifecycle.review_removal(app, actor, callback_data.flag_id, approve=True)
        panel = await flag_lifecycle.flag_panel(app, actor, callback_data.flag_id)
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)
        return
    await query.answer(_("Approved."))
    if isinstance(query.message, Message):
        await query.message.answer(
            _(
                "👍 {name} approved removing the red flag on {household}. Record the county's "
                "decision when it comes."
            ).format(name=actor.name, household=_name(panel)),
        )
        text, markup = flag_card(panel, app.settings.tz)
        await query.message.answer(text, reply_markup=markup)


async def ask_for_text(
    query: CallbackQuery,
    callback_data: FlagAction,
    app: App,
    actor: Actor,
    state: FSMContext,
    bot: Bot,
) -> None:
    act = FlagAct(callback_data.action)
    panel = await pressed_flag(query, app, actor, callback_data)
    if panel is None:
        return
    if act not in panel.acts:
        await query.answer(_("You cannot do that with this red flag now."), show_alert=True)
        return
    limit = DOCUMENT_MAX_CHARS if act == FlagAct.COUNTY_DECISION else app.settings.note_max_chars
    text = _(PROMPTS[act]).format(household=_name(panel), limit=limit, example=_example_day(app))
    data = {"flag_id": panel.flag.id, "act": act.value, "household": _name(panel)}
    await begin_in_private(query, state, bot, FlagStepForm.text, data, text)


async def text_typed(message: Message, app: App, actor: Actor, state: FSMContext) -> None:
    data = await state.get_data()
    act, flag_id, typed = FlagAct(data["act"]), data["flag_id"], message.text or ""
    try:
        if act == FlagAct.REQUEST_REMOVAL:
            await flag_lifecycle.request_removal(app, actor, flag_id, typed)
            done = _("📝 Removal requested for {household}. The town office will review it.")
        elif act == FlagAct.REJECT:
            await flag_lifecycle.review_removal(app, actor, flag_id, approve=False, reason=typed)
            done = _("↩️ Removal rejected for {household}; the flag is open again.")
        else:
            await _county_typed(message, app, actor, state, typed)
            return
    except InvalidInput as error:
        await message.answer(error.render() + "\n" + _("Please type it again, or /cancel."))
        return
    except DomainError as error:
        await state.clear()
        await message.answer(error.render())
        return
    await state.clear()
    await message.answer(done.format(household=data["household"]))
    panel = await flag_lifecycle.flag_panel(app, actor, flag_id)
    text, markup = flag_card(panel, app.settings.tz)
    await message.answer(text, reply_markup=markup)


async def _county_typed(
    message: Message, app: App, actor: Actor, state: FSMContext, typed: str
) -> None:
    """A line of the county's decision: the date, the document number, or both. What is
    still missing is asked for, what was typed before is kept, and once both are there the
    confirm screen shows what will be recorded. Typed again at the confirm screen, a line
    replaces what it names."""
    data = await state.get_data()
    day_text, document = _split_decision(typed, app)
    if day_text is not None:
        try:  # a day that cannot be true is refused at once, not after the document number
            await flag_lifecycle.check_county_decision_day(
                app, actor, data["flag_id"], date.fromisoformat(day_text)
            )
        except InvalidInput as error:
            if document:
                await state.update_data(document=document)
            await message.answer(
                error.render() + "\n" + _("Please type the date again, or /cancel.")
            )
            return
        data["day"] = day_text
    if document:
        data["document"] = document
    await state.update_data(day=data.get("day"), document=data.get("document"))
    if not data.get("day"):
        await message.answer(
            _(
                "Please type the decision date first, e.g. {example}, then the document number."
            ).format(example=_example_day(app))
        )
        return
    if not data.get("document"):
        await message.answer(
            _(
                "Decision date {day}. Now type the document number (at most {limit} "
                "characters), e.g. 霍政〔2026〕12号."
            ).format(day=data["day"], limit=DOCUMENT_MAX_CHARS)
        )
        return
    decided_on = date.fromisoformat(data["day"])
    try:
        shown = await flag_lifecycle.check_county_decision(
            app, actor, data["flag_id"], decided_on, data["document"]
        )
    except InvalidInput as error:
        await state.update_data(day=None)  # the date is what the rules refuse
        await message.answer(error.render() + "\n" + _("Please type the date again, or /cancel."))
        return
    await state.set_state(FlagStepForm.county_confirm)
    text = "\n".join(
        [
            _("🏛 Please check the county's decision for {household}:").format(
                household=data["household"]
            ),
            _("Decision date: {day}").format(day=decided_on.isoformat()),
            _("Document number: {document}").format(document=shown),
            _("Recording it closes the red flag (销号). To change something, type it again."),
        ]
    )
    buttons = [
        (_("✅ Record and close"), CountyPress(flag_id=data["flag_id"], step=FormButton.SAVE)),
        (_("✖ Cancel"), CountyPress(flag_id=data["flag_id"], step=FormButton.CANCEL)),
    ]
    await message.answer(text, reply_markup=inline_grid(buttons, columns=2))


def _example_day(app: App) -> str:
    """Today as people write it: an example the date check always accepts (a decision on
    the day it is entered), unlike a fixed day that may predate the flag."""
    today = app.clock.today()
    return _("{month}-{day}").format(month=today.month, day=today.day)


def _split_decision(typed: str, app: App) -> tuple[str | None, str]:
    """(the day as ISO, if the line starts with one; the rest, the document number). A line
    that is not a date at all is all document number: "霍政〔2026〕12号" typed on its own."""
    first, *rest = typed.split(maxsplit=1) or [""]  # a space or a new line between them
    try:
        day = parse_day(first, app.clock.today())
    except InvalidInput:
        return None, typed.strip()
    return day.isoformat(), " ".join(rest).strip()


async def county_confirm_typed(message: Message, app: App, actor: Actor, state: FSMContext) -> None:
    """Typed at the confirm screen: a correction of the date or number, never a search."""
    await state.set_state(FlagStepForm.text)
    await _county_typed(message, app, actor, state, message.text or "")


async def county_pressed(
    query: CallbackQuery, callback_data: CountyPress, app: App, actor: Actor, state: FSMContext
) -> None:
    data = await state.get_data()
    message = query.message if isinstance(query.message, Message) else None
    if callback_data.step == FormButton.CANCEL:
        await state.clear()
        await query.answer()
        if message is not None:
            await message.edit_text(_("Stopped. Nothing was recorded."), reply_markup=None)
        return
    try:
        await flag_lifecycle.record_county_decision(
            app, actor, data["flag_id"], date.fromisoformat(data["day"]), data["document"]
        )
    except InvalidInput as error:
        await query.answer(error.render(), show_alert=True)
        return
    except DomainError as error:
        await state.clear()
        await query.answer(error.render(), show_alert=True)
        return
    await state.clear()
    await query.answer()
    if message is not None:
        done = _("✅ The red flag on {household} is closed (销号).")
        await message.edit_text(done.format(household=data["household"]), reply_markup=None)
        panel = await flag_lifecycle.flag_panel(app, actor, data["flag_id"])
        text, markup = flag_card(panel, app.settings.tz)
        await message.answer(text, reply_markup=markup)


async def step_again(message: Message, state: FSMContext, app: App, lead: str) -> None:
    data = await state.get_data()
    prompt = _(PROMPTS[FlagAct(data["act"])]).format(household=data["household"])
    await message.answer(f"{lead}\n\n{prompt}")


DIALOG = Dialog(
    states=FlagStepForm,
    buttons=(CountyPress,),
    show_again=step_again,
    typed=(FlagStepForm.text,),
)


def build_router() -> Router:
    router = Router(name="flag_steps")
    router.message.register(list_open_flags, Command("flags"))
    router.callback_query.register(open_flag, FlagAction.filter(F.action == FlagButton.OPEN))
    router.callback_query.register(approve, FlagAction.filter(F.action == FlagAct.APPROVE))
    router.callback_query.register(
        ask_for_text,
        FlagAction.filter(
            F.action.in_(
                {FlagAct.REQUEST_REMOVAL.value, FlagAct.REJECT.value, FlagAct.COUNTY_DECISION.value}
            )
        ),
    )
    router.message.register(text_typed, StateFilter(FlagStepForm.text), FreeText())
    router.message.register(
        county_confirm_typed, StateFilter(FlagStepForm.county_confirm), FreeText()
    )
    router.callback_query.register(
        county_pressed,
        StateFilter(FlagStepForm.county_confirm),
        CountyPress.filter(F.step.in_({FormButton.SAVE, FormButton.CANCEL})),
        OfTheOpenForm("flag_id", "flag_id"),  # not a confirm screen of another flag's form
    )
    guard(router, DIALOG)
    return router
