"""The one way to Telegram: the Bot's HTTP session, with two request middlewares
(aiogram.client.session.middlewares) that every call passes through, whoever makes it:
a handler's reply or edit, a document, a button answer, the outbox sender.

- `SplitOverLimit`: nothing is refused for length. A text over Telegram's 4,096 UTF-16 units
  goes as several messages, split between lines, the keyboard on the last; an edit over the
  limit edits in the first part and sends the rest after it; a caption over 1,024 units goes
  with the file cut short, the rest as messages after the file; a button answer over 200
  units is shortened (it cannot be split), and so is an inline button's label over 64 units
  (so a keyboard of long names stays readable and under Telegram's size for a keyboard).
  Formatting entities are dropped from split texts (bangfu sends plain text).
- `PacedCalls`: one `Pacer` (pacing.py) for every message sent or edited, replies first;
  the outbox sender marks its calls with `background_sends()`. A 429 "retry after" holds every
  send that long, then the same call is made again: a person always gets their answer. A
  reply that meets a `5xx` or a network error is made again too, after 1, 2, 4 … seconds
  (`REPLY_RETRY_DELAYS`, about a minute in all), then given up and logged. (A connection
  lost after Telegram accepted the message shows it twice: better than no answer.) So is
  every other call a handler or the start-up makes (a button's answer, getMe, getFile...),
  except inside `single_try()`: `bangfu doctor`'s checks fail at once. The outbox sender's
  calls are not retried here: it keeps its own backoff in the database.

`KeepResponseModels` only keeps aiogram's answer models alive (see there).

`build_bot` (bot/telegram/app.py) installs them on the one Bot that polls and sends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.client.session.middlewares.base import NextRequestMiddlewareType as Next
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import InlineKeyboardMarkup

from bot.telegram.limits import (
    BUTTON_TEXT_LIMIT,
    CALLBACK_ANSWER_LIMIT,
    CAPTION_LIMIT,
    TEXT_LIMIT,
)
from bot.telegram.pacing import ChatKey, Priority, SendPacer
from bot.telegram.parts import split_caption, split_text
from bot.utf16 import shorten, utf16_len

log = logging.getLogger(__name__)

_BACKGROUND: ContextVar[bool] = ContextVar("bangfu_background_send", default=False)
_SINGLE_TRY: ContextVar[bool] = ContextVar("bangfu_single_try", default=False)
# Calls that post a message without starting with "send" (sendChatAction posts nothing).
POSTING = frozenset({"copyMessage", "copyMessages", "forwardMessage", "forwardMessages"})
NOT_POSTING = frozenset({"sendChatAction"})
# Long polling has its own back-off in aiogram and is no message: never paced nor retried here.
UNTOUCHED = frozenset({"getUpdates"})
# Seconds a reply waits before each new try after a 5xx or a network error: bounded, so a
# handler is not held forever by a Telegram outage.
REPLY_RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)


@contextmanager
def _true_within(flag: ContextVar[bool]) -> Iterator[None]:
    token = flag.set(True)
    try:
        yield
    finally:
        flag.reset(token)


def background_sends() -> AbstractContextManager[None]:
    """Calls made inside are the outbox sender's: they take only the slots replies leave."""
    return _true_within(_BACKGROUND)


def single_try() -> AbstractContextManager[None]:
    """Calls made inside are made once: a check (`bangfu doctor`, a command at the terminal)
    says at once that Telegram or the proxy refused, instead of trying for a minute."""
    return _true_within(_SINGLE_TRY)


def install(session: BaseSession, pacer: SendPacer) -> None:
    """Put the session's calls through the splitter, then the pacer (outermost first)."""
    session.middleware(KeepResponseModels())
    session.middleware(SplitOverLimit())
    session.middleware(PacedCalls(pacer))


