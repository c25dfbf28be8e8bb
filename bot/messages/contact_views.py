"""What a contact looks like on a phone: the texts and buttons that logging a contact and
correcting one share (the channel buttons, the six-guarantee toggles, the summary)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardMarkup

from bot.core.coverage.progress import MonthProgress
from bot.core.flags.retraction import FlagsFollowed
from bot.domain.model import ContactChannel, ContactEvent, Guarantee
from bot.domain.problems import item_name, problem_list
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages.keyboards import inline_grid
from bot.text_preview import IN_FULL, preview

ALL_FINE = N_("✅ All six fine")
DONE = N_("Done ➡")
TAP_A_BUTTON = N_("Please tap one of the buttons.")


class ContactStep(StrEnum):
    """The buttons of a contact's steps, shared by logging a contact and correcting one: the
    `step` of the contact form's callback data, an `action` of the correction's."""

    CHANNEL = "channel"  # a channel chosen (its value)
    GUARANTEE = "guarantee"  # one guarantee's problem switched on or off
    ALL_FINE = "all_fine"  # ✅ all six fine
    GUARANTEES_DONE = "guarantees_done"
    EVENT = "event"  # one event switched on or off
    EVENTS_DONE = "events_done"
    DAY = "day"  # 📅 today ("0") or yesterday ("1")
    TYPE_DAY = "type_day"  # 📅 another day, typed
    HOW = "how"  # the extras of the confirm screen (or the correct menu), each opening its step
    GUARANTEES = "guarantees"
    EVENTS = "events"
    INCOME = "income"
    NOTE = "note"
    PHOTO = "photo"
    BACK = "back"  # from an extra back to the confirm screen
    SAVE = "save"
    CANCEL = "cancel"


Press = Callable[..., CallbackData]  # (step: ContactStep, value="") → the button's callback data


def day_label(day: date, today: date) -> str:
    if day == today:
        return _("{day} (today)").format(day=day.isoformat())
    if (today - day).days == 1:
        return _("{day} (yesterday)").format(day=day.isoformat())
    return day.isoformat()


def problems_label(problems: Sequence[str]) -> str:
    """The six guarantees on a summary: all fine, or each problem named as a problem."""
    if not problems:
        return _("✅ all fine")
    return "❌ " + problem_list(problems)


def contact_summary(
    name: str,
    day: date,
    today: date,
    channel: str,
    problems: Sequence[str],
    *,
    events: Sequence[str] = (),
    income: Decimal | None = None,
    note: str | None = None,
    photo: bool = False,
) -> str:
    """A contact in a few short lines, one fact per line."""
    lines = [
        _("Household: {name}").format(name=name),
        _("Date: {day}").format(day=day_label(day, today)),
        _("How: {channel}").format(channel=ContactChannel(channel).label),
        _("Six guarantees: {problems}").format(problems=problems_label(problems)),
    ]
    if income is not None:
        lines.append(_("Income: {amount} yuan per person per year").format(amount=f"{income:,.0f}"))
    if events:
        labels = _(", ").join(ContactEvent(key).label for key in events)
        lines.append(_("Events: {events}").format(events=labels))
    if note:
        lines.append(_("Note: {note}").format(note=preview(note, IN_FULL)))
    if photo:
        lines.append(_("Photo: attached 📷"))
    return "\n".join(lines)


def followed_flags_lines(flags: FlagsFollowed) -> list[str]:
    """What became of the red flags a corrected or withdrawn contact had raised."""
    lines = []
    if flags.withdrawn:
        lines.append(_("↩️ The red flag it raised is withdrawn; the town office has been told."))
    if flags.narrowed:
        lines.append(_("🚩 The red flag it raised now names only the problems still reported."))
    if flags.asked:
        lines.append(
            _(
                "🚩 The town office has already acted on the red flag it raised, so it stays "
                "until they decide; they have been asked."
            )
        )
    return lines


def progress_line(progress: MonthProgress) -> str:
    line = _("This month: {contacted}/{total} contacted").format(
        contacted=progress.contacted, total=progress.total
    )
    if progress.total and progress.contacted == progress.total:
        line += "\n" + _("All your households are contacted this month. Well done! 🎉")
    return line


def channel_keyboard(
    press: Press, footer: Sequence[tuple[str, CallbackData]] = ()
) -> InlineKeyboardMarkup:
    buttons = [(channel.label, press(ContactStep.CHANNEL, channel)) for channel in ContactChannel]
    return inline_grid(buttons, columns=(1, 2), footer=footer)


def guarantee_toggle_label(key: Guarantee, problems: Sequence[str]) -> str:
    """The item and its state side by side ("住房安全 ✅ 有保障" / "住房安全 ❌ 有问题"): a
    bare ✔ beside "住房安全有保障" read as "fine" while it was the button to mark a problem."""
    if key in problems:
        return _("{item} ❌ problem").format(item=item_name(key))
    return _("{item} ✅ fine").format(item=item_name(key))


def guarantees_keyboard(press: Press, problems: Sequence[str]) -> InlineKeyboardMarkup:
    """One big "all six fine" button, a toggle per guarantee showing its state, and Done."""
    toggles = [
        (guarantee_toggle_label(key, problems), press(ContactStep.GUARANTEE, key))
        for key in Guarantee
    ]
    buttons = [
        (_(ALL_FINE), press(ContactStep.ALL_FINE)),
        *toggles,
        (_(DONE), press(ContactStep.GUARANTEES_DONE)),
    ]
    return inline_grid(buttons, columns=(1, 2, 2, 2, 1))


def guarantees_prompt(header: str) -> str:
    return (
        header
        + "\n"
        + _(
            "The six guarantees (两不愁三保障一安全): tap ✅ All six fine, or tap an item "
            "to switch it between ✅ fine and ❌ problem, then Done."
        )
    )


def day_buttons(press: Press) -> list[tuple[str, CallbackData]]:
    return [
        (_("📅 Today"), press(ContactStep.DAY, "0")),
        (_("📅 Yesterday"), press(ContactStep.DAY, "1")),
        (_("📅 Other day"), press(ContactStep.TYPE_DAY)),
    ]


def field_buttons(press: Press) -> list[tuple[str, CallbackData]]:
    """The buttons that change one part of a contact (the form's confirm screen, a
    correction): its day, how, the six guarantees, income, events, note."""
    return [
        *day_buttons(press),
        (_("📞 How"), press(ContactStep.HOW)),
        (_("🛡 Six guarantees"), press(ContactStep.GUARANTEES)),
        (_("💰 Income"), press(ContactStep.INCOME)),
        (_("⚠️ Events"), press(ContactStep.EVENTS)),
        (_("📝 Note"), press(ContactStep.NOTE)),
    ]
