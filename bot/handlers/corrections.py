"""Correcting or withdrawing one's own contact within the edit window (24 h by default).

Reached from the "saved" message's ↩ Withdraw / ✏️ Correct buttons, or from /recent. The
contact id on each button is untrusted: the service lets only the contact's author change it,
and only within the window.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.domain.model import ContactChannel, Guarantee
from bot.errors import DomainError, InvalidInput
from bot.handlers.contact_views import (
    FORM_FINISHED,
    LEAVING_BUTTONS,
    TAP_A_BUTTON,
    channel_keyboard,
    contact_summary,
    day_buttons,
    drop_buttons,
    guarantees_keyboard,
    guarantees_prompt,
    leave_form,
    progress_line,
    show,
)
from bot.handlers.filters import FreeText, MenuButton
from bot.i18n import gettext as _
from bot.keyboards import inline_grid
from bot.services import contacts
from bot.services.access import Actor
from bot.services.dates import parse_day
from bot.storage.uow import App

router = Router(name="corrections")
RECENT_SHOWN = 20


class ContactEdit(CallbackData, prefix="ce"):
    action: str
    contact_id: int
    value: str = ""


class CorrectionForm(StatesGroup):
    guarantees = State()
    typing_day = State()
    typing_note = State()


def contact_buttons(contact_id: int) -> list[tuple[str, CallbackData]]:
    """↩ Withdraw / ✏️ Correct, for a contact just saved or listed."""
    return [
        (_("↩ Withdraw"), ContactEdit(action="withdraw", contact_id=contact_id)),
        (_("✏️ Correct"), ContactEdit(action="correct", contact_id=contact_id)),
    ]


def _press(contact_id: int):  # type: ignore[no-untyped-def]
    return lambda step, value="": ContactEdit(action=step, contact_id=contact_id, value=value)


def _summary(line: contacts.ContactLine, app: App) -> str:
    contact = line.contact
    return contact_summary(
        line.household_name,
        contact.occurred_on,
        app.clock.today(),
        contact.channel,
        contact.problems,
        events=contact.events,
        income=contact.income,
        note=contact.note,
        photo=bool(contact.photo_file_id),
    )


def _correct_menu(line: contacts.ContactLine, app: App) -> tuple[str, InlineKeyboardMarkup]:
    press = _press(line.contact.id)
    buttons = [
        *day_buttons(press),
        (_("📞 How"), press("how")),
        (_("🛡 Six guarantees"), press("guarantees")),
        (_("📝 Note"), press("note")),
    ]
    text = _summary(line, app) + "\n\n" + _("What needs correcting?")
    return text, inline_grid(buttons, columns=(3, 2), footer=[(_("✖ Close"), press("close"))])


async def _editable(
    query: CallbackQuery, app: App, actor: Actor, contact_id: int
) -> contacts.ContactLine | None:
    try:
        return await contacts.editable_contact(app, actor, contact_id)
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)
        return None


async def _apply(
    app: App, actor: Actor, contact_id: int, correction: contacts.Correction
) -> tuple[str, InlineKeyboardMarkup]:
    """Correct the contact; the reply shows it as it is now. Raises the service's errors."""
    changed = await contacts.correct_contact(app, actor, contact_id, correction)
    line = contacts.ContactLine(changed.contact, changed.household_name)
    lines = [_("Corrected ✅"), _summary(line, app), progress_line(changed.progress)]
    if changed.flag_raised:
        lines.append(_("🚩 A red flag was raised and the town office has been alerted."))
    return "\n".join(lines), inline_grid(contact_buttons(contact_id), columns=2)


# ---- listing, withdrawing -------------------------------------------------------------------


@router.message(Command("recent"))
async def recent(message: Message, app: App, actor: Actor, state: FSMContext) -> None:
    await state.clear()
    hours = app.settings.contact_edit_window_hours
    lines = (await contacts.recent_own_contacts(app, actor))[:RECENT_SHOWN]
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
            ContactEdit(action="open", contact_id=line.contact.id),
        )
        for line in lines
    ]
    text = _(
        "Your contacts from the last {hours} hours. Tap one to correct or withdraw it:"
    ).format(hours=hours)
    await message.answer(text, reply_markup=inline_grid(buttons))


