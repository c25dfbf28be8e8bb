"""Keyboards: the persistent main menu, and the one helper that builds inline button grids.

Callback data is a typed `CallbackData` factory per concern (each under Telegram's 64 bytes)
and is never trusted: the services check every id it carries, and every number in it is a
`RowId`, so a forged one out of range never reaches a query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from enum import StrEnum
from functools import lru_cache
from typing import Annotated

from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from pydantic import Field

from bot.core.flags.acknowledgement import DEADLINE_CHOICES, FlagView, deadline_can_be_set
from bot.core.flags.removal import FlagAct
from bot.core.policy import Duty
from bot.domain.model import FlagStatus
from bot.i18n import N_
from bot.i18n import gettext as _

MAX_ROW = 8  # inline buttons in one row, as aiogram's keyboard builder allows
# A row's id (the tables' keys are PostgreSQL `integer`), a page or a number of days in callback
# data. A forged press beyond it ("xf:99999999999999999999") would overflow in the database,
# differently on SQLite and PostgreSQL; out of range, it matches no handler and is answered
# "this button is no longer active", as any outdated button.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Field(ge=0, le=MAX_ROW_ID)]

MY_HOUSEHOLDS = N_("🏠 My households")
THIS_MONTH = N_("📅 This month")
LOG_CONTACT = N_("✍️ Log a contact")
HELP = N_("❓ Help")
# The village's and the town office's desk (their /commands do the same).
RED_FLAGS = N_("🚩 Red flags")
NOT_CONTACTED = N_("📋 Not contacted")
SUMMARY = N_("📊 Monthly summary")
FORMS = N_("📤 Six forms")
ROSTER_CHANGES = N_("🗂 Roster changes")
FIND = N_("🔍 Find a household")
# The county office's desk.
TOWNS = N_("🏙 Towns compared")
AWAITING_COUNTY = N_("⚖️ County decisions")
MENU_BUTTONS = (
    MY_HOUSEHOLDS,
    THIS_MONTH,
    LOG_CONTACT,
    HELP,
    RED_FLAGS,
    NOT_CONTACTED,
    SUMMARY,
    FORMS,
    ROSTER_CHANGES,
    FIND,
    TOWNS,
    AWAITING_COUNTY,
)
BUTTONS_BY_DUTY: dict[Duty, tuple[str, ...]] = {
    Duty.OWN_HOUSEHOLDS: (MY_HOUSEHOLDS, LOG_CONTACT, THIS_MONTH),
    Duty.VILLAGE: (RED_FLAGS, NOT_CONTACTED, FORMS),
    Duty.TOWN_OFFICE: (RED_FLAGS, NOT_CONTACTED, SUMMARY, FORMS, ROSTER_CHANGES, FIND),
    Duty.COUNTY_OFFICE: (TOWNS, AWAITING_COUNTY, RED_FLAGS, SUMMARY, FORMS, FIND),
}


class HouseholdAct(StrEnum):
    """What a button on a household does."""

    CARD = "card"  # open its card
    LOG = "log"  # ✍️ log a contact
    RISK = "risk"  # 🚩 report a risk
    HISTORY = "history"  # 📜 its history
    MEASURE = "measure"  # ➕ add a measure to its plan
    REASSIGN = "reassign"  # give it another contact person (town office)
    CATEGORY = "category"  # 🔁 change its category (town office)
    ADJUST = "adjust"  # ➖ adjust it out of monitoring (town office)


class HouseholdAction(CallbackData, prefix="hh"):
    """A press on a household; its id is untrusted, the services check it."""

    action: HouseholdAct
    household_id: RowId


class Page(CallbackData, prefix="pg"):
    """A page of "my households", or of a search in them. The search rides along so each
    list's ◀ ▶ keep to it; the search handler keeps it short enough for 64 bytes."""

    page: RowId
    search: str = ""


class LogPage(CallbackData, prefix="lg"):
    """A page of the ✍️ picker: the person's households not yet contacted this month, or
    those matching a search typed in it (kept short enough for 64 bytes by the handler)."""

    page: RowId
    search: str = ""


class Backlog(CallbackData, prefix="bl"):
    """From an escalation: one contact person's households left this month (0: nobody's)."""

    person_id: RowId
    page: RowId = 0
    turn: bool = False  # ◀ ▶ (edit the list in place), not the first press (a new message)


class RemindNow(CallbackData, prefix="rn"):
    """From an escalation: one private reminder to this contact person, now."""

    person_id: RowId


class NewInvite(CallbackData, prefix="ni"):
    """From a "never opened the invitation" notice: issue a new link to forward."""

    person_id: RowId


def pager(
    page: int, pages: int, turn: Callable[[int], CallbackData]
) -> list[tuple[str, CallbackData | str]]:
    """The ◀ ▶ buttons of a paged list (none on a single page), with where the reader is."""
    if pages <= 1:
        return []
    buttons: list[tuple[str, CallbackData | str]] = []
    if page > 0:
        buttons.append((_("◀ Previous"), turn(page - 1)))
    if page + 1 < pages:
        buttons.append((_("Next ▶"), turn(page + 1)))
    return buttons


