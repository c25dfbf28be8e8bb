"""The form's state in the database: read once per update, written at once, and a write that
changes nothing (a menu press leaving no form) not made; outside an update, every read is
the database's."""

from __future__ import annotations

from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import event, func, select

from bot.storage.fsm import SqlAlchemyStorage
from bot.storage.models import FsmRecord
from bot.storage.uow import App

KEY = StorageKey(bot_id=1, chat_id=700_000_001, user_id=700_000_001)
ROW_KEY = "1:700000001:700000001:::default"  # as the table keys it


class Statements:
    """Counts the SQL statements the app's engine runs."""

    def __init__(self, app: App) -> None:
        self.count = 0
        engine = app.sessions.kw["bind"].sync_engine
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: object) -> None:
        self.count += 1


async def _rows(app: App) -> int:
    async with app.uow() as uow:
        return (await uow.session.execute(select(func.count()).select_from(FsmRecord))).scalar_one()


async def test_leaving_no_form_writes_nothing_and_a_form_is_read_once_per_update(app: App):
    storage = SqlAlchemyStorage(app.sessions)
    statements = Statements(app)
    with storage.one_update():
        assert await storage.get_state(KEY) is None
        read = statements.count
        await storage.set_state(KEY, None)  # what state.clear() does on every menu press
        await storage.set_data(KEY, {})
        assert await storage.get_data(KEY) == {}
        assert statements.count == read  # nothing written, nothing read again

    with storage.one_update():
        await storage.set_state(KEY, "ContactForm:channel")
        await storage.set_data(KEY, {"household_id": 7, "problems": ["food"]})
        data = await storage.get_data(KEY)
        data["problems"].append("water")  # a handler changing its copy changes nothing stored
        assert await storage.get_data(KEY) == {"household_id": 7, "problems": ["food"]}
        await storage.set_data(KEY, data)
    assert await _rows(app) == 1

    # Another process (a second worker, a restart) changed it: the next update reads it anew.
    async with app.sessions() as session:
        record = await session.get(FsmRecord, ROW_KEY)
        assert record is not None and record.data["problems"] == ["food", "water"]
        record.state = "ContactForm:guarantees"
        await session.commit()
    with storage.one_update():
        assert await storage.get_state(KEY) == "ContactForm:guarantees"
        await storage.set_state(KEY, None)
        await storage.set_data(KEY, {})
    assert await _rows(app) == 0  # a finished form leaves no row


async def test_outside_an_update_every_read_is_the_databases(app: App):
    storage = SqlAlchemyStorage(app.sessions)
    await storage.set_state(KEY, "A:one")
    async with app.sessions() as session:
        record = await session.get(FsmRecord, ROW_KEY)
        assert record is not None
        record.state = "A:two"
        await session.commit()
    assert await storage.get_state(KEY) == "A:two"
