"""Two senders never send one row twice: a row is claimed (FOR UPDATE SKIP LOCKED on
PostgreSQL) and leased before it is sent; a dead sender's row comes back after the lease."""

from __future__ import annotations

import asyncio

from bot.clock import FrozenClock
from bot.core.delivery import claims
from bot.core.delivery.outbox import OutboxStatus, chat_recipient
from bot.storage.models import OutboxMessage
from bot.storage.uow import App


async def queued_row(app: App) -> int:
    async with app.uow() as uow:
        now = uow.clock.now()
        row = OutboxMessage(
            key="claims-test@chat:-100",
            base_key="claims-test",
            kind="monthly_summary",
            recipient=chat_recipient(-100),
            payload={},
            created_at=now,
            not_before=now,
        )
        uow.session.add(row)
        await uow.commit()
        return row.id


async def test_of_two_senders_claiming_one_row_at_once_exactly_one_gets_it(app: App) -> None:
    row_id = await queued_row(app)

    taken = await asyncio.gather(*(claims.claim(app, row_id) for _ in range(5)))

    assert sorted(taken) == [False, False, False, False, True]


async def test_a_claimed_row_whose_sender_died_is_due_again_after_the_lease(
    app: App, clock: FrozenClock
) -> None:
    row_id = await queued_row(app)
    assert await claims.claim(app, row_id)

    clock.advance(seconds=app.settings.outbox_lease_seconds - 1)
    assert not await claims.claim(app, row_id)
    clock.advance(seconds=2)
    assert await claims.claim(app, row_id)


async def test_a_row_given_back_or_settled_is_claimed_again_only_while_queued(app: App) -> None:
    row_id = await queued_row(app)
    assert await claims.claim(app, row_id)

    await claims.release(app, row_id)
    assert await claims.claim(app, row_id)

    async with app.uow() as uow:
        row = await uow.session.get(OutboxMessage, row_id)
        assert row is not None
        row.status = OutboxStatus.SENT
        await uow.commit()
    await claims.release(app, row_id)
    assert not await claims.claim(app, row_id)
