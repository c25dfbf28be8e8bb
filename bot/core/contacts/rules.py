"""The rules a contact must keep (日期、收入、备注、照片), with the messages that name them.

Pure functions, no database: `log_contact` and `correct_contact` apply them when saving, and
the form applies the same ones as each value is typed, so a mistake is named at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from bot.config import Settings
from bot.core.free_text import optional_text
from bot.domain import validation
from bot.domain.model import ContactChannel, ContactEvent, Guarantee
from bot.domain.validation import MAX_INCOME
from bot.errors import InvalidInput
from bot.i18n import N_

# A sanity bound against typos (an extra zero or two), far above any monitored household.

FUTURE_DAY = N_("The date cannot be in the future: today is {today}.")
TOO_FAR_BACK = N_("The date can be at most {days} days back, so not before {earliest}.")
BEFORE_ASSIGNMENT = N_("The date cannot be before this household was assigned to you ({start}).")
BAD_INCOME = N_("The income must be a number of yuan from 0 up to {limit}, e.g. 5200.")
PHOTO_NOT_HOME_VISIT = N_("A photo can be added only to a home visit.")
UNKNOWN_CHOICE = N_("That choice is not on the list. Please use the buttons.")


def toggled(
    values: Iterable[str], value: str, kind: type[Guarantee] | type[ContactEvent]
) -> list[str]:
    """`values` with `value` switched on or off, in the domain's order: a form's toggle button."""
    chosen = set(values) ^ {value}
    return [str(member) for member in kind if member in chosen]


def choices(values: Iterable[str], kind: type[Guarantee] | type[ContactEvent]) -> list[str]:
    """Known members only, each once, in the domain's own order."""
    try:
        chosen = {kind(value) for value in values}
    except ValueError:
        raise InvalidInput(UNKNOWN_CHOICE) from None
    return [str(member) for member in kind if member in chosen]


def channel(value: str) -> ContactChannel:
    try:
        return ContactChannel(value)
    except ValueError:
        raise InvalidInput(UNKNOWN_CHOICE) from None


def validate_note(settings: Settings, note: str | None) -> str | None:
    """The note, trimmed (None when empty); refused over `note_max_chars` or with a control
    character."""
    return optional_text(note, settings.note_max_chars)


def validate_income(income: Decimal) -> Decimal:
    if not income.is_finite() or not Decimal(0) <= income < MAX_INCOME:
        raise InvalidInput(BAD_INCOME, limit=f"{MAX_INCOME - 1:,.0f}")
    return income.quantize(Decimal("0.01"))


def parse_income(text: str) -> Decimal:
    """A typed yearly income per person (the roster's one parser), with the form's message."""
    try:
        return validation.parse_income(text)
    except validation.InvalidValue:
        raise InvalidInput(BAD_INCOME, limit=f"{MAX_INCOME - 1:,.0f}") from None


def validate_day(settings: Settings, today: date, day: date, assigned_on: date) -> None:
    """The day a contact happened: not in the future, at most `max_backdate_days` back, and
    not before the person's assignment to the household began."""
    if day > today:
        raise InvalidInput(FUTURE_DAY, today=today.isoformat())
    earliest = today - timedelta(days=settings.max_backdate_days)
    if day < earliest:
        raise InvalidInput(
            TOO_FAR_BACK, days=settings.max_backdate_days, earliest=earliest.isoformat()
        )
    if day < assigned_on:
        raise InvalidInput(BEFORE_ASSIGNMENT, start=assigned_on.isoformat())
