"""The update queue behind getUpdates, with Telegram's offset semantics, and the one way the
stand-in waits: bounded, re-checked on every change, with a clear message on timeout."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class Changes:
    """Wakes waiters whenever the stand-in's state changes (a request, an update, a send)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait_for(
        self,
        condition: Callable[[], bool],
        timeout: float,  # noqa: ASYNC109 (a bounded wait is the point)
        explain: Callable[[], str],
    ) -> None:
        """Wait until `condition()` holds; AssertionError(explain()) after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not condition():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(explain())
            event = self._event
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                continue


@dataclass
class QueuedUpdate:
    update_id: int
    body: dict[str, Any]
    delivered: bool = False

    @property
    def kind(self) -> str:
        return next(key for key in self.body if key != "update_id")


class UpdateQueue:
    """Updates waiting for the bot. An update leaves the queue only when a later getUpdates
    confirms it (offset above its id) after it was handed out: so an empty queue means the
    bot fetched everything and came back for more."""

    def __init__(self, changes: Changes) -> None:
        self.changes = changes
        self.polls = 0
        self.polling_now = 0
        self._queue: list[QueuedUpdate] = []
        self._ids = itertools.count(1)

    @property
    def pending(self) -> list[dict[str, Any]]:
        return [queued.body for queued in self._queue]

    def push(self, body: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": next(self._ids), **body}
        self._queue.append(QueuedUpdate(update["update_id"], update))
        self.changes.notify()
        return update

    def redeliver(self, update: dict[str, Any]) -> None:
        self._queue.append(QueuedUpdate(update["update_id"], json.loads(json.dumps(update))))
        self.changes.notify()

    async def settled(self, timeout: float) -> None:  # noqa: ASYNC109
        await self.changes.wait_for(
            lambda: not self._queue,
            timeout,
            lambda: (
                f"the bot did not handle {len(self._queue)} update(s) in {timeout}s "
                f"(polls so far: {self.polls}, polling now: {self.polling_now}; is the bot "
                f"running?). Pending: {self.pending}"
            ),
        )

    async def wait_until_polling(self, timeout: float) -> None:  # noqa: ASYNC109
        await self.changes.wait_for(
            lambda: self.polling_now > 0,
            timeout,
            lambda: f"the bot did not call getUpdates within {timeout}s",
        )

    async def get_updates(
        self, params: dict[str, Any], hung_up: Callable[[], bool]
    ) -> list[dict[str, Any]]:
        """Long polling: confirm below `offset`, then wait up to `timeout` for updates."""
        offset = params.get("offset")
        limit = int(params.get("limit") or 100)
        allowed = params.get("allowed_updates") or None
        self.polls += 1
        if offset is not None:
            self._queue = [
                q for q in self._queue if not (q.delivered and q.update_id < int(offset))
            ]
        if allowed:
            # Telegram never delivers update kinds the bot did not ask for.
            self._queue = [q for q in self._queue if q.kind in allowed]
        self.polling_now += 1
        self.changes.notify()
        try:
            await self.changes.wait_for(
                lambda: bool(self._queue), float(params.get("timeout") or 0), lambda: ""
            )
        except AssertionError:
            return []
        finally:
            self.polling_now -= 1
        if hung_up():
            return []  # the bot went away mid-poll; the updates wait for its next poll
        batch = self._queue[:limit]
        for queued in batch:
            queued.delivered = True
        return [queued.body for queued in batch]