@router.callback_query(ContactEdit.filter(F.action.in_({"open", "keep"})))
async def open_contact(
    query: CallbackQuery, callback_data: ContactEdit, app: App, actor: Actor, state: FSMContext
) -> None:
    line = await _editable(query, app, actor, callback_data.contact_id)
    if line is None:
        return
    await state.clear()
    await show(query, _summary(line, app), inline_grid(contact_buttons(line.contact.id), columns=2))


@router.callback_query(ContactEdit.filter(F.action == "close"))
async def close_contact(query: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        await drop_buttons(query.message, query.message.message_id)


@router.callback_query(ContactEdit.filter(F.action == "withdraw"))
async def ask_withdraw(
    query: CallbackQuery, callback_data: ContactEdit, app: App, actor: Actor
) -> None:
    line = await _editable(query, app, actor, callback_data.contact_id)
    if line is None:
        return
    press = _press(line.contact.id)
    text = (
        _("Withdraw this contact? It will no longer count for its month.")
        + "\n"
        + _summary(line, app)
    )
    buttons = [(_("↩ Yes, withdraw"), press("withdraw_yes")), (_("Keep it"), press("keep"))]
    await show(query, text, inline_grid(buttons, columns=2))


@router.callback_query(ContactEdit.filter(F.action == "withdraw_yes"))
async def withdraw(
    query: CallbackQuery, callback_data: ContactEdit, app: App, actor: Actor
) -> None:
    try:
        changed = await contacts.withdraw_contact(app, actor, callback_data.contact_id)
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)
        return
    text = _("Withdrawn ↩ {name} · {day}. It no longer counts.").format(
        name=changed.household_name, day=changed.contact.occurred_on.isoformat()
    )
    await show(query, text + "\n" + progress_line(changed.progress))


# ---- correcting -----------------------------------------------------------------------------


@router.callback_query(ContactEdit.filter(F.action == "correct"))
async def correct_menu(
    query: CallbackQuery, callback_data: ContactEdit, app: App, actor: Actor, state: FSMContext
) -> None:
    line = await _editable(query, app, actor, callback_data.contact_id)
    if line is not None:
        await state.clear()
        await show(query, *_correct_menu(line, app))


@router.callback_query(ContactEdit.filter(F.action.in_({"how", "guarantees", "type_day", "note"})))
async def correction_step(
    query: CallbackQuery, callback_data: ContactEdit, app: App, actor: Actor, state: FSMContext
) -> None:
    line = await _editable(query, app, actor, callback_data.contact_id)
    if line is None:
        return
    press = _press(line.contact.id)
    back = [(_("⬅ Back"), press("correct"))]
    if callback_data.action == "how":
        await state.clear()
        await show(query, _("How did you contact them?"), channel_keyboard(press, footer=back))
        return
    problems = list(line.contact.problems)
    step = {
        "guarantees": CorrectionForm.guarantees,
        "type_day": CorrectionForm.typing_day,
        "note": CorrectionForm.typing_note,
    }[callback_data.action]
    await state.set_state(step)
    await state.set_data(
        {
            "contact_id": line.contact.id,
            "name": line.household_name,
            "problems": problems,
            "message_id": query.message.message_id if query.message else None,
        }
    )
    if step == CorrectionForm.guarantees:
        await show(query, *_guarantees_view(line.household_name, press, problems))
    else:
        await show(query, _prompt(step.state, app), inline_grid(back))


def _guarantees_view(
    name: str, press: Any, problems: list[str]
) -> tuple[str, InlineKeyboardMarkup]:
    return guarantees_prompt("✏️ " + name), guarantees_keyboard(press, problems)


def _prompt(step: str | None, app: App) -> str:
    if step == CorrectionForm.typing_day.state:
        return _("Type the day of the contact, e.g. 3-5, 3月5日 or 5日.")
    if step == CorrectionForm.typing_note.state:
        return _("Type the new note (at most {limit} characters).").format(
            limit=app.settings.note_max_chars
        )
    return _(TAP_A_BUTTON)


