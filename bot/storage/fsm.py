"""An aiogram FSM storage backed by the database, so a bot killed mid-form resumes it.

Within one update (`one_update()`, opened by the bot's update intake around aiogram's per-chat
lock), each key is read from the database once: the intake reads it in its own first trip
(`load`), later reads are answered from that, and a write that changes nothing (leaving a form
when none was open, as every menu press does) is not made. Writes go to the database at once,
as before; outside an update (a test, the CLI) every call is its own read or write.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import Select, String, bindparam
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.storage.models import FsmRecord
from bot.storage.quick_reads import QuickRead
from bot.storage.update_marks import unstored_mark

# key -> (state, data) as stored, for the update being handled; None outside an update.
_Stored = tuple[str | None, dict[str, Any]]
_read_in_update: ContextVar[dict[str, _Stored] | None] = ContextVar("bangfu_fsm", default=None)


def _key(key: StorageKey) -> str:
    return ":".join(
        str(part) if part is not None else ""
        for part in (
            key.bot_id,
            key.chat_id,
            key.user_id,
            key.thread_id,
            key.business_connection_id,
            key.destiny,
        )
    )


def beside_record(query: Select[Any]) -> Select[Any]:
    """`query` (columns of one row, or none) with a form's record beside it in one statement,
    the record's key a bound parameter: for `SqlAlchemyStorage.load_beside`."""
    return query.add_columns(FsmRecord.state, FsmRecord.data).outerjoin(
        FsmRecord, FsmRecord.key == bindparam("fsm_key", type_=String)
    )


@contextmanager
def remembered_in(memory: ContextVar[dict[str, Any] | None]) -> Iterator[None]:
    """`memory` is a dict of its own until the block ends (a storage's `one_update`)."""
    token = memory.set({})
    try:
        yield
    finally:
        memory.reset(token)


def _stored(record: FsmRecord | None) -> _Stored:
    return (record.state, copy.deepcopy(record.data)) if record else (None, {})


class SqlAlchemyStorage(BaseStorage):
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    def one_update(self) -> AbstractContextManager[None]:
        """Reads inside are remembered until the block ends (one update's handling)."""
        return remembered_in(_read_in_update)

    async def load(self, session: AsyncSession, key: StorageKey) -> None:
        """Read `key` in the caller's session, for the rest of the update."""
        remembered = _read_in_update.get()
        if remembered is not None:
            remembered[_key(key)] = _stored(await session.get(FsmRecord, _key(key)))

    async def load_beside(
        self,
        reader: AsyncEngine,
        key: StorageKey,
        query: QuickRead,
        parameters: dict[str, Any],
    ) -> Any:
        """Run `query` (of a statement made by `beside_record`: one row or none) with
        `parameters` on `reader` (App.reader): the row (a named tuple) is returned and `key`'s
        record remembered. With no row, None: nothing is remembered, and the form is read
        when it is first asked for, as without this call."""
        rows = await query.rows(reader, {**parameters, "fsm_key": _key(key)})
        if rows:
            self._remember(key, rows[0])
        return rows[0] if rows else None

    @staticmethod
    def _remember(key: StorageKey, found: Any) -> None:
        remembered = _read_in_update.get()
        if remembered is not None:
            # No record (the outer join's NULLs) reads as a record with no state and no data.
            remembered[_key(key)] = (found.state, copy.deepcopy(found.data or {}))

    async def _read(self, key: StorageKey) -> _Stored:
        remembered = _read_in_update.get()
        if remembered is not None and _key(key) in remembered:
            state, data = remembered[_key(key)]
            return state, copy.deepcopy(data)
        async with self._sessions() as session:
            stored = _stored(await session.get(FsmRecord, _key(key)))
        if remembered is not None:
            remembered[_key(key)] = stored
        return stored[0], copy.deepcopy(stored[1])

    async def _write(self, key: StorageKey, **fields: Any) -> None:
        remembered = _read_in_update.get()
        if remembered is not None and _key(key) in remembered:
            state, data = remembered[_key(key)]
            if fields.get("state", state) == state and fields.get("data", data) == data:
                return  # as stored already
        async with self._sessions() as session:
            existing = await session.get(FsmRecord, _key(key))
            record = existing or FsmRecord(key=_key(key), state=None, data={})
            for name, value in fields.items():
                setattr(record, name, value)
            if record.state is None and not record.data:
                writes = existing is not None
                if existing is not None:
                    await session.delete(existing)  # a finished conversation leaves no row
            else:
                writes = existing is None or session.is_modified(existing)
                session.add(record)
            # A form's step is a write: the update's id goes with it (bot/storage/update_marks.py).
            mark = unstored_mark() if writes else None
            if mark is not None:
                await mark.store(session)
            await session.commit()
            if mark is not None:
                mark.stored = True
            if remembered is not None:
                remembered[_key(key)] = (record.state, copy.deepcopy(record.data))

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._write(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._read(key))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return (await self._read(key))[1]

    async def close(self) -> None:
        """The engine belongs to the app, which disposes of it."""
