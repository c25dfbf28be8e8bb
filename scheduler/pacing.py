"""Pacing under Telegram's flood limits: ~30 messages/s overall, ~1/s per private chat,
20/min per group. Measured on a real monotonic clock, never the service's clock (tests move
that one through a month in seconds; Telegram does not)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable

# A little under each limit, so the jitter of a busy network or event loop never tips a
# burst over it (at 28.5/s a second holds at most 29 sends, where Telegram allows 30).
OVERALL_PER_SECOND = 28.5
PRIVATE_CHAT_INTERVAL = 1.0  # seconds between two messages to one person
GROUP_CHAT_INTERVAL = 60.0 / 19  # 19 a minute in one group, where Telegram allows 20
MIN_GAP = 0.75  # share of the spacing two sends keep at least, however late they woke
FORGET_AFTER = 120.0  # chats idle this long are dropped from memory...
FORGET_EVERY = 1000  # ...looked for every this many slots


class PacerClosed(Exception):
    """The sender is stopping: the caller must not send."""


class Pacer:
    """Hands out send slots: evenly spaced overall (at most `per_second` in any second), and
    at least an interval apart per chat (groups, with negative ids, wait longer).

    `acquire(chat_id)` returns when a message to that chat may go. Slots are taken without
    yielding between the check and the booking, so concurrent senders never share one.
    `pause(seconds)` holds every slot after a 429; `close()` releases the waiters.
    """

    def __init__(
        self,
        per_second: float = OVERALL_PER_SECOND,
        private_interval: float = PRIVATE_CHAT_INTERVAL,
        group_interval: float = GROUP_CHAT_INTERVAL,
        now: Callable[[], float] = time.monotonic,
        wait: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.spacing = 1.0 / per_second
        self.private_interval = private_interval
        self.group_interval = group_interval
        self._now = now
        self._next_slot = 0.0
        self._last_granted = float("-inf")
        self._recent: deque[float] = deque(maxlen=math.ceil(per_second))  # latest sends
        self._next_for_chat: dict[int, float] = {}
        self._paused_until = 0.0
        self._closed = asyncio.Event()
        self._wait = wait or self._wait_unless_closed
        self._granted = 0

    def interval(self, chat_id: int) -> float:
        return self.group_interval if chat_id < 0 else self.private_interval

    async def acquire(self, chat_id: int) -> None:
        while True:
            if self._closed.is_set():
                raise PacerClosed
            now = self._now()
            ready = max(self._next_for_chat.get(chat_id, 0.0), self._paused_until)
            if ready > now:
                await self._sleep(ready - now)
                continue
            # Book a slot, then wait for it; slots are booked in turn, so waiters queue up.
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.spacing
            self._next_for_chat[chat_id] = slot + self.interval(chat_id)
            if slot > now:
                await self._sleep(slot - now)
            while (hold := self._hold(self._now())) > 0:
                await self._sleep(hold)
            now = self._now()
            if self._paused_until > now:
                continue  # a 429 came while this slot was waiting: wait out the pause
            self._last_granted = now
            self._recent.append(now)
            self._next_for_chat[chat_id] = now + self.interval(chat_id)
            self._granted += 1
            if self._granted % FORGET_EVERY == 0:
                self._forget_idle_chats()
            return

    def _hold(self, now: float) -> float:
        """How much longer a waiter whose slot came must hold, as sends are really made.

        Waiters wake a little late (a busy event loop, the timer's granularity); catching up
        on the booked pace is allowed, bursting is not: sends stay `MIN_GAP` spacings apart,
        and no more than `per_second` (rounded up) go out in any one second."""
        hold = self._last_granted + self.spacing * MIN_GAP - now
        if len(self._recent) == self._recent.maxlen:
            hold = max(hold, self._recent[0] + 1.0 - now)
        return hold

    def pause(self, seconds: float) -> None:
        """Telegram said "retry after": nothing goes out for that long."""
        self._paused_until = max(self._paused_until, self._now() + seconds)

    def close(self) -> None:
        self._closed.set()

    async def _sleep(self, seconds: float) -> None:
        if self._closed.is_set():
            raise PacerClosed
        await self._wait(seconds)
        if self._closed.is_set():
            raise PacerClosed

    async def _wait_unless_closed(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closed.wait(), timeout=seconds)

    def _forget_idle_chats(self) -> None:
        horizon = self._now() - FORGET_AFTER
        self._next_for_chat = {chat: at for chat, at in self._next_for_chat.items() if at > horizon}
