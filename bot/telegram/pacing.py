"""Pacing under Telegram's flood limits, for every message the bot sends: ~30 messages/s
overall, ~1/s per chat (short bursts tolerated), 20/min per group. There is one pacer per
Bot and every call goes through it (`bot/telegram/session.py`): the replies handlers send
and the outbox sender's backlog share Telegram's 30 a second, replies first.

- A reply (`Priority.REPLY`, the default) books the next free slot the moment it asks: it
  waits at most for the replies that asked before it, about 35 ms each.
- The outbox sender (`Priority.BACKGROUND`) never books ahead: one background send at a time
  waits for a slot nobody has booked, so a burst of replies goes out before the backlog goes
  on.
- Per chat, every message keeps to Telegram's limit for that chat: to one person a short
  burst of `PRIVATE_BURST`, then one a second (a long answer split in six parts goes out over
  four seconds instead of earning a 429), and 19 a minute in a group. The backlog keeps more
  room: a second between two messages to one person (counting the replies they got) and 17 a
  minute in a group, leaving two of the group's 19 to replies.

Measured on a real monotonic clock, never the service's clock (tests move that one through a
month in seconds; Telegram does not).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Protocol

# A little under each limit, so the jitter of a busy network or event loop never tips a
# burst over it (at 28.5/s a second holds at most 29 sends, where Telegram allows 30).
OVERALL_PER_SECOND = 28.5
MIN_GAP = 0.75  # share of the spacing two sends keep at least, however late they woke
CATCH_UP_SECONDS = 1.0  # how far back a late background send keeps the pace from
GROUP_PER_MINUTE = 19  # in one group, where Telegram allows 20
GROUP_BACKGROUND_PER_MINUTE = 17  # the outbox leaves two a minute in each group to replies
PRIVATE_CHAT_INTERVAL = 1.0  # seconds between two messages to one person, after a burst...
PRIVATE_BURST = 2  # ...of this many (Telegram tolerates a few; two leaves a margin for jitter)
GROUP_CHAT_INTERVAL = 60.0 / GROUP_BACKGROUND_PER_MINUTE  # ...and to one group
FORGET_AFTER = 120.0  # chats idle this long are dropped from memory...
FORGET_EVERY = 1000  # ...looked for every this many slots

ChatKey = int | str  # a chat id, or a channel's @username


class Priority(IntEnum):
    REPLY = 0  # a person is waiting for it
    BACKGROUND = 1  # the outbox sender's backlog


class PacerClosed(Exception):
    """This kind of send is stopping: the caller must not send."""


class SendPacer(Protocol):
    """What the session and the outbox sender use: `Pacer` in one process, `RedisPacer`
    (bot/telegram/shared_pacing.py) for a budget shared by several workers."""

    async def acquire(
        self, chat_id: ChatKey | None, priority: Priority = Priority.REPLY
    ) -> None: ...

    def pause(self, seconds: float) -> None: ...

    def close(self, priority: Priority | None = None) -> None: ...

    def reopen(self, priority: Priority) -> None: ...


@dataclass
class ChatPace:
    """What one chat has been sent: the latest send; for a person, the sends their burst
    allows (a token bucket, as Telegram counts); for a group, the last minute's sends."""

    last: float = float("-inf")  # the latest send, granted or booked
    minute: list[float] = field(default_factory=list)  # groups only, sorted
    tokens: float = PRIVATE_BURST  # people only: sends allowed at once, as of `last`

    def ready_at(self, priority: Priority, group: bool) -> float:
        """The earliest moment a message of that priority may go to this chat."""
        background = priority is Priority.BACKGROUND
        ready = float("-inf")
        if background:
            ready = self.last + (GROUP_CHAT_INTERVAL if group else PRIVATE_CHAT_INTERVAL)
        if group:
            most = GROUP_BACKGROUND_PER_MINUTE if background else GROUP_PER_MINUTE
            if len(self.minute) >= most:
                ready = max(ready, self.minute[-most] + 60.0)
        elif self.tokens < 1:
            ready = max(ready, self.last + (1 - self.tokens) * PRIVATE_CHAT_INTERVAL)
        return ready

    def take(self, moment: float, group: bool) -> None:
        if group:
            bisect.insort(self.minute, moment)
            del self.minute[: bisect.bisect_left(self.minute, moment - 60.0)]
        else:
            # A slot booked before a later one (moment < last) refills nothing: conservative.
            refill = max(0.0, moment - self.last) / PRIVATE_CHAT_INTERVAL
            self.tokens = min(float(PRIVATE_BURST), self.tokens + refill) - 1
        self.last = max(self.last, moment)


