"""The contact form's steps and what each shows: states, buttons, the confirm summary.

The form's values live in the FSM data (a plain dict in the database): `draft_key`,
`household_id`, `name`, `channel`, `day` (ISO: fixed when the form starts and when a day is
chosen, so a form confirmed before midnight is saved for the day it showed), `problems`,
`events`, `income`, `note`, `photo`, `reviewed`, `message_id`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.contacts import contact_log as contacts
from bot.domain.model import ContactChannel, ContactEvent
from bot.handlers.contacts.correction_form import already_flagged_line, contact_buttons
from bot.handlers.dialogs import drop_buttons, show
from bot.i18n import gettext as _
from bot.messages.contact_views import (
    DONE,
    ContactStep,
    Press,
    channel_keyboard,
    contact_summary,
    field_buttons,
    guarantees_keyboard,
    guarantees_prompt,
    progress_line,
)
from bot.messages.keyboards import HouseholdAct, HouseholdAction, inline_grid
from bot.storage.uow import App

TOKEN_CHARS = 10  # of the draft key, on each button: enough to tell forms apart


class ContactForm(StatesGroup):
    household = State()  # picking the household; typing searches
    channel = State()
    guarantees = State()
    confirm = State()  # the summary, with Save and the optional extras
    events = State()
    typing_day = State()
    typing_income = State()
    typing_note = State()
    sending_photo = State()


class FormPress(CallbackData, prefix="cf"):
    form: str  # the form's token (start of its draft key)
    step: ContactStep
    value: str = ""


def form_press(data: dict[str, Any]) -> Press:
    token = data["draft_key"][:TOKEN_CHARS]
    return lambda step, value="": FormPress(form=token, step=step, value=value)


def form_day(data: dict[str, Any], today: date) -> date:
    # A form saved in the FSM storage by an older version may still hold None for "today".
    return date.fromisoformat(data["day"]) if data.get("day") else today


# ---- the views, one per step ------------------------------------------------------------


def confirm_view(data: dict[str, Any], today: date) -> tuple[str, InlineKeyboardMarkup]:
    press = form_press(data)
    summary = contact_summary(
        data["name"],
        form_day(data, today),
        today,
        data["channel"],
        data["problems"],
        events=data["events"],
        income=Decimal(data["income"]) if data.get("income") else None,
        note=data.get("note"),
        photo=bool(data.get("photo")),
    )
    buttons = [(_("✅ Save"), press(ContactStep.SAVE)), *field_buttons(press)]
    if data["channel"] == ContactChannel.HOME_VISIT:
        buttons.append((_("📷 Photo"), press(ContactStep.PHOTO)))
    footer = [(_("✖ Cancel"), press(ContactStep.CANCEL))]
    text = _("📝 Please check, then tap ✅ Save.") + "\n" + summary
    if data["problems"]:  # said before saving: a problem alerts the town office at once
        text += "\n" + _("🚩 Saving reports these problems to the town office as a red flag.")
    return text, inline_grid(buttons, columns=(1, 3, 2), footer=footer)


def step_view(step: str | None, data: dict[str, Any], app: App) -> tuple[str, InlineKeyboardMarkup]:
    """What the person sees at a step of the form."""
    press = form_press(data)
    back = inline_grid([(_("⬅ Back"), press(ContactStep.BACK))])
    header = "✍️ " + data["name"]
    if step == ContactForm.channel.state:
        text = header + "\n" + _("How did you contact them?")
        return text, channel_keyboard(press, footer=[(_("✖ Cancel"), press(ContactStep.CANCEL))])
    if step == ContactForm.guarantees.state:
        header += " · " + ContactChannel(data["channel"]).label
        return guarantees_prompt(header), guarantees_keyboard(press, data["problems"])
    if step == ContactForm.events.state:
        toggles = [
            (
                ("✔ " if event in data["events"] else "☐ ") + event.label,
                press(ContactStep.EVENT, event),
            )
            for event in ContactEvent
        ]
        text = header + "\n" + _("Anything that happened to the household? Tap all that apply.")
        return text, inline_grid(
            [*toggles, (_(DONE), press(ContactStep.EVENTS_DONE))], columns=(2, 2, 1)
        )
    if step == ContactForm.typing_day.state:
        return _("Type the day of the contact, e.g. 3-5, 3月5日 or 5日."), back
    if step == ContactForm.typing_income.state:
        return _("Type the yearly income per person in yuan, e.g. 5200."), back
    if step == ContactForm.typing_note.state:
        limit = app.settings.note_max_chars
        return _(
            "Type the note (at most {limit} characters): what you found, the difficulties "
            "the household raised, what was done or promised."
        ).format(limit=limit), back
    if step == ContactForm.sending_photo.state:
        return _("Send one photo of the visit."), back
    return confirm_view(data, app.clock.today())


def new_form(household_id: int, name: str, today: date) -> dict[str, Any]:
    return {
        "draft_key": contacts.new_draft_key(),
        "household_id": household_id,
        "name": name,
        "channel": None,
        "day": today.isoformat(),  # as the form shows it, even if saved after midnight
        "problems": [],
        "events": [],
        "reviewed": False,  # the confirm screen was shown: later steps return to it
    }


def draft_from(data: dict[str, Any], today: date) -> contacts.ContactDraft:
    return contacts.ContactDraft(
        draft_key=data["draft_key"],
        household_id=data["household_id"],
        channel=data["channel"],
        occurred_on=form_day(data, today),
        problems=data["problems"],
        events=data["events"],
        income=Decimal(data["income"]) if data.get("income") else None,
        note=data.get("note"),
        photo_file_id=data.get("photo"),
    )


def saved_view(logged: contacts.LoggedContact) -> tuple[str, InlineKeyboardMarkup]:
    """已保存 ✅, the month's progress, ↩ Withdraw / ✏️ Correct, and the next household."""
    contact = logged.contact
    lines = [
        _("Saved ✅ {name} · {channel} · {day}").format(
            name=logged.household_name,
            channel=ContactChannel(contact.channel).label,
            day=contact.occurred_on.isoformat(),
        ),
        progress_line(logged.progress),
    ]
    if logged.flag_raised:
        lines.append(_("🚩 A red flag was raised and the town office has been alerted."))
    if logged.already_flagged:
        lines.append(already_flagged_line(logged.already_flagged))
    buttons: list[tuple[str, CallbackData]] = list(contact_buttons(contact.id))
    if logged.progress.remaining:
        following = logged.progress.remaining[0]
        label = _("➡ Next: {name}").format(name=contacts.household_name(following))
        buttons.append((label, HouseholdAction(action=HouseholdAct.LOG, household_id=following.id)))
    return "\n".join(lines), inline_grid(buttons, columns=(2, 1))


async def go_to_step(
    query: CallbackQuery, state: FSMContext, app: App, step: State, **changes: Any
) -> None:
    """Move the form to `step` (saving `changes`) and show it in place of the pressed message."""
    data = await state.update_data(**changes)
    await state.set_state(step)
    await show(query, *step_view(step.state, data, app))


async def send_step(
    message: Message, state: FSMContext, app: App, step: State | str, lead: str = ""
) -> None:
    """Show a step as a new message (after something typed), taking the old buttons away."""
    data = await state.get_data()
    await state.set_state(step)
    text, markup = step_view(step.state if isinstance(step, State) else step, data, app)
    await drop_buttons(message, data.get("message_id"))
    sent = await message.answer(f"{lead}\n\n{text}" if lead else text, reply_markup=markup)
    await state.update_data(message_id=sent.message_id)
