"""The correction form's steps and what each shows (✏️ Correct, ↩ Withdraw): its buttons'
callback data, states, the contact as it stands, the correct menu and each step's prompt.
The handlers are in corrections.py."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import InlineKeyboardMarkup

from bot.core.contacts import corrections as contact_corrections
from bot.domain.model import ContactEvent, Guarantee
from bot.domain.problems import problem_list
from bot.i18n import gettext as _
from bot.messages.contact_views import (
    DONE,
    TAP_A_BUTTON,
    ContactStep,
    contact_summary,
    field_buttons,
    guarantees_keyboard,
    guarantees_prompt,
)
from bot.messages.keyboards import RowId, inline_grid
from bot.storage.uow import App


class EditAct(StrEnum):
    """A saved contact's own buttons; the correction's steps are the contact's (ContactStep)."""

    OPEN = "open"  # one of /recent's contacts, shown with ↩ Withdraw / ✏️ Correct
    KEEP = "keep"  # "keep it" instead of withdrawing: the contact is shown again
    CLOSE = "close"
    WITHDRAW = "withdraw"  # asks first
    WITHDRAW_YES = "withdraw_yes"
    CORRECT = "correct"  # the correct menu (also ⬅ Back from a correction step)


class ContactEdit(CallbackData, prefix="ce"):
    action: EditAct | ContactStep
    contact_id: RowId
    value: str = ""


class CorrectionForm(StatesGroup):
    guarantees = State()
    events = State()
    typing_day = State()
    typing_income = State()
    typing_note = State()


# The toggle steps: the button's action, the field it switches, the values it may hold.
TOGGLES: dict[ContactStep, tuple[State, str, type[Guarantee] | type[ContactEvent]]] = {
    ContactStep.GUARANTEE: (CorrectionForm.guarantees, "problems", Guarantee),
    ContactStep.EVENT: (CorrectionForm.events, "events", ContactEvent),
}


def contact_buttons(contact_id: int) -> list[tuple[str, CallbackData]]:
    """↩ Withdraw / ✏️ Correct, for a contact just saved or listed."""
    return [
        (_("↩ Withdraw"), ContactEdit(action=EditAct.WITHDRAW, contact_id=contact_id)),
        (_("✏️ Correct"), ContactEdit(action=EditAct.CORRECT, contact_id=contact_id)),
    ]


def already_flagged_line(problems: Sequence[str]) -> str:
    """For problems an open red flag already covers: no second flag, and no second alert."""
    return _("🚩 Already flagged and still open: {problems}. No new alert was sent.").format(
        problems=problem_list(problems)
    )


def press_for(contact_id: int):  # type: ignore[no-untyped-def]
    return lambda step, value="": ContactEdit(action=step, contact_id=contact_id, value=value)


def summary_text(line: contact_corrections.ContactLine, app: App) -> str:
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


def correct_menu_view(
    line: contact_corrections.ContactLine, app: App
) -> tuple[str, InlineKeyboardMarkup]:
    press = press_for(line.contact.id)
    buttons = field_buttons(press)
    text = summary_text(line, app) + "\n\n" + _("What needs correcting?")
    return text, inline_grid(buttons, columns=(3, 2), footer=[(_("✖ Close"), press(EditAct.CLOSE))])


def step_view(step: str | None, data: dict[str, Any], app: App) -> tuple[str, InlineKeyboardMarkup]:
    """A correction step: the toggles for guarantees or events, else a prompt with ⬅ Back."""
    press = press_for(data["contact_id"])
    if step == CorrectionForm.guarantees.state:
        return guarantees_prompt("✏️ " + data["name"]), guarantees_keyboard(press, data["problems"])
    if step == CorrectionForm.events.state:
        toggles = [
            (
                ("✔ " if event in data["events"] else "☐ ") + event.label,
                press(ContactStep.EVENT, event),
            )
            for event in ContactEvent
        ]
        text = (
            "✏️ "
            + data["name"]
            + "\n"
            + _("Anything that happened to the household? Tap all that apply.")
        )
        return text, inline_grid(
            [*toggles, (_(DONE), press(ContactStep.EVENTS_DONE))], columns=(2, 2, 1)
        )
    return step_prompt(step, app), inline_grid([(_("⬅ Back"), press(EditAct.CORRECT))])


def step_prompt(step: str | None, app: App) -> str:
    if step == CorrectionForm.typing_day.state:
        return _("Type the day of the contact, e.g. 3-5, 3月5日 or 5日.")
    if step == CorrectionForm.typing_income.state:
        return _("Type the yearly income per person in yuan, e.g. 5200.")
    if step == CorrectionForm.typing_note.state:
        return _("Type the new note (at most {limit} characters).").format(
            limit=app.settings.note_max_chars
        )
    return _(TAP_A_BUTTON)
