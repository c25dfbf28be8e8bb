"""Filters shared by the routers."""

from __future__ import annotations

from typing import Any

from aiogram.filters import BaseFilter
from aiogram.types import Message, TelegramObject

from bot.i18n import LANGUAGES, catalogs_version, use_language
from bot.i18n import gettext as _
from bot.messages.keyboards import MENU_BUTTONS


class Registered(BaseFilter):
    """Passes only for a registered, active person (the middleware put `actor` in the data)."""

    async def __call__(self, event: TelegramObject, actor: Any = None) -> bool:
        return actor is not None


class MenuButton(BaseFilter):
    """Matches a reply-keyboard button by its label in any language the bot speaks."""

    def __init__(self, *msgids: str) -> None:
        self.msgids = msgids
        self._labels: tuple[int, frozenset[str]] = (-1, frozenset())

    def labels(self) -> frozenset[str]:
        """The labels in every language, worked out again only when the catalogs change
        (every text message passes several of these filters)."""
        version, labels = self._labels
        if version != catalogs_version():
            labels = frozenset(
                label for language in LANGUAGES for label in self._in(language, self.msgids)
            )
            self._labels = (catalogs_version(), labels)
        return labels

    @staticmethod
    def _in(language: str, msgids: tuple[str, ...]) -> list[str]:
        with use_language(language):
            return [_(msgid) for msgid in msgids]

    async def __call__(self, message: Message) -> bool:
        return bool(message.text) and message.text in self.labels()


class FreeText(BaseFilter):
    """Text a person typed: not a /command and not a menu button in any language. Forms use it
    for their typed steps, so a menu press leaves the form instead of being taken as input."""

    async def __call__(self, message: Message) -> bool:
        if not message.text or message.text.startswith("/"):
            return False
        return not await MenuButton(*MENU_BUTTONS)(message)
