"""The replay guard: the same Telegram update delivered twice saves once.

An update's id is stored (`processed_updates`) in the same transaction as the update's first
write, not in a commit of its own before the handler runs: an update that only reads (a menu
press, a list, a card: most of them) then costs no write and no commit at all. The rules:

- the update intake asks, in its first statement, whether the id is stored already (a copy of
  an update that wrote stops there, before any handler), and remembers the ids this process
  took in (`UpdateMarks.first_sight`: a copy of an update that only read stops there too, in
  this process; after a restart, or at another webhook worker, such a copy is answered again,
  and saves nothing, as it saved nothing the first time);
- while a handler runs, the update's `UpdateMark` is in a context variable of the update's own
  task; the first `UnitOfWork.commit()` (and the first write of a form's state) stores the id
  in its transaction, after the use case's own writes are flushed. A copy that was stored in
  the meantime makes that insert fail: `UpdateHandledBefore`, the transaction is rolled back,
  nothing of the copy is saved. Later commits of the same update do not store it again.

A form's state in Redis (webhook workers) is not in the database's transaction: the id is
stored and committed on its own just before such a write (`store_alone`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from sqlalchemy import and_, bindparam, delete, exists, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.storage.models import ProcessedUpdate

PRUNE_EVERY = 1000  # update ids are sequential: prune old ones about every thousandth update
REMEMBERED = 10_000  # ids of updates taken in, kept in memory (a few hours of a county's)
# Telegram keeps an undelivered update for 24 hours, so a week of ids is plenty.
KEPT_FOR = timedelta(days=7)

# Built once, with bound parameters (SQLAlchemy then neither builds them nor works out their
# cache keys at every update).
RECORD_UPDATE = insert(ProcessedUpdate.__table__)
UPDATE_SEEN = exists().where(
    and_(
        ProcessedUpdate.bot_id == bindparam("bot_id"),
        ProcessedUpdate.update_id == bindparam("update_id"),
    )
)


class UpdateHandledBefore(Exception):
    """A copy of this update stored its id while this one was handled: this one saves nothing."""


class UpdateMark:
    """The update being handled: its id, stored (once) with its first write."""

    def __init__(self, marks: UpdateMarks, bot_id: int, update_id: int) -> None:
        self.marks = marks
        self.bot_id = bot_id
        self.update_id = update_id
        self.stored = False
        self.task = asyncio.current_task()

    async def store(self, session: AsyncSession) -> None:
        """Insert the id in `session`'s transaction (the caller commits, then sets `stored`)."""
        await session.flush()  # the use case's own errors come first, as they did at commit
        at = self.marks.clock.now()
        row = {"bot_id": self.bot_id, "update_id": self.update_id, "at": at}
        try:
            await session.execute(RECORD_UPDATE, row)
        except IntegrityError as error:
            raise UpdateHandledBefore(self.update_id) from error
        block = self.update_id // PRUNE_EVERY
        if block != self.marks.pruned_block:
            self.marks.pruned_block = block
            await session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.at < at - KEPT_FOR))

    async def store_alone(self) -> None:
        """Store the id in a transaction of its own, before a write outside the database."""
        if self.stored:
            return
        async with self.marks.sessions() as session:
            try:
                await self.store(session)
            except UpdateHandledBefore:
                await session.rollback()
                raise
            await session.commit()
        self.stored = True


_being_handled: ContextVar[UpdateMark | None] = ContextVar("bangfu_update", default=None)


def unstored_mark() -> UpdateMark | None:
    """The update this task is handling, while its id is not stored yet (None otherwise, and
    in a task the handler started: the update is its starter's)."""
    mark = _being_handled.get()
    if mark is None or mark.stored or mark.task is not asyncio.current_task():
        return None
    return mark


class UpdateMarks:
    """One per dispatcher: the ids taken in lately, and what marks need to store themselves."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock
        self.pruned_block: int | None = None  # the first store of a process prunes
        self._recent: set[tuple[int, int]] = set()
        self._order: deque[tuple[int, int]] = deque()

    def first_sight(self, bot_id: int, update_id: int) -> bool:
        """Whether this process takes the update in for the first time (it is remembered)."""
        key = (bot_id, update_id)
        if key in self._recent:
            return False
        self._recent.add(key)
        self._order.append(key)
        if len(self._order) > REMEMBERED:
            self._recent.discard(self._order.popleft())
        return True

    def forget(self, bot_id: int, update_id: int) -> None:
        """The update was not taken in after all (its first reads failed): a copy may run."""
        self._recent.discard((bot_id, update_id))

    @contextmanager
    def handling(self, bot_id: int, update_id: int) -> Iterator[UpdateMark]:
        mark = UpdateMark(self, bot_id, update_id)
        token = _being_handled.set(mark)
        try:
            yield mark
        finally:
            _being_handled.reset(token)
