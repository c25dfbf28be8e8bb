"""DB_POOL_SIZE and DB_MAX_OVERFLOW: how many database connections a process keeps, and how
many more it may open in a rush (a county with several workers fits them under PostgreSQL's
max_connections)."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.storage import db
from bot.telegram.app import build_app


def _settings(database_url: str, **environment: str) -> Settings:
    return Settings(_env_file=None, database_url=database_url, **environment)  # type: ignore[call-arg, arg-type]


async def test_a_process_opens_no_more_than_the_pool_and_its_overflow(database_url: str) -> None:
    app = build_app(_settings(database_url, db_pool_size="2", db_max_overflow="1"))
    engine = app.sessions.kw["bind"]
    try:
        async with AsyncExitStack() as held:
            for _ in range(3):
                await held.enter_async_context(engine.connect())
            assert engine.sync_engine.pool.checkedout() == 3
            # A fourth waits for one of the three (it would be given one within the second
            # if the overflow were larger).
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(engine.connect().__aenter__(), 1.0)
        assert engine.sync_engine.pool.checkedin() == 2  # the one beyond the pool was closed
    finally:
        await app.close()


def test_unset_sizes_keep_each_engines_own(database_url: str) -> None:
    engine = db.create_engine(database_url)
    expected = db.POSTGRESQL_POOL if database_url.startswith("postgresql") else db.SQLITE_POOL
    assert engine.sync_engine.pool.size() == expected["pool_size"]
    assert engine.sync_engine.pool._max_overflow == expected["max_overflow"]  # type: ignore[attr-defined]


def test_an_in_memory_database_takes_no_sizes() -> None:
    engine = db.create_engine("sqlite+aiosqlite:///:memory:", pool_size=2, max_overflow=1)
    assert engine.sync_engine.pool.__class__.__name__ == "StaticPool"


@pytest.mark.parametrize(
    ("name", "value"), [("db_pool_size", "0"), ("db_max_overflow", "-1"), ("db_pool_size", "x")]
)
def test_sizes_that_cannot_work_are_refused_at_start(name: str, value: str) -> None:
    with pytest.raises(ValidationError, match=name):
        _settings("sqlite+aiosqlite:///x.sqlite3", **{name: value})


def test_a_blank_size_in_env_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_POOL_SIZE", "")  # as .env leaves it: `DB_POOL_SIZE=`
    monkeypatch.setenv("DB_MAX_OVERFLOW", " ")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (settings.db_pool_size, settings.db_max_overflow) == (None, None)


def test_doctor_says_nothing_of_an_in_memory_database_s_pool() -> None:
    from bot.ops.doctor_settings import check_pool

    in_memory = _settings("sqlite+aiosqlite:///:memory:", db_pool_size="2", db_max_overflow="1")
    assert check_pool(in_memory) == []
