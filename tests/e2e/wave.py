"""Outbox rows already rendered, each to its own chat, whose text says which row it is: what
the tests of senders and leaders count on the stand-in."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.storage.models import OutboxMessage
from bot.storage.uow import App

FIRST_CHAT = 800_000_000


async def queue_rendered(app: App, count: int, now: datetime, name: str = "wave") -> dict[int, str]:
    """`count` urgent rows (not held in quiet hours) due at `now`; row id -> its text."""
    texts = [f"{name} row {n}" for n in range(count)]
    async with app.uow() as uow:
        rows = [
            OutboxMessage(
                key=f"{name}-{n}@chat:{FIRST_CHAT + n}",
                base_key=f"{name}-{n}",
                kind="monthly_summary",
                recipient=f"chat:{FIRST_CHAT + n}",
                payload={},
                urgent=True,
                created_at=now,
                not_before=now - timedelta(seconds=1),
                parts=[{"text": text, "reply_markup": None}],
            )
            for n, text in enumerate(texts)
        ]
        uow.session.add_all(rows)
        await uow.commit()
        return {row.id: text for row, text in zip(rows, texts, strict=True)}
