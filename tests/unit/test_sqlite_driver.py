"""On SQLite a statement is one trip to aiosqlite's thread, and a transaction still is one:
what is not committed is rolled back, whatever the trips saved."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.storage.db import create_engine, create_session_factory


@pytest.fixture
async def sessions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'trips.sqlite3'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)"))
    trips: list[str] = []
    real = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        trips.append(getattr(fn, "__name__", repr(fn)))
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    yield create_session_factory(engine), trips
    await engine.dispose()


async def test_a_read_is_one_trip_and_a_write_two_with_its_commit(sessions) -> None:  # type: ignore[no-untyped-def]
    factory, trips = sessions
    async with factory() as session:
        assert (await session.execute(text("SELECT count(*) FROM note"))).scalar_one() == 0
    assert len(trips) == 1  # no rollback sent for a transaction never opened

    trips.clear()
    async with factory() as session:
        await session.execute(text("INSERT INTO note (body) VALUES ('一户一方案')"))
        await session.commit()
    assert trips == ["_run", "commit"]


async def test_what_is_not_committed_is_rolled_back(sessions) -> None:  # type: ignore[no-untyped-def]
    factory, trips = sessions
    async with factory() as session:
        await session.execute(text("INSERT INTO note (id, body) VALUES (1, 'kept')"))
        await session.commit()
    async with factory() as session:
        await session.execute(text("INSERT INTO note (id, body) VALUES (2, 'left')"))
        with pytest.raises(IntegrityError):
            await session.execute(text("INSERT INTO note (id, body) VALUES (1, 'twice')"))
        await session.rollback()
    async with factory() as session:
        await session.execute(text("INSERT INTO note (id, body) VALUES (3, 'not committed')"))
    async with factory() as session:
        bodies = (await session.execute(text("SELECT body FROM note ORDER BY id"))).scalars()
        assert list(bodies) == ["kept"]
    assert "rollback" in trips


@pytest.mark.parametrize("url", ["sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"])
async def test_a_database_in_memory_still_opens(url: str) -> None:
    # A file's pool keeps 50 connections; SQLAlchemy's pool for a database in memory is one
    # connection and refuses pool sizes, so none are given to it.
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()
