"""Text a person types for a field (a note, a reason, a measure, a name), checked by the one
rule of bot/domain/text_rules.py and refused with InvalidInput, whose message states the
limit or names the control character. Every service that stores typed text uses these, and
the forms call the same services' checks at each step, so a mistake is named at once."""

from __future__ import annotations

from bot.domain.text_rules import clean_text
from bot.domain.validation import InvalidValue
from bot.errors import InvalidInput


def optional_text(text: str | None, limit: int, *, one_line: bool = False) -> str | None:
    """The text trimmed, or None when empty; InvalidInput over `limit` characters or with a
    control character."""
    try:
        return clean_text(text or "", limit, one_line=one_line) or None
    except InvalidValue as problem:
        raise InvalidInput(problem.msgid, **problem.params) from None


def required_text(text: str | None, limit: int, missing: str, *, one_line: bool = False) -> str:
    """As `optional_text`, and InvalidInput(`missing`) when empty."""
    cleaned = optional_text(text, limit, one_line=one_line)
    if cleaned is None:
        raise InvalidInput(missing)
    return cleaned
