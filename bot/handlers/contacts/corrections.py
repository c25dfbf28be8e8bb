"""Correcting or withdrawing one's own contact within the edit window (24 h by default);
the form's steps and texts are in correction_form.py.

Reached from the "saved" message's ↩ Withdraw / ✏️ Correct buttons, or from /recent. The
contact id on each button is untrusted: the service lets only the contact's author change it,
and only within the window.
"""

from __future__ import annotations

from datetime import timedelta

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.contacts import corrections as contact_corrections
from bot.core.contacts import rules as contact_rules
from bot.core.contacts.corrections import withdraw_contact
from bot.core.dates import parse_day
from bot.core.policy import Actor
from bot.domain.model import ContactChannel
from bot.errors import DomainError, InvalidInput
from bot.handlers.contacts.correction_form import (
    TOGGLES,
    ContactEdit,
    CorrectionForm,
    EditAct,
    already_flagged_line,
    contact_buttons,
    correct_menu_view,
    press_for,
    step_view,
    summary_text,
)
from bot.handlers.dialogs import (
    Dialog,
    OfTheOpenForm,
    drop_buttons,
    guard,
    show,
    unless_refused,
)
from bot.i18n import gettext as _
from bot.messages.contact_views import (
    TAP_A_BUTTON,
    ContactStep,
    channel_keyboard,
    followed_flags_lines,
    progress_line,
)
from bot.messages.keyboards import inline_grid
from bot.storage.uow import App
from bot.telegram.filters import FreeText

RECENT_SHOWN = 20


async def _editable(
    query: CallbackQuery, app: App, actor: Actor, contact_id: int
) -> contact_corrections.ContactLine | None:
    try:
        return await contact_corrections.editable_contact(app, actor, contact_id)
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)
        return None


async def _apply(
    app: App, actor: Actor, contact_id: int, correction: contact_corrections.Correction
) -> tuple[str, InlineKeyboardMarkup]:
    """Correct the contact; the reply shows it as it is now. Raises the service's errors."""
    changed = await contact_corrections.correct_contact(app, actor, contact_id, correction)
    lines = [_("Corrected ✅"), summary_text(changed, app), progress_line(changed.progress)]
    lines += followed_flags_lines(changed.flags)
    if changed.flag_raised:
        lines.append(_("🚩 A red flag was raised and the town office has been alerted."))
    if changed.already_flagged:
        lines.append(already_flagged_line(changed.already_flagged))
    return "\n".join(lines), inline_grid(contact_buttons(contact_id), columns=2)


# ---- listing, withdrawing -------------------------------------------------------------------


async def recent(message: Message, app: App, actor: Actor, state: FSMContext) -> None:
    await state.clear()
    hours = app.settings.contact_edit_window_hours
    lines = (await contact_corrections.recent_own_contacts(app, actor))[:RECENT_SHOWN]
    if not lines:
        await message.answer(
            _(
                "You have no contacts from the last {hours} hours. "
                "Only those can be corrected or withdrawn."
            ).format(hours=hours)
        )
        return
    buttons = [
        (
            " · ".join(
                (
                    line.household_name,
                    line.contact.occurred_on.isoformat(),
                    ContactChannel(line.contact.channel).label,
                )
            ),
            ContactEdit(action=EditAct.OPEN, contact_id=line.contact.id),
        )
        for line in lines
    ]
    text = _(
        "Your contacts from the last {hours} hours. Tap one to correct or withdraw it:"
    ).format(hours=hours)
    await message.answer(text, reply_markup=inline_grid(buttons))


async def open_contact(
    query: CallbackQuery, callback_data: ContactEdit, app: App, actor: Actor, state: FSMContext
) -> None:
    line = await _editable(query, app, actor, callback_data.contact_id)
    if line is None:
        return
    await state.clear()
    await show(
        query, summary_text(line, app), inline_grid(contact_buttons(line.contact.id), columns=2)
    )


