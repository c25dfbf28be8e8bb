"""A monotonic clock that runs `factor` times faster than the real one, for the bot's pacer
and the stand-in's flood control together: Telegram's limits are enforced on this clock, so
a group's 20 messages a minute pass in seconds and every limit is still checked.

    fast = FastClock(20)
    fast.enforce_limits(telegram)                 # the stand-in answers 429 on this clock
    bot = build_bot(settings, pacer=fast.pacer())  # ...and the bot paces on it
"""

from __future__ import annotations

import asyncio
import time

from bot.telegram.pacing import Pacer
from tests.telegram_api import FakeTelegram


class FastClock:
    def __init__(self, factor: float) -> None:
        self.factor = factor
        self._start = time.monotonic()

    def now(self) -> float:
        return (time.monotonic() - self._start) * self.factor

    async def wait(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.factor)

    def pacer(self) -> Pacer:
        return Pacer(now=self.now, wait=self.wait)

    def enforce_limits(self, telegram: FakeTelegram) -> None:
        telegram.flood.now = self.now
        telegram.enforce_limits = True
