"""What goes wrong with Telegram, on demand, for the stand-in: a call refused (`fail_next`:
429 with retry_after, 5xx, 400...), a person who blocked the bot (`block`), a call held on the
wire until the test lets it go (`hold_next`), and a connection that drops without an answer,
before or after the call was handled (`drop_next`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from tests.telegram_api.updates import Changes
from tests.telegram_api.validation import BotApiError

if TYPE_CHECKING:
    from tests.telegram_api.server import Call

SEND_METHODS = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
# Methods refused with 403 when the person blocked the bot.
CHAT_METHODS = SEND_METHODS | {
    "editMessageText",
    "editMessageReplyMarkup",
    "editMessageCaption",
    "sendChatAction",
}


@dataclass
class Fault:
    method: str
    status: int
    description: str
    retry_after: int | None
    chat_id: int | None
    times: int


@dataclass
class Drop:
    method: str
    after_accepting: bool
    chat_id: int | None


@dataclass
class HeldCall:
    """A call the stand-in holds before answering, as a send on the wire: `arrived` is set
    when it comes in, and it is answered once `release()` is called."""

    method: str
    chat_id: int | None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        self.released.set()


class FaultInjection:
    """Mixed into `FakeTelegram`: the faults it is told to inject, and where it injects them."""

    changes: Changes

    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.held: list[HeldCall] = []
        self.drops: list[Drop] = []
        self.dropped: list[tuple[Call, bool]] = []  # calls hung up on, and whether accepted
        self.blocked: set[int] = set()

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        retry_after: int | None = None,
        chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of `method` (to `chat_id`, if given) fail this way."""
        self.faults.append(Fault(method, status, description, retry_after, chat_id, times))

    def hold_next(self, method: str, chat_id: int | None = None) -> HeldCall:
        """The next call of `method` (to `chat_id`, if given) is held, unanswered, until the
        test releases it: a message on the wire when the bot is stopped or killed."""
        held = HeldCall(method, chat_id)
        self.held.append(held)
        return held

    def drop_next(self, method: str, *, after_accepting: bool, chat_id: int | None = None) -> None:
        """The next call of `method` loses its connection with no answer: before the
        stand-in handles it (nothing is sent), or after (the message is sent, but the bot
        never hears so: it tries again, and the person sees it twice)."""
        self.drops.append(Drop(method, after_accepting, chat_id))

    def block(self, chat_id: int) -> None:
        """The person blocked the bot: sends to them get 403 from now on."""
        self.blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        self.blocked.discard(chat_id)

    async def _hold(self, call: Call) -> None:
        chat_id = call.params.get("chat_id")
        for held in self.held:
            if held.method == call.method and held.chat_id in (None, chat_id):
                self.held.remove(held)
                held.arrived.set()
                await held.released.wait()
                return

    def _take_drop(self, call: Call) -> Drop | None:
        chat_id = call.params.get("chat_id")
        for drop in self.drops:
            if drop.method == call.method and drop.chat_id in (None, chat_id):
                self.drops.remove(drop)
                return drop
        return None

    def _hang_up(self, request: web.Request, call: Call, accepted: bool) -> web.Response:
        """Close the connection without an answer, as a network that fails does."""
        self.dropped.append((call, accepted))
        if request.transport is not None:
            request.transport.abort()
        self.changes.notify()
        return web.Response(status=499)

    def _apply_faults(self, call: Call) -> None:
        chat_id = call.params.get("chat_id")
        for fault in self.faults:
            if fault.method != call.method or fault.times <= 0:
                continue
            if fault.chat_id is not None and fault.chat_id != chat_id:
                continue
            fault.times -= 1
            self.faults = [f for f in self.faults if f.times > 0]
            raise BotApiError(fault.status, fault.description, fault.retry_after)
        if call.method in CHAT_METHODS and chat_id in self.blocked:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