async def close_contact(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        await drop_buttons(query.message, query.message.message_id)


async def ask_withdraw(
    query: CallbackQuery, callback_data: ContactEdit, app: App, actor: Actor
) -> None:
    line = await _editable(query, app, actor, callback_data.contact_id)
    if line is None:
        return
    press = press_for(line.contact.id)
    text = (
        _("Withdraw this contact? It will no longer count for its month.")
        + "\n"
        + summary_text(line, app)
    )
    if line.contact.problems:  # say it before: the town office was alerted about them
        text += "\n" + _(
            "🚩 The red flag it raised goes with it (if the town office acted on it, they decide)."
        )
    buttons = [
        (_("↩ Yes, withdraw"), press(EditAct.WITHDRAW_YES)),
        (_("Keep it"), press(EditAct.KEEP)),
    ]
    await show(query, text, inline_grid(buttons, columns=2))


async def withdraw(
    query: CallbackQuery, callback_data: ContactEdit, app: App, actor: Actor
) -> None:
    changed = await unless_refused(query, withdraw_contact(app, actor, callback_data.contact_id))
    if changed is None:
        return
    text = _("Withdrawn ↩ {name} · {day}. It no longer counts.").format(
        name=changed.household_name, day=changed.contact.occurred_on.isoformat()
    )
    lines = [text, progress_line(changed.progress), *followed_flags_lines(changed.flags)]
    await show(query, "\n".join(lines))


# ---- correcting -----------------------------------------------------------------------------


async def correct_menu(
    query: CallbackQuery, callback_data: ContactEdit, app: App, actor: Actor, state: FSMContext
) -> None:
    line = await _editable(query, app, actor, callback_data.contact_id)
    if line is not None:
        await state.clear()
        await show(query, *correct_menu_view(line, app))


async def correction_step(
    query: CallbackQuery, callback_data: ContactEdit, app: App, actor: Actor, state: FSMContext
) -> None:
    line = await _editable(query, app, actor, callback_data.contact_id)
    if line is None:
        return
    press = press_for(line.contact.id)
    back = [(_("⬅ Back"), press(EditAct.CORRECT))]
    if callback_data.action == ContactStep.HOW:
        await state.clear()
        await show(query, _("How did you contact them?"), channel_keyboard(press, footer=back))
        return
    step = {
        ContactStep.GUARANTEES: CorrectionForm.guarantees,
        ContactStep.EVENTS: CorrectionForm.events,
        ContactStep.TYPE_DAY: CorrectionForm.typing_day,
        ContactStep.INCOME: CorrectionForm.typing_income,
        ContactStep.NOTE: CorrectionForm.typing_note,
    }[callback_data.action]
    await state.set_state(step)
    await state.set_data(
        {
            "contact_id": line.contact.id,
            "name": line.household_name,
            "problems": list(line.contact.problems),
            "events": list(line.contact.events),
            "message_id": query.message.message_id if query.message else None,
        }
    )
    await show(query, *step_view(step.state, await state.get_data(), app))


async def corrected_by_button(
    query: CallbackQuery, callback_data: ContactEdit, app: App, actor: Actor, state: FSMContext
) -> None:
    if callback_data.action == ContactStep.DAY:
        days_back = 1 if callback_data.value == "1" else 0
        correction = contact_corrections.Correction(
            occurred_on=app.clock.today() - timedelta(days=days_back)
        )
    else:
        correction = contact_corrections.Correction(channel=callback_data.value)
    await _answer_correction(query, app, actor, state, callback_data.contact_id, correction)


TOGGLE_ACTIONS = {
    ContactStep.GUARANTEE,
    ContactStep.ALL_FINE,
    ContactStep.GUARANTEES_DONE,
    ContactStep.EVENT,
    ContactStep.EVENTS_DONE,
}


async def toggle_pressed(
    query: CallbackQuery, callback_data: ContactEdit, app: App, actor: Actor, state: FSMContext
) -> None:
    data = await state.get_data()
    step = await state.get_state()
    if callback_data.action in TOGGLES:
        toggle_step, field, kind = TOGGLES[callback_data.action]
        if step != toggle_step.state or callback_data.value not in set(kind):
            await query.answer(_(TAP_A_BUTTON), show_alert=True)
            return
        data = await state.update_data(
            {field: contact_rules.toggled(data[field], callback_data.value, kind)}
        )
        await show(query, *step_view(step, data, app))
        return
    if callback_data.action == ContactStep.EVENTS_DONE:
        correction = contact_corrections.Correction(events=data["events"])
    else:
        problems = [] if callback_data.action == ContactStep.ALL_FINE else data["problems"]
        correction = contact_corrections.Correction(problems=problems)
    await _answer_correction(query, app, actor, state, callback_data.contact_id, correction)


async def _answer_correction(
    query: CallbackQuery,
    app: App,
    actor: Actor,
    state: FSMContext,
    contact_id: int,
    correction: contact_corrections.Correction,
) -> None:
    try:
        text, markup = await _apply(app, actor, contact_id, correction)
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)
        return
    await state.clear()
    await show(query, text, markup)


