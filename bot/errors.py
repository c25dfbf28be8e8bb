"""Errors the services raise for people to read. The text is a gettext msgid rendered late,
in the language of whoever reads it (a contact person, the CLI operator)."""

from __future__ import annotations

from typing import Any

from bot.i18n import gettext
from bot.text_preview import ECHO, preview


def render_message(msgid: str, params: dict[str, Any]) -> str:
    """The message in the current language. A text parameter (often what someone typed or
    uploaded: a village, a phone, a cell) is quoted at most ECHO units long, so a refusal of a
    4,000-character answer still reaches the person."""
    shown = {
        key: preview(value, ECHO, one_line=True) if isinstance(value, str) else value
        for key, value in params.items()
    }
    return gettext(msgid).format(**shown)


class ReadableError(Exception):
    """An error people read: a msgid (with `params`) rendered in the reader's language."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params

    def render(self) -> str:
        return render_message(self.msgid, self.params)


class DomainError(ReadableError):
    """A use case refused: not allowed, not found, a broken rule, a clash with the state."""


class NotAllowed(DomainError):
    """The actor may not see or change this; also raised for forged ids."""


class Deactivated(NotAllowed):
    """The Telegram account belongs to a person the town office deactivated."""


class NotFound(DomainError):
    pass


class InvalidInput(DomainError):
    """User input broke a rule; the message names the rule."""


class Conflict(DomainError):
    """The action clashes with the current state (already used, already saved …)."""
