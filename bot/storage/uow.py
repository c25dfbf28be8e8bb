"""Unit of work: one transaction per use case, with the audit trail and outbox beside it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, TypeVar

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from bot.clock import Clock
from bot.config import Settings
from bot.storage.db import reading_engine
from bot.storage.models import AuditEntry, OutboxMessage
from bot.storage.update_marks import unstored_mark


class Auditor(Protocol):
    """Who did something, as the audit trail names them (bot.core.policy.Actor)."""

    @property
    def person_id(self) -> int | None: ...

    @property
    def label(self) -> str: ...


Row = TypeVar("Row")


class UnitOfWork:
    """`async with app.uow() as uow: ...; await uow.commit()`; whatever is not committed is
    rolled back."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        settings: Settings | None = None,
    ) -> None:
        self._sessions = sessions
        self.clock = clock
        self.settings = settings  # for services that route messages (the town office chat)
        self.session: AsyncSession

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            await self.session.rollback()
        await self.session.close()

    async def commit(self) -> None:
        # In a bot update, its first commit also stores the update's id (the replay guard,
        # bot/storage/update_marks.py), in the same transaction as what the use case wrote.
        mark = unstored_mark()
        if mark is not None:
            await mark.store(self.session)
        await self.session.commit()
        if mark is not None:
            mark.stored = True

    async def rollback(self) -> None:
        await self.session.rollback()

    async def add_audited(
        self,
        actor: Auditor,
        row: Row,
        entity: str,
        changes: dict[str, Any],
        action: str = "create",
    ) -> Row:
        """Add `row`, give it its id, and write its audit entry: how a use case creates
        anything the audit trail follows (a person, a village, a household, a red flag …)."""
        self.session.add(row)
        await self.session.flush()
        self.audit_by(actor, entity, row.id, action, changes)  # type: ignore[attr-defined]
        return row

    def audit_by(
        self,
        actor: Auditor,
        entity: str,
        entity_id: int,
        action: str,
        changes: dict[str, Any] | None = None,
    ) -> None:
        """An audit entry for what `actor` (a person, or the CLI operator) did."""
        self.audit(actor.person_id, actor.label, entity, entity_id, action, changes)

    def audit(
        self,
        actor_id: int | None,
        actor_label: str,
        entity: str,
        entity_id: int,
        action: str,
        changes: dict[str, Any] | None = None,
    ) -> None:
        self.session.add(
            AuditEntry(
                at=self.clock.now(),
                actor_id=actor_id,
                actor_label=actor_label,
                entity=entity,
                entity_id=entity_id,
                action=action,
                changes=changes or {},
            )
        )

    def queue_message(
        self,
        key: str,
        kind: str,
        recipient: str,
        payload: dict[str, Any],
        *,
        urgent: bool = False,
        not_before: datetime | None = None,
        base_key: str | None = None,
    ) -> OutboxMessage:
        """Queue a message for the sender, in this transaction. Callers keep keys unique;
        `bot.core.delivery.outbox.queue` does, and fans a message out to its recipients."""
        row = OutboxMessage(
            **self._outbox_row(key, kind, recipient, payload, urgent, not_before, base_key)
        )
        self.session.add(row)
        return row

    async def queue_messages(
        self, kind: str, messages: list[tuple[str, str, str, dict[str, Any]]]
    ) -> None:
        """`queue_message` for many (key, base key, recipient, payload) at once, in one INSERT
        of many rows and without ORM objects: a province's wave of digests is 30,000 rows."""
        if messages:
            rows = [
                self._outbox_row(key, kind, recipient, payload, False, None, base_key)
                for key, base_key, recipient, payload in messages
            ]
            await self.session.execute(insert(OutboxMessage), rows)

    def _outbox_row(
        self,
        key: str,
        kind: str,
        recipient: str,
        payload: dict[str, Any],
        urgent: bool,
        not_before: datetime | None,
        base_key: str | None,
    ) -> dict[str, Any]:
        now = self.clock.now()
        return {
            "key": key,
            "base_key": base_key or key,
            "kind": kind,
            "recipient": recipient,
            "payload": payload,
            "urgent": urgent,
            "status": "queued",
            "created_at": now,
            "not_before": not_before or now,
            "attempts": 0,
        }


@dataclass
class App:
    """What every entry point (bot, scheduler, CLI) hands to the services."""

    settings: Settings
    clock: Clock
    sessions: async_sessionmaker[AsyncSession]

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.clock, self.settings)

    _reader: AsyncEngine | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def reader(self) -> AsyncEngine:
        """The engine for statements that only read, one at a time, without a transaction:
        each sees what is committed when it runs (on PostgreSQL in autocommit, so no BEGIN and
        ROLLBACK go around it). What every menu press reads runs on it, as `QuickRead`s
        (bot/storage/quick_reads.py)."""
        if self._reader is None:
            self._reader = reading_engine(self.sessions.kw["bind"])
        return self._reader

    def reading(self) -> AsyncConnection:
        """A pooled connection of `reader`, without an ORM session (a session's transaction
        bookkeeping and close cost about 0.1 ms of CPU a statement):
        `async with app.reading() as connection: await connection.execute(...)`."""
        return self.reader.connect()

    async def close(self) -> None:
        await self.sessions.kw["bind"].dispose()
