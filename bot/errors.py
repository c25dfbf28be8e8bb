"""Errors the services raise for people to read. The text is a gettext msgid rendered late,
in the language of whoever reads it (a contact person, the CLI operator)."""

from __future__ import annotations

from typing import Any

from bot.i18n import gettext


class DomainError(Exception):
    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params

    def render(self) -> str:
        return gettext(self.msgid).format(**self.params)


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
