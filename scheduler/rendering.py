"""Turning an outbox row into the Telegram messages its reader sees.

Each kind of row has one renderer, registered with `@renderer("kind")`: an async function
`(uow, row, language) -> list[OutgoingMessage]` that reads what it needs from the database
when the row is sent, in the reader's language. An empty list means there is nothing left
to say (the sender then skips the row). Long lists go through `split_text`, so a message
never passes Telegram's 4,096 characters and no line is cut in two.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiogram.types import InlineKeyboardMarkup

from bot.i18n import use_language
from bot.storage.models import OutboxMessage
from bot.storage.uow import UnitOfWork

TELEGRAM_TEXT_LIMIT = 4096


@dataclass(frozen=True)
class OutgoingMessage:
    text: str
    reply_markup: InlineKeyboardMarkup | None = None

    def stored(self) -> dict[str, Any]:
        """JSON kept on the row, so a retry sends the very parts the first try rendered."""
        markup = self.reply_markup
        return {
            "text": self.text,
            "reply_markup": None
            if markup is None
            else markup.model_dump(mode="json", exclude_none=True),
        }

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> OutgoingMessage:
        markup = stored.get("reply_markup")
        return cls(
            stored["text"], None if markup is None else InlineKeyboardMarkup.model_validate(markup)
        )


Renderer = Callable[[UnitOfWork, OutboxMessage, str], Awaitable[list[OutgoingMessage]]]
RENDERERS: dict[str, Renderer] = {}


class NoRenderer(LookupError):
    """A row of a kind nobody registered a renderer for."""


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Register the function as the renderer of `kind` (one renderer per kind)."""

    def register(function: Renderer) -> Renderer:
        known = RENDERERS.get(kind)
        if known is not None and known is not function:
            raise ValueError(f"kind {kind!r} already has a renderer: {known.__qualname__}")
        RENDERERS[kind] = function
        return function

    return register


async def render(uow: UnitOfWork, row: OutboxMessage, language: str) -> list[OutgoingMessage]:
    """The row's messages in `language`; [] when there is nothing left to say."""
    function = RENDERERS.get(row.kind)
    if function is None:
        raise NoRenderer(f"no renderer for outbox kind {row.kind!r}")
    with use_language(language):
        return await function(uow, row, language)


def split_text(lines: Iterable[str], limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Join lines into as few texts as fit in `limit` characters, breaking only between
    lines. A single line longer than `limit` (no real list has one) is wrapped at spaces,
    or hard at the limit when it has none, rather than refused."""
    texts: list[str] = []
    current: list[str] = []
    size = 0
    for line in _fitting(lines, limit):
        added = len(line) + (1 if current else 0)
        if current and size + added > limit:
            texts.append("\n".join(current))
            current, size = [], 0
            added = len(line)
        current.append(line)
        size += added
    if current:
        texts.append("\n".join(current))
    # Telegram refuses empty texts; trailing blank lines are dropped from each.
    return [text.rstrip("\n") for text in texts if text.strip()]


def _fitting(lines: Iterable[str], limit: int) -> Iterable[str]:
    for line in lines:
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit + 1)
            cut = cut if cut > 0 else limit
            yield line[:cut]
            line = line[cut:].lstrip(" ")
        yield line
