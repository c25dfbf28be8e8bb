"""Claiming outbox rows, so that two senders never send one row twice.

Only the leader runs the sender (bot/storage/leader.py), but for a moment two may: a new
leader starting while the old one's last sends are on the wire, or `drain_once` beside a
running bot. Before a sender sends a row it claims it: in one statement it takes the row's
lock with `FOR UPDATE SKIP LOCKED` (PostgreSQL; a row another sender is claiming right now is
skipped, not waited for) and moves its `not_before` a lease ahead, so the row is no longer
due for anyone else. Each part Telegram accepts renews the lease; the row's end (sent,
failed, a retry's new time) replaces it. A sender that dies (kill -9) leaves its rows queued
with their lease: they are due again when it runs out, and the next sender sends only the
parts not yet recorded. So a row is sent once, except the part on the wire at the kill
(at-least-once), which may go twice.

SQLite ignores `FOR UPDATE`; there one writer at a time makes the same statement atomic.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.core.delivery.outbox import OutboxStatus
from bot.storage.models import OutboxMessage
from bot.storage.uow import App


async def claim(app: App, row_id: int) -> bool:
    """Claim a due, queued row for this sender for the lease; False when it is not due any
    more or another sender holds it."""
    async with app.uow() as uow:
        now = uow.clock.now()
        claimable = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.id == row_id,
                OutboxMessage.status == OutboxStatus.QUEUED,
                OutboxMessage.not_before <= now,
            )
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
        claimed = await uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == claimable)
            .values(not_before=lease_end(app, now))
            .returning(OutboxMessage.id)
        )
        taken = claimed.scalar_one_or_none() is not None
        await uow.commit()
        return taken


async def release(app: App, row_id: int) -> None:
    """Give a claimed row back at once (the sender stopped before it was sent)."""
    async with app.uow() as uow:
        await uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id, OutboxMessage.status == OutboxStatus.QUEUED)
            .values(not_before=uow.clock.now())
        )
        await uow.commit()


def lease_end(app: App, now: datetime) -> datetime:
    """Until when a row claimed (or a part recorded) at `now` stays this sender's."""
    return now + timedelta(seconds=app.settings.outbox_lease_seconds)
