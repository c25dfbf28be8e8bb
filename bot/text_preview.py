"""How much of a stored text a Telegram message shows.

Texts are capped where they enter (bot/domain/text_rules.py), but a message must stay readable
and within Telegram's 4,096 UTF-16 units whatever is stored: rows written before the caps, a
limit raised in the settings, a note full of emoji (two units each). So every message that
shows a reason, a note, a measure or a meeting record shows at most these many units of it,
ending in "…"; the whole text stays in the database, the household's history (one line each)
and the exported spreadsheets.
"""

from __future__ import annotations

from bot.utf16 import shorten

# UTF-16 units (as Telegram counts), chosen so that a message with its own lines and a few
# such texts stays far below the 4,096 of one message.
IN_FULL = 1000  # the one text a message is about: a flag's reason in its alert or card
IN_LIST = 200  # each of several: a card's open flags, a history's measures, a flag's steps
ECHO = 200  # a value someone typed, quoted back in a message that refuses it
NAME = 40  # who did a step, inside a line: names are a few characters, capped at 100


def preview(text: str | None, limit: int = IN_LIST, *, one_line: bool = False) -> str:
    """`text` (or "" for None) within `limit` UTF-16 units, ending in "…" when cut.
    `one_line` folds line breaks into spaces, for a text shown inside a list's line."""
    text = text or ""
    if one_line:
        text = " ".join(text.split())
    return shorten(text, limit)
