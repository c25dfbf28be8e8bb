"""The replay guard (bot/storage/update_marks.py): the same update delivered twice saves once,
an update that only reads stores nothing, and ids of handled updates are kept a week, then
forgotten, so the table does not grow forever."""

from __future__ import annotations

from types import SimpleNamespace

from aiogram.types import Update
from sqlalchemy import func, select

from bot.storage.models import AppState, ProcessedUpdate
from bot.storage.update_marks import PRUNE_EVERY
from bot.telegram.app import build_dispatcher
from bot.telegram.middlewares import UpdateIntake

BOT = {"bot": SimpleNamespace(id=42)}


async def _count(app, table) -> int:  # type: ignore[no-untyped-def]
    async with app.uow() as uow:
        return (await uow.session.execute(select(func.count()).select_from(table))).scalar_one()


def _intake(app) -> UpdateIntake:  # type: ignore[no-untyped-def]
    """A dispatcher's update intake: a new one is a restarted bot or another webhook worker."""
    middleware = build_dispatcher(app).fsm
    assert isinstance(middleware, UpdateIntake)
    return middleware


def _saving(app, handled: list[int]):  # type: ignore[no-untyped-def]
    """A handler whose use case writes a row named after the update and commits."""

    async def handler(event, data):  # type: ignore[no-untyped-def]
        handled.append(event.update_id)
        async with app.uow() as uow:
            uow.session.add(AppState(name=f"update {event.update_id}", value="saved"))
            await uow.commit()

    return handler


async def test_replayed_update_runs_once_and_week_old_ids_are_forgotten(app, clock) -> None:  # type: ignore[no-untyped-def]
    middleware = _intake(app)
    handled: list[int] = []
    handler = _saving(app, handled)

    await middleware(handler, Update(update_id=1), dict(BOT))
    await middleware(handler, Update(update_id=1), dict(BOT))
    assert handled == [1]
    assert await _count(app, ProcessedUpdate) == 1  # stored with the update's write

    clock.advance(days=8)
    await middleware(handler, Update(update_id=PRUNE_EVERY), dict(BOT))
    assert handled == [1, PRUNE_EVERY]
    assert await _count(app, ProcessedUpdate) == 1  # only the fresh id is left


async def test_a_copy_of_a_saving_update_stops_at_another_worker_or_after_a_restart(app) -> None:  # type: ignore[no-untyped-def]
    handled: list[int] = []
    await _intake(app)(_saving(app, handled), Update(update_id=7), dict(BOT))

    await _intake(app)(_saving(app, handled), Update(update_id=7), dict(BOT))

    assert handled == [7]
    assert await _count(app, AppState) == 1


async def test_an_update_that_only_reads_writes_nothing_and_runs_once_here(app) -> None:  # type: ignore[no-untyped-def]
    middleware = _intake(app)
    handled: list[int] = []

    async def reading(event, data):  # type: ignore[no-untyped-def]
        handled.append(event.update_id)
        async with app.uow() as uow:
            await uow.session.execute(select(func.count(AppState.name)))

    await middleware(reading, Update(update_id=3), dict(BOT))
    await middleware(reading, Update(update_id=3), dict(BOT))

    assert handled == [3]
    assert await _count(app, ProcessedUpdate) == 0


async def test_a_copy_stored_meanwhile_makes_the_update_save_nothing(app, clock) -> None:  # type: ignore[no-untyped-def]
    """Another worker handled a copy and stored its id after this one's first reads: this
    one's write is rolled back with the id's insert, and the update ends quietly."""
    handled: list[int] = []
    saving = _saving(app, handled)

    async def late(event, data):  # type: ignore[no-untyped-def]
        async with app.sessions() as other_worker:  # not this update's unit of work
            other_worker.add(ProcessedUpdate(bot_id=42, update_id=9, at=clock.now()))
            await other_worker.commit()
        await saving(event, data)

    assert await _intake(app)(late, Update(update_id=9), dict(BOT)) is None
    assert handled == [9]
    assert await _count(app, AppState) == 0
    assert await _count(app, ProcessedUpdate) == 1


async def test_a_form_s_step_in_the_database_stores_the_update_s_id_with_it(app) -> None:  # type: ignore[no-untyped-def]
    from aiogram.fsm.storage.base import StorageKey

    from bot.storage.fsm import SqlAlchemyStorage
    from bot.storage.update_marks import UpdateMarks

    storage = SqlAlchemyStorage(app.sessions)
    key = StorageKey(bot_id=42, chat_id=5, user_id=5)
    marks = UpdateMarks(app.sessions, app.clock)
    with storage.one_update(), marks.handling(42, 11) as mark:
        await storage.set_state(key, None)  # nothing to change: no write, nothing stored
        assert not mark.stored
        await storage.set_state(key, "ContactForm:channel")
        await storage.set_data(key, {"household": 1})
        assert mark.stored

    assert await _count(app, ProcessedUpdate) == 1
    assert await storage.get_state(key) == "ContactForm:channel"
