"""Stopping cleanly: SIGTERM (what systemd and docker send) and SIGINT (Ctrl-C) both ask the
running service to stop, and the updates being handled when it stops may finish, so the
replies they are sending are not cut off."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Awaitable, Iterator
from typing import Any, TypeVar

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from bot.telegram.middlewares import Handler

log = logging.getLogger(__name__)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
T = TypeVar("T")


# The events each running loop's signal handlers set: the outermost `stop_on_signals` installs
# the handlers, inner ones (serve() inside `bangfu run`, which watches from its first step)
# only add their event, so a signal is never left to its default (exit 143) in between.
_STOP_EVENTS: dict[asyncio.AbstractEventLoop, list[asyncio.Event]] = {}


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """While inside, SIGTERM and SIGINT set `stop` instead of ending the process at once."""
    if threading.current_thread() is not threading.main_thread():
        yield  # Python delivers signals to the main thread only: nothing to watch here
        return
    loop = asyncio.get_running_loop()
    events = _STOP_EVENTS.get(loop)
    outermost = events is None
    if events is None:
        events = _STOP_EVENTS[loop] = []

        def asked(sig: signal.Signals) -> None:
            log.warning("%s received: stopping once the messages on their way are sent", sig.name)
            for event in _STOP_EVENTS.get(loop, []):
                event.set()

        for sig in STOP_SIGNALS:
            loop.add_signal_handler(sig, asked, sig)
    events.append(stop)
    try:
        yield
    finally:
        events.remove(stop)
        if outermost:
            for sig in STOP_SIGNALS:
                loop.remove_signal_handler(sig)
            del _STOP_EVENTS[loop]


async def until_stopped(awaitable: Awaitable[T], stop: asyncio.Event) -> T | None:
    """The awaitable's result, or None (and it cancelled) if `stop` is set first: a start-up
    step waiting on the network must not hold up a stop."""
    task = asyncio.ensure_future(awaitable)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return None


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

    @property
    def handling(self) -> int:
        return self._handling

    async def finished(self, timeout: float) -> bool:  # noqa: ASYNC109 (a bounded wait)
        """Wait until no update is being handled; False if some still were after `timeout`."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("%s update(s) still being handled after %ss", self._handling, timeout)
            return False
        return True
