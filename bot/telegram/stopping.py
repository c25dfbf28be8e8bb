"""Stopping cleanly: SIGTERM (what systemd and docker send) and SIGINT (Ctrl-C) both ask the
running service to stop, and the updates being handled when it stops may finish, so the
replies they are sending are not cut off."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Iterator
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from bot.telegram.middlewares import Handler

log = logging.getLogger(__name__)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """While inside, SIGTERM and SIGINT set `stop` instead of ending the process at once."""
    loop = asyncio.get_running_loop()

    def asked(sig: signal.Signals) -> None:
        log.warning("%s received: stopping once the messages on their way are sent", sig.name)
        stop.set()

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, asked, sig)
    try:
        yield
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)


class UpdatesInFlight(BaseMiddleware):
    """Counts the updates being handled, so a stopping bot can wait for them."""

    def __init__(self) -> None:
        self._handling = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        self._handling += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            self._handling -= 1
            if not self._handling:
                self._idle.set()

    async def finished(self, timeout: float) -> bool:  # noqa: ASYNC109 (a bounded wait)
        """Wait until no update is being handled; False if some still were after `timeout`."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("%s update(s) still being handled after %ss", self._handling, timeout)
            return False
        return True
