"""Looking up long lists of values a batch at a time: every batch found, in order, and on
PostgreSQL each batch planned for its own values, never by a generic plan made while the
table was small (the reminder sweep's second run at a province's size: 61 s instead of 3 s)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, text

from bot.core.delivery.outbox import queued_before
from bot.storage.batches import rows_in_batches
from bot.storage.models import OutboxMessage
from bot.storage.uow import App
from tests.e2e.wave import queue_rendered


async def test_keys_queued_before_are_found_across_batches_and_planned_each_time(
    app: App,
) -> None:
    texts = await queue_rendered(app, 5, datetime(2026, 3, 20, 1, 0, tzinfo=UTC))
    async with app.uow() as uow:
        keys = list(
            (
                await uow.session.execute(select(OutboxMessage.base_key).order_by(OutboxMessage.id))
            ).scalars()
        )
    assert len(keys) == len(texts) == 5
    asked = ["never-queued", *keys, "nor-this"]

    async with app.uow() as uow:
        found = await rows_in_batches(
            uow.session,
            lambda batch: select(OutboxMessage.base_key).where(OutboxMessage.base_key.in_(batch)),
            asked,
            2,
        )
        assert sorted(key for (key,) in found) == sorted(keys)
        assert await queued_before(uow, asked) == set(keys)
        if uow.session.get_bind().dialect.name == "postgresql":
            mode = (await uow.session.execute(text("SHOW plan_cache_mode"))).scalar_one()
            assert mode == "force_custom_plan"
