"""Text lengths in UTF-16 code units, the way Telegram (and its apps) count them.

An emoji such as 👤 or 🏘 is one Python character but two units; a Chinese character is one.
Neutral ground: the core measures what it shows (bot/text_preview.py) and the Telegram adapter
checks its limits (bot/telegram/limits.py) with the same functions, and neither depends on the
other.
"""

from __future__ import annotations

ELLIPSIS = "…"


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def utf16_prefix(text: str, limit: int) -> str:
    """The longest prefix of `text` of at most `limit` UTF-16 units, never cutting a
    surrogate pair (an emoji) in two."""
    if utf16_len(text) <= limit:
        return text
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text


def shorten(text: str, limit: int) -> str:
    """`text` if it fits in `limit` UTF-16 units, else its start and "…" within `limit`."""
    if utf16_len(text) <= limit:
        return text
    return utf16_prefix(text, limit - utf16_len(ELLIPSIS)).rstrip() + ELLIPSIS
