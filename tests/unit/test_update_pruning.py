"""Ids of handled updates are kept a week, then forgotten, so the table does not grow forever."""

from __future__ import annotations

from types import SimpleNamespace

from aiogram.types import Update
from sqlalchemy import func, select

from bot.storage.models import ProcessedUpdate
from bot.telegram.app import build_dispatcher
from bot.telegram.middlewares import PRUNE_EVERY, UpdateIntake


async def _count(app) -> int:  # type: ignore[no-untyped-def]
    async with app.uow() as uow:
        return (await uow.session.execute(select(func.count(ProcessedUpdate.id)))).scalar_one()


async def test_replayed_update_runs_once_and_week_old_ids_are_forgotten(app, clock) -> None:  # type: ignore[no-untyped-def]
    middleware = build_dispatcher(app).fsm
    assert isinstance(middleware, UpdateIntake)
    handled: list[int] = []

    async def handler(event, data):  # type: ignore[no-untyped-def]
        handled.append(event.update_id)

    data = {"bot": SimpleNamespace(id=42)}
    await middleware(handler, Update(update_id=1), data)
    await middleware(handler, Update(update_id=1), data)
    assert handled == [1]

    clock.advance(days=8)
    await middleware(handler, Update(update_id=PRUNE_EVERY), data)
    assert handled == [1, PRUNE_EVERY]
    assert await _count(app) == 1  # only the fresh id is left
