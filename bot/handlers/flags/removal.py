"""A red flag's card and its way to removal (销号): /flags lists the open ones; the card's
buttons request removal (village admin), approve or reject it, and record the county's
decision (town office). Typed steps continue in the presser's private chat."""

from __future__ import annotations

from datetime import date

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message

from bot.core.dates import parse_day
from bot.core.flags import removal as flag_lifecycle
from bot.core.flags.removal import FlagAct, FlagPanel
from bot.core.households.my_households import household_name
from bot.core.policy import Actor
from bot.errors import DomainError, InvalidInput
from bot.handlers.dialogs import TYPE_AS_TEXT, Dialog, begin_in_private, guard, unless_refused
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages.flag_notices import flag_card, flag_status_text
from bot.messages.keyboards import FlagAction, FlagButton, inline_grid
from bot.storage.uow import App
from bot.telegram.filters import FreeText

LIST_LIMIT = 40  # buttons in one message; the town rarely has more flags open
PROMPTS = {
    FlagAct.REQUEST_REMOVAL: N_(
        "📝 Request removal of the red flag on {household}.\n"
        "Why is the risk gone? (e.g. income stable above the line for six months, "
        "the six guarantees secured). Type it below, or /cancel."
    ),
    FlagAct.REJECT: N_(
        "↩️ Reject the removal for {household}.\nPlease type the reason, or /cancel."
    ),
    FlagAct.COUNTY_DECISION: N_(
        "🏛 The county's decision for {household}.\n"
        "Type the decision date and the document number, like:\n"
        "3月9日 霍政〔2026〕12号\nor /cancel."
    ),
}


class FlagStepForm(StatesGroup):
    text = State()


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
    panel = await unless_refused(
        query, flag_lifecycle.flag_panel(app, actor, callback_data.flag_id)
    )
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
    panel = await unless_refused(
        query, flag_lifecycle.flag_panel(app, actor, callback_data.flag_id)
    )
    if panel is None:
        return
    if act not in panel.acts:
        await query.answer(_("You cannot do that with this red flag now."), show_alert=True)
        return
    text = _(PROMPTS[act]).format(household=_name(panel))
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
            decided_on, document = _county_decision(app, typed)
            await flag_lifecycle.record_county_decision(app, actor, flag_id, decided_on, document)
            done = _("✅ The red flag on {household} is closed (销号).")
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


def _county_decision(app: App, typed: str) -> tuple[date, str]:
    """ "3月9日 霍政〔2026〕12号": the decision day first, then the document number."""
    day_text, _space, document = typed.strip().partition(" ")
    if not document.strip():
        raise InvalidInput(
            N_("Please give both the date and the document number, like: 3月9日 霍政〔2026〕12号")
        )
    return parse_day(day_text, app.clock.today()), document.strip()


async def step_again(message: Message, state: FSMContext, app: App, lead: str) -> None:
    data = await state.get_data()
    prompt = _(PROMPTS[FlagAct(data["act"])]).format(household=data["household"])
    await message.answer(f"{lead}\n\n{prompt}")


DIALOG = Dialog(
    states=FlagStepForm,
    buttons=(),
    show_again=step_again,
    hints={FlagStepForm.text.state: TYPE_AS_TEXT},
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
    guard(router, DIALOG)
    return router