@router.callback_query(ContactEdit.filter(F.action.in_({"day", "channel"})))
async def corrected_by_button(
    query: CallbackQuery, callback_data: ContactEdit, app: App, actor: Actor, state: FSMContext
) -> None:
    if callback_data.action == "day":
        days_back = 1 if callback_data.value == "1" else 0
        correction = contacts.Correction(occurred_on=app.clock.today() - timedelta(days=days_back))
    else:
        correction = contacts.Correction(channel=callback_data.value)
    await _answer_correction(query, app, actor, state, callback_data.contact_id, correction)


@router.callback_query(
    CorrectionForm.guarantees,
    ContactEdit.filter(F.action.in_({"guarantee", "all_fine", "guarantees_done"})),
)
async def guarantees_pressed(
    query: CallbackQuery, callback_data: ContactEdit, app: App, actor: Actor, state: FSMContext
) -> None:
    data = await state.get_data()
    if data.get("contact_id") != callback_data.contact_id:
        await query.answer(_(FORM_FINISHED), show_alert=True)
        return
    if callback_data.action == "guarantee":
        if callback_data.value not in set(Guarantee):
            await query.answer(_(TAP_A_BUTTON), show_alert=True)
            return
        chosen = set(data["problems"]) ^ {callback_data.value}
        problems = [str(key) for key in Guarantee if key in chosen]
        await state.update_data(problems=problems)
        await show(
            query, *_guarantees_view(data["name"], _press(callback_data.contact_id), problems)
        )
        return
    problems = [] if callback_data.action == "all_fine" else data["problems"]
    correction = contacts.Correction(problems=problems)
    await _answer_correction(query, app, actor, state, callback_data.contact_id, correction)


@router.callback_query(
    ContactEdit.filter(F.action.in_({"guarantee", "all_fine", "guarantees_done"}))
)
async def stale_guarantee_press(query: CallbackQuery) -> None:
    await query.answer(_(FORM_FINISHED), show_alert=True)


async def _answer_correction(
    query: CallbackQuery,
    app: App,
    actor: Actor,
    state: FSMContext,
    contact_id: int,
    correction: contacts.Correction,
) -> None:
    try:
        text, markup = await _apply(app, actor, contact_id, correction)
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)
        return
    await state.clear()
    await show(query, text, markup)


@router.message(StateFilter(CorrectionForm.typing_day, CorrectionForm.typing_note), FreeText())
async def correction_typed(message: Message, app: App, actor: Actor, state: FSMContext) -> None:
    data = await state.get_data()
    step = await state.get_state()
    text = message.text or ""
    try:
        if step == CorrectionForm.typing_day.state:
            correction = contacts.Correction(occurred_on=parse_day(text, app.clock.today()))
        else:
            correction = contacts.Correction(note=text)
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
    step = await state.get_state()
    press = _press(data["contact_id"])
    if step == CorrectionForm.guarantees.state:
        text, markup = _guarantees_view(data["name"], press, data["problems"])
    else:
        text, markup = _prompt(step, app), inline_grid([(_("⬅ Back"), press("correct"))])
    await drop_buttons(message, data.get("message_id"))
    sent = await message.answer(f"{lead}\n\n{text}", reply_markup=markup)
    await state.update_data(message_id=sent.message_id)


router.message.register(leave_form, StateFilter(CorrectionForm), MenuButton(*LEAVING_BUTTONS))


@router.message(
    StateFilter(CorrectionForm),
    ~MenuButton(*LEAVING_BUTTONS),
    F.func(lambda m: not (m.text or "").startswith("/")),
)
async def not_the_expected_input(message: Message, app: App, state: FSMContext) -> None:
    step = await state.get_state()
    hint = (
        _(TAP_A_BUTTON) if step == CorrectionForm.guarantees.state else _("Please type it as text.")
    )
    await _send_prompt(message, state, app, lead=hint)