class Pacer:
    """Hands out send slots: evenly spaced overall (at most `per_second` in any second), and
    per chat as Telegram allows (see the module's docstring), replies before the backlog.

    `acquire(chat_id, priority)` returns when a message to that chat may go (`chat_id` None:
    an edit, which counts towards the overall limit only). Slots are taken without yielding
    between the check and the booking, so concurrent senders never share one. `pause(seconds)`
    holds every slot after a 429; `close(priority)` releases that kind's waiters with
    `PacerClosed` (the outbox sender stopping), `close()` every waiter.
    """

    def __init__(
        self,
        per_second: float = OVERALL_PER_SECOND,
        chat_limits: bool = True,
        now: Callable[[], float] = time.monotonic,
        wait: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.spacing = 1.0 / per_second
        self.chat_limits = chat_limits  # False: overall pacing only (tests of content)
        self._now = now
        self._wait = wait
        self._next_slot = 0.0
        self._last_granted = float("-inf")
        self._recent: deque[float] = deque(maxlen=math.ceil(per_second))  # latest sends
        self._chats: dict[ChatKey, ChatPace] = {}
        self._paused_until = 0.0
        self._background_turn = asyncio.Lock()  # one background send looks for a slot at a time
        self._closed = {priority: asyncio.Event() for priority in Priority}
        self._granted = 0

    async def acquire(self, chat_id: ChatKey | None, priority: Priority = Priority.REPLY) -> None:
        if priority is Priority.BACKGROUND:
            while True:
                await self._until_chat_ready(chat_id, priority)
                async with self._background_turn:
                    if await self._take_free_slot(chat_id):
                        break
        else:
            await self._book_slot(chat_id)
        self._granted += 1
        if self._granted % FORGET_EVERY == 0:
            self._forget_idle_chats()

    async def _book_slot(self, chat_id: ChatKey | None) -> None:
        """A reply: book the next free slot at once, then wait for it."""
        while True:
            await self._until_chat_ready(chat_id, Priority.REPLY)
            now = self._now()
            slot = max(now, self._next_slot)
            self._next_slot = slot + self.spacing
            self._take_chat(chat_id, slot)
            if slot > now:
                await self._sleep(slot - now, Priority.REPLY)
            if await self.keep_apart(Priority.REPLY):
                return
            # else a 429 came while this slot was waiting: wait out the pause

    async def _take_free_slot(self, chat_id: ChatKey | None) -> bool:
        """The outbox's turn: take the next slot once it comes and nobody booked it. False
        when a reply took this chat's turn meanwhile (the caller waits for the chat again)."""
        while True:
            if self._closed[Priority.BACKGROUND].is_set():
                raise PacerClosed
            now = self._now()
            if self._ready_at(chat_id, Priority.BACKGROUND) > now:
                return False
            wait = max(self._next_slot - now, self._paused_until - now, self._hold(now))
            if wait > 0:
                await self._sleep(wait, Priority.BACKGROUND)
                continue
            # Woken late for the slot? Keep the pace from it (within a second), as booked
            # replies do; after an idle while, start from now.
            due = self._next_slot
            self._next_slot = (due if due > now - CATCH_UP_SECONDS else now) + self.spacing
            self._take_chat(chat_id, now)
            self._grant(now)
            return True

    async def _until_chat_ready(self, chat_id: ChatKey | None, priority: Priority) -> None:
        while True:
            if self._closed[priority].is_set():
                raise PacerClosed
            now = self._now()
            ready = max(self._ready_at(chat_id, priority), self._paused_until)
            if ready <= now:
                return
            await self._sleep(ready - now, priority)

    def _ready_at(self, chat_id: ChatKey | None, priority: Priority) -> float:
        if chat_id is None or not self.chat_limits:
            return float("-inf")
        pace = self._chats.get(chat_id)
        return pace.ready_at(priority, is_group(chat_id)) if pace else float("-inf")

    def _take_chat(self, chat_id: ChatKey | None, moment: float) -> None:
        if chat_id is not None:
            self._chats.setdefault(chat_id, ChatPace()).take(moment, is_group(chat_id))

    def _grant(self, now: float) -> None:
        self._last_granted = now
        self._recent.append(now)

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

    def paused_for(self) -> float:
        """Seconds left of a 429's pause (0 when none)."""
        return max(0.0, self._paused_until - self._now())

    async def until_unpaused(self, priority: Priority) -> None:
        """Wait out a 429's pause, on this pacer's clock."""
        while (paused := self.paused_for()) > 0:
            await self._sleep(paused, priority)

    async def keep_apart(self, priority: Priority) -> bool:
        """A slot granted elsewhere (the budget all workers share) is about to be used: hold
        as this pacer's own slots are held (`_hold`), then count it as sent from here; False
        (nothing counted) when a 429's pause began meanwhile. A stalled event loop then lets
        this process's late sends out spaced, not at once."""
        while (hold := self._hold(self._now())) > 0:
            await self._sleep(hold, priority)
        if self.paused_for():
            return False
        self._grant(self._now())
        return True

    def close(self, priority: Priority | None = None) -> None:
        for kind in Priority if priority is None else (priority,):
            self._closed[kind].set()

    def reopen(self, priority: Priority) -> None:
        """A new outbox sender starts on the same bot."""
        self._closed[priority].clear()

    async def _sleep(self, seconds: float, priority: Priority) -> None:
        closed = self._closed[priority]
        if closed.is_set():
            raise PacerClosed
        if self._wait is not None:
            await self._wait(seconds)
        else:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(closed.wait(), timeout=seconds)
        if closed.is_set():
            raise PacerClosed

    def _forget_idle_chats(self) -> None:
        horizon = self._now() - FORGET_AFTER
        self._chats = {chat: pace for chat, pace in self._chats.items() if pace.last > horizon}


def is_group(chat_id: ChatKey) -> bool:
    """Groups and channels have negative ids (or an @username); people positive ones."""
    return isinstance(chat_id, str) or chat_id < 0
