"""✍️ Log a contact: household → channel → the six guarantees → confirm (with optional date,
income, events, note, photo) → saved, with the month's progress.

The common case is five taps from the main menu (four from a household card). The form lives
in the FSM storage, which is in the database, so a restarted bot resumes it. Each form has a
random draft key; its first characters ride on every button, so a button from a finished or
older form is recognised and refused, and saving twice saves once (the service ensures that).
"""

from __future__ import annotations

from datetime import timedelta

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message

from bot.core.contacts import contact_log as contacts
from bot.core.contacts import rules as contact_rules
from bot.core.dates import parse_day
from bot.core.policy import Actor
from bot.domain.model import ContactChannel, ContactEvent, Guarantee
from bot.errors import DomainError, InvalidInput
from bot.handlers.contacts.contact_form import (
    TOKEN_CHARS,
    ContactForm,
    FormPress,
    draft_from,
    go_to_step,
    new_form,
    saved_view,
    send_step,
    step_view,
)
from bot.handlers.dialogs import TYPE_A_DAY, TYPE_YUAN, Dialog, OfTheOpenForm, guard, show
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages.contact_views import TAP_A_BUTTON, ContactStep
from bot.messages.keyboards import HouseholdAct, HouseholdAction
from bot.storage.uow import App
from bot.telegram.filters import FreeText

# ---- the household chosen (bot/handlers/contacts/household_picker.py lists them) -----------


async def household_chosen(
    query: CallbackQuery, callback_data: HouseholdAction, app: App, actor: Actor, state: FSMContext
) -> None:
    try:  # the id comes from a button: the service checks it is the person's own household
        name = await contacts.contact_target(app, actor, callback_data.household_id)
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)
        return
    message = query.message if isinstance(query.message, Message) else None
    data = await state.get_data()
    picked_from_list = message is not None and message.message_id == data.get("picker_id")
    unfinished = (
        data.get("name")
        if data.get("household_id") not in (None, callback_data.household_id)
        else None
    )
    await query.answer()
    if message is not None:
        await begin_form(
            message, state, app, callback_data.household_id, name, edit=picked_from_list
        )
    if unfinished and message is not None:
        # Say so, rather than silently dropping what was filled in for the other household.
        await message.answer(
            _("The unfinished form for {name} was not saved.").format(name=unfinished)
        )


async def begin_form(
    message: Message, state: FSMContext, app: App, household_id: int, name: str, *, edit: bool
) -> None:
    """A fresh form for the household, shown in place of the household list or as a new message."""
    data = new_form(household_id, name, app.clock.today())
    text, markup = step_view(ContactForm.channel.state, data, app)
    if edit:
        await message.edit_text(text, reply_markup=markup)
        data["message_id"] = message.message_id
    else:
        data["message_id"] = (await message.answer(text, reply_markup=markup)).message_id
    await state.set_state(ContactForm.channel)
    await state.set_data(data)


# ---- steps answered with a button -----------------------------------------------------------


async def channel_chosen(
    query: CallbackQuery, callback_data: FormPress, app: App, state: FSMContext
) -> None:
    data = await state.get_data()
    if callback_data.value not in set(ContactChannel):
        await query.answer(_(TAP_A_BUTTON), show_alert=True)
        return
    photo = data.get("photo") if callback_data.value == ContactChannel.HOME_VISIT else None
    step = ContactForm.confirm if data["reviewed"] else ContactForm.guarantees
    await go_to_step(query, state, app, step, channel=callback_data.value, photo=photo)


# A toggle press: its step, the field it switches a value in, and the values it may hold.
TOGGLES: dict[ContactStep, tuple[State, str, type[Guarantee] | type[ContactEvent]]] = {
    ContactStep.GUARANTEE: (ContactForm.guarantees, "problems", Guarantee),
    ContactStep.EVENT: (ContactForm.events, "events", ContactEvent),
}