class KeepResponseModels(BaseRequestMiddleware):
    """aiogram reads every answer with `Response[method's result type]`, a pydantic generic
    model made on first use and cached by pydantic only while something else refers to it:
    so it was built again, schema and validator, for most answers (about 3 ms each). Held
    here, each is built once per process."""

    def __init__(self) -> None:
        self.models: dict[Any, type[Response[Any]]] = {}

    async def __call__(
        self, make_request: Next[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Any:
        returning = method.__returning__
        if returning not in self.models:
            self.models[returning] = Response[returning]  # type: ignore[valid-type]
        return await make_request(bot, method)


def pacer_of(bot: Bot) -> SendPacer:
    """The pacer every call of this bot goes through."""
    for middleware in bot.session.middleware:
        if isinstance(middleware, PacedCalls):
            return middleware.pacer
    raise LookupError("this Bot has no pacer: build it with bot.telegram.app.build_bot")


class PacedCalls(BaseRequestMiddleware):
    def __init__(self, pacer: SendPacer) -> None:
        self.pacer = pacer

    async def __call__(
        self, make_request: Next[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Any:
        name = method.__api_method__
        if name in UNTOUCHED:
            return await make_request(bot, method)
        priority = Priority.BACKGROUND if _BACKGROUND.get() else Priority.REPLY
        paced, chat_id = _pacing(method)
        retried = priority is Priority.REPLY and not _SINGLE_TRY.get()
        failures = 0
        while True:
            if paced:
                await self.pacer.acquire(chat_id, priority)
            try:
                return await make_request(bot, method)
            except (TelegramServerError, TelegramNetworkError) as error:
                if not retried or failures == len(REPLY_RETRY_DELAYS):
                    raise
                delay = REPLY_RETRY_DELAYS[failures]
                failures += 1
                log.warning(
                    "%s to chat %s failed (%s); try %s in %ss",
                    *(name, chat_id, error, failures, delay),
                )
                await asyncio.sleep(delay)
            except TelegramRetryAfter as error:
                log.warning(
                    "Telegram asks to wait %ss (%s to chat %s); it is sent again then",
                    error.retry_after,
                    name,
                    chat_id,
                )
                self.pacer.pause(error.retry_after)
                paced = True  # the next try waits out the pause


def _pacing(method: TelegramMethod[Any]) -> tuple[bool, ChatKey | None]:
    """Whether the call is paced, and for which chat: a new message counts for its chat and
    overall, an edit overall only; other calls (button answers, getMe...) are no messages."""
    name = method.__api_method__
    if (name.startswith("send") and name not in NOT_POSTING) or name in POSTING:
        return True, getattr(method, "chat_id", None)
    if name.startswith("edit"):
        return True, None
    return False, None


class SplitOverLimit(BaseRequestMiddleware):
    async def __call__(
        self, make_request: Next[TelegramType], bot: Bot, method: TelegramMethod[TelegramType]
    ) -> Any:
        markup = getattr(method, "reply_markup", None)
        if isinstance(markup, InlineKeyboardMarkup) and _long_labels(markup):
            method = method.model_copy(update={"reply_markup": _shortened(markup)})
        if isinstance(method, SendMessage) and utf16_len(method.text) > TEXT_LIMIT:
            return await self._send_text(make_request, bot, method)
        if isinstance(method, EditMessageText) and utf16_len(method.text or "") > TEXT_LIMIT:
            return await self._edit_text(make_request, bot, method)
        caption = getattr(method, "caption", None)
        if isinstance(caption, str) and utf16_len(caption) > CAPTION_LIMIT:
            return await self._with_caption(make_request, bot, method, caption)
        if isinstance(method, AnswerCallbackQuery) and method.text:
            method = method.model_copy(update={"text": shorten(method.text, CALLBACK_ANSWER_LIMIT)})
        return await make_request(bot, method)

    async def _send_text(self, make_request: Next[Any], bot: Bot, method: SendMessage) -> Any:
        """Every part as its own message, in order; the caller gets the last one (the one
        with the keyboard)."""
        first, *rest = split_text([method.text], TEXT_LIMIT) or [""]
        sent = await make_request(bot, _part(method, first, bool(rest)))
        return await _send_rest(bot, method, rest) or sent

    async def _edit_text(self, make_request: Next[Any], bot: Bot, method: EditMessageText) -> Any:
        first, *rest = split_text([method.text or ""], TEXT_LIMIT) or [""]
        if method.chat_id is None:  # an inline message: there is no chat to send the rest to
            return await make_request(bot, _part(method, shorten(method.text or "", TEXT_LIMIT)))
        edited = await make_request(bot, _part(method, first, bool(rest)))
        await _send_rest(bot, method, rest)
        return edited

    async def _with_caption(
        self,
        make_request: Next[Any],
        bot: Bot,
        method: TelegramMethod[Any],
        caption: str,
    ) -> Any:
        """The file with its caption cut short, then the rest of the caption as messages; the
        caller gets the file's message."""
        head, *rest = split_caption(caption)
        update: dict[str, Any] = {"caption": head or None, "caption_entities": None}
        if rest:
            update["reply_markup"] = None
        sent = await make_request(bot, method.model_copy(update=update))
        if getattr(method, "chat_id", None) is not None:
            await _send_rest(bot, method, rest)
        return sent


def _long_labels(markup: InlineKeyboardMarkup) -> bool:
    return any(
        utf16_len(button.text) > BUTTON_TEXT_LIMIT
        for row in markup.inline_keyboard
        for button in row
    )


def _shortened(markup: InlineKeyboardMarkup) -> InlineKeyboardMarkup:
    rows = [
        [
            button.model_copy(update={"text": shorten(button.text, BUTTON_TEXT_LIMIT)})
            for button in row
        ]
        for row in markup.inline_keyboard
    ]
    return markup.model_copy(update={"inline_keyboard": rows})


def _part(method: SendMessage | EditMessageText, text: str, more: bool = False) -> Any:
    """The call with `text`, its keyboard kept only if no part comes after it."""
    update: dict[str, Any] = {"text": text, "entities": None}
    if more:
        update["reply_markup"] = None
    return method.model_copy(update=update)


async def _send_rest(bot: Bot, method: TelegramMethod[Any], texts: list[str]) -> Any:
    """The parts after the first, to the same chat (and topic), through the whole session:
    each is paced like any message. The keyboard goes on the last. Returns the last sent."""
    sent = None
    for number, text in enumerate(texts, start=1):
        sent = await bot(
            SendMessage(
                chat_id=method.chat_id,  # type: ignore[attr-defined]
                message_thread_id=getattr(method, "message_thread_id", None),
                text=text,
                reply_markup=method.reply_markup if number == len(texts) else None,  # type: ignore[attr-defined]
            )
        )
    return sent
