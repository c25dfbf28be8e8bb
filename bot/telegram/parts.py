"""Long texts cut into parts Telegram accepts, measured as Telegram measures them (UTF-16
units, `bot/telegram/limits.py`): between lines, a line longer than a part wrapped at a space,
never a character lost and never an emoji cut in two.

The outbox (`bot/messages/rendering.py`) and the bot's HTTP session (`bot/telegram/session.py`)
both cut with these, so a list, a reply or a caption of any length arrives whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from bot.telegram.limits import CAPTION_LIMIT, TEXT_LIMIT
from bot.utf16 import utf16_len, utf16_prefix

# How Telegram words a refusal for length (sendMessage, editMessageText, captions, answers).
LENGTH_REFUSALS = (
    "message is too long",
    "message_too_long",
    "text is too long",
    "caption is too long",
    "caption_too_long",
)


def split_text(lines: Iterable[str], limit: int = TEXT_LIMIT) -> list[str]:
    """Join lines into as few texts as fit in `limit` UTF-16 units, breaking only between
    lines. A single line longer than `limit` is wrapped at spaces, or hard at the limit when
    it has none, rather than refused. Blank texts are dropped (Telegram refuses them)."""
    texts: list[str] = []
    current: list[str] = []
    size = 0
    for line in _fitting(lines, limit):
        width = utf16_len(line)
        added = width + (1 if current else 0)
        if current and size + added > limit:
            texts.append("\n".join(current))
            current, size, added = [], 0, width
        current.append(line)
        size += added
    if current:
        texts.append("\n".join(current))
    return [text.rstrip("\n") for text in texts if text.strip()]


def split_caption(
    text: str, caption_limit: int = CAPTION_LIMIT, text_limit: int = TEXT_LIMIT
) -> list[str]:
    """A file's caption and what does not fit in it: the first item fits in a caption (it may
    be empty), the rest are texts sent after the file, each within `text_limit`."""
    head, *rest = split_text([text], caption_limit) or [""]
    if not rest:
        return [head]
    return [head, *split_text(rest, text_limit)]


def is_length_refusal(description: str) -> bool:
    """Whether Telegram refused a call because a text or caption is too long."""
    lowered = description.lower()
    return any(words in lowered for words in LENGTH_REFUSALS)


def _fitting(lines: Iterable[str], limit: int) -> Iterator[str]:
    for text in lines:
        for line in text.split("\n"):
            while utf16_len(line) > limit:
                prefix = utf16_prefix(line, limit)
                cut = prefix.rfind(" ")
                cut = cut if cut > 0 else max(len(prefix), 1)
                yield line[:cut]
                line = line[cut:].lstrip(" ")
            yield line
