"""Keyboards: the persistent main menu, and the one helper that builds inline button grids.

Callback data is a typed `CallbackData` factory per concern (each under Telegram's 64 bytes)
and is never trusted: the services check every id it carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.core.flags.acknowledgement import DEADLINE_CHOICES, FlagView
from bot.core.flags.removal import FlagAct
from bot.domain.model import FlagStatus, Role
from bot.i18n import N_
from bot.i18n import gettext as _

MY_HOUSEHOLDS = N_("🏠 My households")
THIS_MONTH = N_("📅 This month")
LOG_CONTACT = N_("✍️ Log a contact")
HELP = N_("❓ Help")
MENU_BUTTONS = (MY_HOUSEHOLDS, THIS_MONTH, LOG_CONTACT, HELP)


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
    household_id: int


class Page(CallbackData, prefix="pg"):
    """A page of "my households", or of a search in them. The search rides along so each
    list's ◀ ▶ keep to it; the search handler keeps it short enough for 64 bytes."""

    page: int
    search: str = ""


def main_menu(role: Role) -> ReplyKeyboardMarkup:
    rows = [
        [KeyboardButton(text=_(MY_HOUSEHOLDS)), KeyboardButton(text=_(LOG_CONTACT))],
        [KeyboardButton(text=_(THIS_MONTH)), KeyboardButton(text=_(HELP))],
    ]
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True, is_persistent=True)


def inline_grid(
    buttons: Iterable[tuple[str, CallbackData | str]],
    columns: int | Sequence[int] = 1,
    footer: Iterable[tuple[str, CallbackData | str]] = (),
) -> InlineKeyboardMarkup:
    """Buttons as (label, callback data) pairs, laid out `columns` per row; the `footer`
    buttons (paging, cancel) share one last row. `columns` may also give each row's size,
    the last size repeating (e.g. (1, 2) = one wide button, then pairs)."""
    builder = InlineKeyboardBuilder()
    for label, data in buttons:
        builder.button(text=label, callback_data=data)
    builder.adjust(*([columns] if isinstance(columns, int) else columns))
    footer = list(footer)
    if footer:
        last_row = InlineKeyboardBuilder()
        for label, data in footer:
            last_row.button(text=label, callback_data=data)
        last_row.adjust(len(footer))
        builder.attach(last_row)
    return builder.as_markup()


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
    flag_id: int
    days: int = 0


def flag_alert_keyboard(view: FlagView) -> InlineKeyboardMarkup:
    """The "✅ Acknowledge" button while nobody has, and the deadline choices in one row."""
    flag_id = view.flag.id
    acknowledge: list[tuple[str, CallbackData | str]] = []
    if view.flag.status == FlagStatus.RAISED:
        acknowledge.append(
            (_("✅ Acknowledge"), FlagAction(action=FlagAct.ACKNOWLEDGE, flag_id=flag_id))
        )
    deadlines: list[tuple[str, CallbackData | str]] = [
        (
            _("⏱ {days} days").format(days=days),
            FlagAction(action=FlagButton.DEADLINE, flag_id=flag_id, days=days),
        )
        for days in DEADLINE_CHOICES
    ]
    # The card: measures, the household's history, and the way to removal (销号).
    acknowledge.append((_("📋 Details"), FlagAction(action=FlagButton.OPEN, flag_id=flag_id)))
    return inline_grid(acknowledge, footer=deadlines)
