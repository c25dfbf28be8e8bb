"""Telegram's size limits, measured the way Telegram measures them.

Texts and captions are counted in UTF-16 code units, not Python characters: an emoji such as
👤 or 🏘 is one Python character but two units. Callback data is counted in UTF-8 bytes.
Every place that checks a Telegram limit uses these, so nothing is refused for length.
"""

from __future__ import annotations

TEXT_LIMIT = 4096  # sendMessage, editMessageText (UTF-16 units)
CAPTION_LIMIT = 1024  # sendPhoto, sendDocument captions (UTF-16 units)
CALLBACK_DATA_BYTES = 64  # callback_data of an inline button (UTF-8 bytes)
CALLBACK_ANSWER_LIMIT = 200  # answerCallbackQuery text (UTF-16 units)
BUTTON_TEXT_LIMIT = 64  # longer labels are cut by the apps; keep them readable (UTF-16 units)
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


def callback_data_fits(data: str) -> bool:
    return len(data.encode("utf-8")) <= CALLBACK_DATA_BYTES
