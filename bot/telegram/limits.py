"""Telegram's size limits, measured the way Telegram measures them.

Texts and captions are counted in UTF-16 code units, not Python characters: an emoji such as
👤 or 🏘 is one Python character but two units. Callback data is counted in UTF-8 bytes.
Every place that checks a Telegram limit uses these, with the UTF-16 measure of bot/utf16.py,
so nothing is refused for length.
"""

from __future__ import annotations

TEXT_LIMIT = 4096  # sendMessage, editMessageText (UTF-16 units)
CAPTION_LIMIT = 1024  # sendPhoto, sendDocument captions (UTF-16 units)
CALLBACK_DATA_BYTES = 64  # callback_data of an inline button (UTF-8 bytes)
CALLBACK_ANSWER_LIMIT = 200  # answerCallbackQuery text (UTF-16 units)
BUTTON_TEXT_LIMIT = 64  # longer labels are cut by the apps; keep them readable (UTF-16 units)


def callback_data_fits(data: str) -> bool:
    return len(data.encode("utf-8")) <= CALLBACK_DATA_BYTES