async def correction_typed(message: Message, app: App, actor: Actor, state: FSMContext) -> None:
    data = await state.get_data()
    step = await state.get_state()
    text = message.text or ""
    try:
        if step == CorrectionForm.typing_day.state:
            correction = contact_corrections.Correction(
                occurred_on=parse_day(text, app.clock.today())
            )
        elif step == CorrectionForm.typing_income.state:
            correction = contact_corrections.Correction(income=contact_rules.parse_income(text))
        else:
            correction = contact_corrections.Correction(note=text)
        reply, markup = await _apply(app, actor, data["contact_id"], correction)
    except InvalidInput as error:
        await _send_prompt(message, state, app, lead=error.render())
        return
    except DomainError as error:  # the window closed, or the contact was withdrawn meanwhile
        await state.clear()
        await message.answer(error.render())
        return
    await state.clear()
    await drop_buttons(message, data.get("message_id"))
    await message.answer(reply, reply_markup=markup)


async def _send_prompt(message: Message, state: FSMContext, app: App, lead: str) -> None:
    """The current correction step again, as a new message under the hint or error."""
    data = await state.get_data()
    text, markup = step_view(await state.get_state(), data, app)
    await drop_buttons(message, data.get("message_id"))
    sent = await message.answer(f"{lead}\n\n{text}", reply_markup=markup)
    await state.update_data(message_id=sent.message_id)


DIALOG = Dialog(
    states=CorrectionForm,
    buttons=(ContactEdit,),
    show_again=_send_prompt,
    typed=(CorrectionForm.typing_day, CorrectionForm.typing_income, CorrectionForm.typing_note),
)


def build_router() -> Router:
    router = Router(name="corrections")
    router.message.register(recent, Command("recent"))
    router.callback_query.register(
        open_contact, ContactEdit.filter(F.action.in_({EditAct.OPEN, EditAct.KEEP}))
    )
    router.callback_query.register(close_contact, ContactEdit.filter(F.action == EditAct.CLOSE))
    router.callback_query.register(ask_withdraw, ContactEdit.filter(F.action == EditAct.WITHDRAW))
    router.callback_query.register(withdraw, ContactEdit.filter(F.action == EditAct.WITHDRAW_YES))
    router.callback_query.register(correct_menu, ContactEdit.filter(F.action == EditAct.CORRECT))
    router.callback_query.register(
        correction_step,
        ContactEdit.filter(
            F.action.in_(
                {
                    ContactStep.HOW,
                    ContactStep.GUARANTEES,
                    ContactStep.EVENTS,
                    ContactStep.TYPE_DAY,
                    ContactStep.INCOME,
                    ContactStep.NOTE,
                }
            )
        ),
    )
    router.callback_query.register(
        corrected_by_button,
        ContactEdit.filter(F.action.in_({ContactStep.DAY, ContactStep.CHANNEL})),
    )
    router.callback_query.register(
        toggle_pressed,
        StateFilter(CorrectionForm.guarantees, CorrectionForm.events),
        ContactEdit.filter(F.action.in_(TOGGLE_ACTIONS)),
        OfTheOpenForm("contact_id", "contact_id"),
    )
    router.message.register(
        correction_typed,
        StateFilter(
            CorrectionForm.typing_day, CorrectionForm.typing_income, CorrectionForm.typing_note
        ),
        FreeText(),
    )
    guard(router, DIALOG)
    return router
