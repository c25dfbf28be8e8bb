"""Telegram's flood limits: a log of every successful send, the counters the scheduler tests
read, and (optionally) the 429 answers a real bot gets when it sends too fast."""

from __future__ import annotations

import math
import time
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# Documented limits: ~30 messages/s overall, ~1/s per chat (short bursts tolerated), 20/min
# per group.
OVERALL_PER_SECOND = 30
PER_CHAT_PER_SECOND = 1
PER_CHAT_BURST = 3
PER_GROUP_PER_MINUTE = 20


@dataclass(frozen=True)
class Send:
    at: float  # time.monotonic()
    chat_id: int
    method: str


def _max_in_window(times: Iterable[float], window: float) -> int:
    """The most events in any window of `window` seconds (sliding, [t, t + window))."""
    ordered = sorted(times)
    best = 0
    start = 0
    for end, moment in enumerate(ordered):
        while ordered[start] <= moment - window:
            start += 1
        best = max(best, end - start + 1)
    return best


class FloodControl:
    """Keeps the send log; when `enforce` is on, refuses sends over Telegram's limits."""

    def __init__(self, enforce: bool = False, now: Callable[[], float] = time.monotonic) -> None:
        self.enforce = enforce
        self.now = now
        self.sends: list[Send] = []
        self.retry_after_count = 0
        self._chat_tokens: dict[int, tuple[float, float]] = {}  # chat -> (tokens, at)

    def record(self, chat_id: int, method: str) -> None:
        moment = self.now()
        self.sends.append(Send(moment, chat_id, method))
        if chat_id > 0:
            tokens, _ = self._refill(chat_id, moment)
            self._chat_tokens[chat_id] = (tokens - 1, moment)

    def wait_needed(self, chat_id: int) -> int | None:
        """Seconds to wait before this send is allowed, or None when it may go now."""
        if not self.enforce:
            return None
        moment = self.now()
        waits: list[float] = []
        times = [send.at for send in self.sends]
        recent = times[bisect_left(times, moment - 1.0) :]
        if len(recent) >= OVERALL_PER_SECOND:
            waits.append(recent[-OVERALL_PER_SECOND] + 1.0 - moment)
        if chat_id < 0:
            in_group = [s.at for s in self.sends if s.chat_id == chat_id and s.at > moment - 60]
            if len(in_group) >= PER_GROUP_PER_MINUTE:
                waits.append(in_group[-PER_GROUP_PER_MINUTE] + 60.0 - moment)
        else:
            tokens, _ = self._refill(chat_id, moment)
            if tokens < 1:
                waits.append((1 - tokens) / PER_CHAT_PER_SECOND)
        if not waits:
            return None
        return max(1, math.ceil(max(waits)))

    def _refill(self, chat_id: int, moment: float) -> tuple[float, float]:
        tokens, at = self._chat_tokens.get(chat_id, (float(PER_CHAT_BURST), moment))
        tokens = min(float(PER_CHAT_BURST), tokens + (moment - at) * PER_CHAT_PER_SECOND)
        return tokens, moment

    # Counters for assertions.

    def max_per_second(self) -> int:
        return _max_in_window((send.at for send in self.sends), 1.0)

    def max_per_chat_per_second(self) -> int:
        return max((_max_in_window(times, 1.0) for times in self._by_chat(True)), default=0)

    def max_per_group_per_minute(self) -> int:
        return max((_max_in_window(times, 60.0) for times in self._by_chat(False)), default=0)

    def _by_chat(self, private: bool) -> list[list[float]]:
        chats: dict[int, list[float]] = defaultdict(list)
        for send in self.sends:
            if (send.chat_id > 0) == private:
                chats[send.chat_id].append(send.at)
        return list(chats.values())
