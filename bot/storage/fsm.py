"""An aiogram FSM storage backed by the database, so a bot killed mid-form resumes it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.storage.models import FsmRecord


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


class SqlAlchemyStorage(BaseStorage):
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def _write(self, key: StorageKey, **fields: Any) -> None:
        async with self._sessions() as session:
            existing = await session.get(FsmRecord, _key(key))
            record = existing or FsmRecord(key=_key(key), state=None, data={})
            for name, value in fields.items():
                setattr(record, name, value)
            if record.state is None and not record.data:
                if existing is not None:
                    await session.delete(existing)  # a finished conversation leaves no row
            else:
                session.add(record)
            await session.commit()

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._write(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._sessions() as session:
            record = await session.get(FsmRecord, _key(key))
            return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._sessions() as session:
            record = await session.get(FsmRecord, _key(key))
            return dict(record.data) if record else {}

    async def close(self) -> None:
        """The engine belongs to the app, which disposes of it."""