def main_menu(duties: Iterable[Duty]) -> ReplyKeyboardMarkup:
    """The person's reply keyboard: the buttons of each of their duties, two to a row, then
    ❓ Help."""
    labels = [label for duty in duties for label in BUTTONS_BY_DUTY[duty]] + [HELP]
    buttons = [KeyboardButton(text=_(label)) for label in labels]
    rows = [buttons[start : start + 2] for start in range(0, len(buttons), 2)]
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, is_persistent=True)


def inline_grid(
    buttons: Iterable[tuple[str, CallbackData | str]],
    columns: int | Sequence[int] = 1,
    footer: Iterable[tuple[str, CallbackData | str]] = (),
) -> InlineKeyboardMarkup:
    """Buttons as (label, callback data) pairs, laid out `columns` per row; the `footer`
    buttons (paging, cancel) share one last row. `columns` may also give each row's size,
    the last size repeating (e.g. (1, 2) = one wide button, then pairs). Rows hold 1 to 8
    buttons, as Telegram shows them."""
    made = [_button(label, data) for label, data in buttons]
    sizes = [
        min(max(size, 1), MAX_ROW) for size in ([columns] if isinstance(columns, int) else columns)
    ]
    rows: list[list[InlineKeyboardButton]] = []
    start = 0
    while start < len(made):
        size = sizes[min(len(rows), len(sizes) - 1)]
        rows.append(made[start : start + size])
        start += size
    last_row = [_button(label, data) for label, data in footer]
    for begin in range(0, len(last_row), MAX_ROW):
        rows.append(last_row[begin : begin + MAX_ROW])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _button(label: str, data: CallbackData | str) -> InlineKeyboardButton:
    # Made directly: aiogram's InlineKeyboardBuilder deep-copies every button on export,
    # which cost more than the rest of a list's reply.
    packed = _packed(data) if isinstance(data, CallbackData) else data
    return _made_button(label, packed)


_PACKED: dict[tuple[object, ...], str] = {}


def _packed(data: CallbackData) -> str:
    """`data.pack()`, kept by the data's kind and values (aiogram's pack dumps the model and
    encodes each field: a few µs, for every button of every list). A value pack refuses
    raises each time, as aiogram's does."""
    key = (type(data), *data.__dict__.values())
    packed = _PACKED.get(key)
    if packed is None:
        if len(_PACKED) >= 8192:
            _PACKED.clear()
        packed = _PACKED[key] = data.pack()
    return packed


@lru_cache(maxsize=8192)
def _made_button(label: str, packed: str) -> InlineKeyboardButton:
    """One button object per label and data, shared by the keyboards that show it: making
    one (pydantic validation) was most of a page of households' keyboard. Nothing changes a
    button once made (the session shortens a label on a copy)."""
    return InlineKeyboardButton(text=label, callback_data=packed)


class FlagButton(StrEnum):
    """Flag buttons that are not an act on the flag itself (those are FlagAct's)."""

    OPEN = "open"  # 📋 open the flag's card
    DEADLINE = "deadline"  # ⏱ set the deadline to `days`
    # The office's answer when a flag's contact was taken back after it acted on the flag.
    KEEP = "keep"  # 🚩 keep the flag open
    RETRACT = "retract"  # ↩️ withdraw it


class FlagAction(CallbackData, prefix="flag"):
    """A press under a red-flag alert or card: one of the acts the flag's card offers
    (acknowledge, add a measure, ask for or decide its removal), or open its card, or give a
    deadline of `days`. The flag id is untrusted: the services check it."""

    action: FlagAct | FlagButton
    flag_id: RowId
    days: RowId = 0


def flag_alert_keyboard(view: FlagView, today: date) -> InlineKeyboardMarkup:
    """Only what can still be done: "✅ Acknowledge" while nobody has, the deadline choices
    while there is no deadline (or it has passed) and no removal is asked for, and always
    📋 Details."""
    flag_id = view.flag.id
    acknowledge: list[tuple[str, CallbackData | str]] = []
    if view.flag.status == FlagStatus.RAISED:
        acknowledge.append(
            (_("✅ Acknowledge"), FlagAction(action=FlagAct.ACKNOWLEDGE, flag_id=flag_id))
        )
    deadlines: list[tuple[str, CallbackData | str]] = []
    if deadline_can_be_set(view.flag, today):
        deadlines = [
            (
                _("⏱ {days} days").format(days=days),
                FlagAction(action=FlagButton.DEADLINE, flag_id=flag_id, days=days),
            )
            for days in DEADLINE_CHOICES
        ]
    # The card: measures, the household's history, and the way to removal (销号).
    acknowledge.append((_("📋 Details"), FlagAction(action=FlagButton.OPEN, flag_id=flag_id)))
    return inline_grid(acknowledge, footer=deadlines)
