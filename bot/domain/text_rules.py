"""The one way text from people and uploads is taken in: typed answers, roster cells, the
platform's red-flag list, names given to the CLI.

- **Control characters** (NUL, ESC, backspace …: Unicode category Cc) and unpaired surrogates
  are refused, never dropped silently: PostgreSQL cannot store NUL and SQLite would, so both
  engines refuse the same text, and nothing that reaches a terminal or a spreadsheet can
  carry an escape code. The message names the character, so the person can find it.
- **Line breaks and tabs** are kept in texts of several lines (notes, reasons, measures). In
  one-line values (names, numbers, villages, document numbers) a line break is a slip of the
  keyboard or a spreadsheet's Alt+Enter: every run of spaces, tabs and line breaks becomes one
  space. A line break is any character Python's `str.splitlines()` breaks at (CR, CR LF, the
  vertical tab, form feed, the separators U+001C–U+001E, U+0085, U+2028, U+2029, which some
  phones and pasted documents bring): each becomes the one line feed `\n` at the door
  (`normalise_line_breaks`), so what is stored, searched and shown (split, previewed) is the
  same text on both engines.
- **Length** is counted in characters, as people count them, and a text over its limit is
  refused with the limit in the message. (How much of a stored text a Telegram message shows
  is another matter, measured in UTF-16 units: bot/text_preview.py.)
"""

from __future__ import annotations

import re

from bot.domain.validation import InvalidValue
from bot.i18n import N_

NAME_MAX_CHARS = 100  # a person's or household head's name, a village, a responsible person
SHORT_CODE_MAX_CHARS = 40  # 户编号, a group (组)
PHONE_MAX_CHARS = 32  # as typed, before it is checked as a phone number
DOCUMENT_MAX_CHARS = 100  # a county document number (文号)
CELL_MAX_CHARS = 200  # any other one-line spreadsheet cell (a phone, a category, risk types)

# Unicode's control characters (category Cc: U+0000–U+001F, U+007F–U+009F) but tab and the line
# breaks below, and the surrogates (category Cs), which no UTF-8 text can hold alone.
_REFUSED = re.compile("[\x00-\x08\x0e-\x1b\x1f\x7f-\x84\x86-\x9f\ud800-\udfff]")
# Every line boundary of str.splitlines(), CR LF counted as one.
_LINE_BREAK = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_SPACES = re.compile(r"\s+")

CONTROL_CHARACTER = N_(
    "This contains an invisible control character ({code}). Please type it again without it."
)
TOO_LONG = N_("That is too long: at most {limit} characters, you wrote {length}.")


def control_character(text: str) -> str | None:
    """The first control character (or unpaired surrogate) in `text` that no stored text may
    hold, as "U+001B"; None when there is none. Tabs and line breaks are not counted here."""
    found = _REFUSED.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def normalise_line_breaks(text: str) -> str:
    """`text` with every line break (see the module's docstring) made one `\n`."""
    return _LINE_BREAK.sub("\n", text)


def clean_text(value: str, limit: int, *, one_line: bool = False) -> str:
    """`value` trimmed, with every line break made `\n` (and, for a one-line value, every
    run of whitespace made one space); "" when nothing is left. Raises InvalidValue when it
    holds a control character or is longer than `limit` characters."""
    code = control_character(value)
    if code is not None:
        raise InvalidValue(CONTROL_CHARACTER, code=code)
    text = normalise_line_breaks(value).strip()
    if one_line:
        text = _SPACES.sub(" ", text)
    if len(text) > limit:
        raise InvalidValue(TOO_LONG, limit=limit, length=len(text))
    return text
