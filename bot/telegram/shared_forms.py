"""The forms' state in Redis (webhook workers), read once per update.

aiogram's `RedisStorage` makes a trip to Redis for every read and every write: each update
read the form's state (the intake), a menu press then left an empty form (two deletes), and a
form's step read its data again. As the database's storage does in polling
(bot/storage/fsm.py), within one update (`one_update()`, opened by the update intake around
the per-chat lock, so no other worker touches the chat's form while it is remembered):

- the state and the data are read together, in one trip (`load`), before the intake reads the
  database: a Redis that cannot be reached stops the update before anything is written;
- later reads are answered from that, and a write that changes nothing is not made;
- a write that changes something goes to Redis at once, as before, once the update's id is
  stored (the replay guard, bot/storage/update_marks.py: a form's step is a write).

Outside an update (a test, the CLI) every call is aiogram's own read or write.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from contextlib import AbstractContextManager
from contextvars import ContextVar
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StateType, StorageKey
from aiogram.fsm.storage.redis import RedisStorage

from bot.storage.fsm import remembered_in
from bot.storage.update_marks import unstored_mark

# Redis key of the state -> (state, data) as stored, for the update being handled.
_Stored = tuple[str | None, dict[str, Any]]
_read_in_update: ContextVar[dict[str, _Stored] | None] = ContextVar(
    "bangfu_shared_form", default=None
)


async def _store_update_mark() -> None:
    """A form's step is a write: the update's id is stored before it (the replay guard)."""
    mark = unstored_mark()
    if mark is not None:
        await mark.store_alone()


def _text(value: bytes | str | None) -> str | None:
    return value.decode("utf-8") if isinstance(value, bytes) else value


class SharedFormStorage(RedisStorage):
    def one_update(self) -> AbstractContextManager[None]:
        """Reads inside are remembered until the block ends (one update's handling)."""
        return remembered_in(_read_in_update)

    def form_keys(self, key: StorageKey) -> tuple[str, str]:
        """The Redis keys of `key`'s state and data."""
        return self.key_builder.build(key, "state"), self.key_builder.build(key, "data")

    async def load(self, key: StorageKey) -> None:
        """Read `key`'s state and data in one trip, for the rest of the update (unless the
        chat's lock read them already: bot/telegram/shared_chat_lock.py)."""
        remembered = _read_in_update.get()
        if remembered is None or self.key_builder.build(key, "state") in remembered:
            return
        self.remember(key, *await self.redis.mget(*self.form_keys(key)))

    def remember(self, key: StorageKey, state: bytes | None, data: bytes | None) -> None:
        """`key`'s state and data as read from Redis, for the rest of the update (outside
        one: not kept)."""
        remembered = _read_in_update.get()
        if remembered is not None:
            state_key = self.key_builder.build(key, "state")
            remembered[state_key] = (_text(state), self.json_loads(data) if data else {})

    def _remembered(self, key: StorageKey) -> tuple[dict[str, _Stored], str] | None:
        remembered = _read_in_update.get()
        state_key = self.key_builder.build(key, "state")
        if remembered is None or state_key not in remembered:
            return None
        return remembered, state_key

    async def get_state(self, key: StorageKey) -> str | None:
        found = self._remembered(key)
        if found is None:
            return await super().get_state(key)
        remembered, state_key = found
        return remembered[state_key][0]

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        found = self._remembered(key)
        if found is None:
            return await super().get_data(key)
        remembered, state_key = found
        return copy.deepcopy(remembered[state_key][1])

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        found = self._remembered(key)
        if found is not None and found[0][found[1]][0] == value:
            return  # as stored already
        await _store_update_mark()
        await super().set_state(key, value)
        if found is not None:
            remembered, state_key = found
            remembered[state_key] = (value, remembered[state_key][1])

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        found = self._remembered(key)
        if found is not None and isinstance(data, dict) and found[0][found[1]][1] == data:
            return  # as stored already
        await _store_update_mark()
        await super().set_data(key, data)
        if found is not None:
            remembered, state_key = found
            remembered[state_key] = (remembered[state_key][0], copy.deepcopy(dict(data)))
