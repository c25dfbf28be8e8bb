"""Filters shared by the routers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.telegram import TelegramEventObserver
from aiogram.filters import BaseFilter
from aiogram.fsm.state import State
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
        return not await MENU_PRESS(message)


MENU_PRESS = MenuButton(*MENU_BUTTONS)  # one, so its labels are worked out once per catalog


def check_filters_inline(router: Router) -> None:
    """aiogram runs a filter that is not a coroutine in a thread (`asyncio.to_thread`); a
    magic filter (`F.chat.type == "private"`, `F.photo`) and a form's `State` are not
    coroutines, so every update paid a trip to a thread and back for each it passed (a
    dozen for a menu press). They only read the event and the form's state, so here they
    run in place, for `router` and every router under it. A filter of bangfu's own is a
    coroutine (tests/unit/test_telegram_limits.py checks none is left for a thread)."""
    for each in router.chain_tail:
        for observer in each.observers.values():
            if not isinstance(observer, TelegramEventObserver):
                continue
            for handler in [observer._handler, *observer.handlers]:
                for event_filter in handler.filters or ():
                    reads_only = event_filter.magic is not None or isinstance(
                        event_filter.callback, State
                    )
                    if reads_only and not event_filter.awaitable:
                        event_filter.callback = _in_place(event_filter.callback)
                        event_filter.awaitable = True


def _in_place(check: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    async def checked(*args: Any, **kwargs: Any) -> Any:
        return check(*args, **kwargs)

    return checked