async def value_toggled(
    query: CallbackQuery, callback_data: FormPress, app: App, state: FSMContext
) -> None:
    """A guarantee with a problem, or an event, switched on or off; the step is shown again."""
    data = await state.get_data()
    step, field, kind = TOGGLES[callback_data.step]
    if callback_data.value not in set(kind):
        await query.answer(_(TAP_A_BUTTON), show_alert=True)
        return
    await go_to_step(
        query,
        state,
        app,
        step,
        **{field: contact_rules.toggled(data[field], callback_data.value, kind)},
    )


async def guarantees_answered(
    query: CallbackQuery, callback_data: FormPress, app: App, state: FSMContext
) -> None:
    data = await state.get_data()
    problems = [] if callback_data.step == ContactStep.ALL_FINE else data["problems"]
    await go_to_step(query, state, app, ContactForm.confirm, problems=problems, reviewed=True)


# The confirm screen's extras: each opens its step; typed steps come back with ⬅ Back.
EXTRAS = {
    ContactStep.HOW: ContactForm.channel,
    ContactStep.GUARANTEES: ContactForm.guarantees,
    ContactStep.EVENTS: ContactForm.events,
    ContactStep.TYPE_DAY: ContactForm.typing_day,
    ContactStep.INCOME: ContactForm.typing_income,
    ContactStep.NOTE: ContactForm.typing_note,
    ContactStep.PHOTO: ContactForm.sending_photo,
}


async def extra_chosen(
    query: CallbackQuery, callback_data: FormPress, app: App, state: FSMContext
) -> None:
    data = await state.get_data()
    if callback_data.step == ContactStep.PHOTO and data["channel"] != ContactChannel.HOME_VISIT:
        await query.answer(_(contact_rules.PHOTO_NOT_HOME_VISIT), show_alert=True)
        return
    await go_to_step(query, state, app, EXTRAS[callback_data.step])


async def day_chosen(
    query: CallbackQuery, callback_data: FormPress, app: App, actor: Actor, state: FSMContext
) -> None:
    data = await state.get_data()
    days_back = 1 if callback_data.value == "1" else 0
    day = app.clock.today() - timedelta(days=days_back)
    try:
        await contacts.validate_contact_day(app, actor, data["household_id"], day)
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)
        return
    await go_to_step(query, state, app, ContactForm.confirm, day=day.isoformat())


async def back_to_confirm(
    query: CallbackQuery, callback_data: FormPress, app: App, state: FSMContext
) -> None:
    await go_to_step(query, state, app, ContactForm.confirm)


async def cancel(query: CallbackQuery, callback_data: FormPress, state: FSMContext) -> None:
    await state.clear()
    await show(query, _("Stopped. Nothing was saved."))


async def save(
    query: CallbackQuery, callback_data: FormPress, app: App, actor: Actor, state: FSMContext
) -> None:
    data = await state.get_data()
    try:
        logged = await contacts.log_contact(app, actor, draft_from(data, app.clock.today()))
    except InvalidInput as error:  # e.g. the day passed midnight: fix it on the same screen
        await query.answer(error.render(), show_alert=True)
        return
    except DomainError as error:  # the household was reassigned meanwhile
        await state.clear()
        await show(query, error.render())
        return
    await state.clear()
    await show(query, *saved_view(logged))


# ---- steps answered by typing or sending ----------------------------------------------------


async def day_typed(message: Message, app: App, actor: Actor, state: FSMContext) -> None:
    data = await state.get_data()
    try:
        day = parse_day(message.text or "", app.clock.today())
        await contacts.validate_contact_day(app, actor, data["household_id"], day)
    except InvalidInput as error:
        await send_step(message, state, app, ContactForm.typing_day, lead=error.render())
        return
    await state.update_data(day=day.isoformat())
    await send_step(message, state, app, ContactForm.confirm)


async def income_typed(message: Message, app: App, state: FSMContext) -> None:
    try:
        income = contact_rules.parse_income(message.text or "")
    except InvalidInput as error:
        await send_step(message, state, app, ContactForm.typing_income, lead=error.render())
        return
    await state.update_data(income=str(income))
    await send_step(message, state, app, ContactForm.confirm)


async def note_typed(message: Message, app: App, state: FSMContext) -> None:
    try:
        note = contact_rules.validate_note(app.settings, message.text)
    except InvalidInput as error:
        await send_step(message, state, app, ContactForm.typing_note, lead=error.render())
        return
    await state.update_data(note=note)
    await send_step(message, state, app, ContactForm.confirm)


async def photo_sent(message: Message, app: App, state: FSMContext) -> None:
    largest = message.photo[-1]  # type: ignore[index]
    await state.update_data(photo=largest.file_id)
    await send_step(message, state, app, ContactForm.confirm)


async def step_again(message: Message, state: FSMContext, app: App, lead: str) -> None:
    await send_step(message, state, app, await state.get_state() or "", lead=lead)


DIALOG = Dialog(
    states=ContactForm,
    buttons=(FormPress,),
    show_again=step_again,
    hints={
        ContactForm.typing_day.state: TYPE_A_DAY,
        ContactForm.typing_income.state: TYPE_YUAN,
        ContactForm.typing_note.state: N_("Please type the note as text."),
        ContactForm.sending_photo.state: N_("Please send a photo, or tap ⬅ Back."),
    },
    elsewhere=(ContactForm.household,),  # typing there searches the households
)
# Only a press of the open form (its draft key's start rides on each button) reaches a step.
THIS_FORM = OfTheOpenForm("form", "draft_key", TOKEN_CHARS)


def build_router() -> Router:
    router = Router(name="contact_log")
    router.callback_query.register(
        household_chosen, HouseholdAction.filter(F.action == HouseholdAct.LOG)
    )
    router.callback_query.register(
        channel_chosen,
        ContactForm.channel,
        FormPress.filter(F.step == ContactStep.CHANNEL),
        THIS_FORM,
    )
    for step, (toggles_at, _field, _kind) in TOGGLES.items():
        router.callback_query.register(
            value_toggled, toggles_at, FormPress.filter(F.step == step), THIS_FORM
        )
    router.callback_query.register(
        guarantees_answered,
        ContactForm.guarantees,
        FormPress.filter(F.step.in_({ContactStep.ALL_FINE, ContactStep.GUARANTEES_DONE})),
        THIS_FORM,
    )
    router.callback_query.register(
        extra_chosen, ContactForm.confirm, FormPress.filter(F.step.in_(set(EXTRAS))), THIS_FORM
    )
    router.callback_query.register(
        day_chosen, ContactForm.confirm, FormPress.filter(F.step == ContactStep.DAY), THIS_FORM
    )
    router.callback_query.register(
        back_to_confirm,
        StateFilter(
            ContactForm.events,
            ContactForm.typing_day,
            ContactForm.typing_income,
            ContactForm.typing_note,
            ContactForm.sending_photo,
        ),
        FormPress.filter(F.step.in_({ContactStep.BACK, ContactStep.EVENTS_DONE})),
        THIS_FORM,
    )
    router.callback_query.register(
        cancel, StateFilter(ContactForm), FormPress.filter(F.step == ContactStep.CANCEL), THIS_FORM
    )
    router.callback_query.register(
        save, ContactForm.confirm, FormPress.filter(F.step == ContactStep.SAVE), THIS_FORM
    )
    router.message.register(day_typed, ContactForm.typing_day, FreeText())
    router.message.register(income_typed, ContactForm.typing_income, FreeText())
    router.message.register(note_typed, ContactForm.typing_note, FreeText())
    router.message.register(photo_sent, ContactForm.sending_photo, F.photo)
    guard(router, DIALOG)
    return router
