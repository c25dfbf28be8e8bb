"""On SQLite in a file, a QuickRead is read on the event loop's thread: it never waits for a
writer, never writes, and whenever SQLite would make it wait it is read on aiosqlite's thread
instead, the loop running meanwhile (bot/storage/sqlite_loop_reads.py)."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Integer, bindparam, column, event, select, table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.db import create_engine
from bot.storage.quick_reads import QuickRead
from bot.storage.sqlite_loop_reads import LoopReads, loop_reads_of

NOTE = table("note", column("id", Integer), column("body"))
NOTES_FROM = QuickRead(
    select(NOTE.c.id, NOTE.c.body).where(NOTE.c.id >= bindparam("first")).order_by(NOTE.c.id)
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'loop.sqlite3'}")
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)"))
        await connection.execute(text("INSERT INTO note VALUES (1, '走访'), (2, '电话')"))
    yield engine
    await engine.dispose()


def _taken_from_the_pool(engine: AsyncEngine) -> list[int]:
    """A list that grows by one at each checkout of a pooled (aiosqlite) connection."""
    taken: list[int] = []
    event.listen(engine.sync_engine, "checkout", lambda *_: taken.append(1))
    return taken


async def test_a_read_runs_on_the_loop_and_never_waits_for_a_writer(engine: AsyncEngine) -> None:
    taken = _taken_from_the_pool(engine)
    async with engine.connect() as writer:  # a write transaction left open
        await writer.execute(text("INSERT INTO note VALUES (3, '视频')"))
        assert taken == [1]
        rows = await NOTES_FROM.rows(engine, {"first": 1})  # what is committed, at once
        assert [tuple(row) for row in rows] == [(1, "走访"), (2, "电话")]
        assert taken == [1]  # no aiosqlite connection for the read
        await writer.commit()
    rows = await NOTES_FROM.rows(engine, {"first": 2})
    assert [tuple(row) for row in rows] == [(2, "电话"), (3, "视频")]
    assert taken == [1]


async def test_where_sqlite_would_make_it_wait_the_loop_is_told_busy_at_once(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    # Another process's connection holding the database in exclusive mode: no one else may
    # read until it lets go.
    await engine.dispose()  # it takes that mode only with no other connection open
    holder = sqlite3.connect(tmp_path / "loop.sqlite3", isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        reads = loop_reads_of(engine)
        assert reads is not None
        assert reads.rows("SELECT count(*) FROM note", ()) is None  # no wait on the loop
        assert reads.rows("PRAGMA busy_timeout", ()) == [(0,)]  # it came without waiting
    finally:
        holder.close()
    assert reads.rows("SELECT count(*) FROM note", ()) == [(2,)]


async def test_a_read_the_loop_was_told_busy_for_is_read_on_aiosqlites_thread(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(LoopReads, "rows", lambda *_: None)  # what it says when SQLite is busy
    taken = _taken_from_the_pool(engine)
    rows = await NOTES_FROM.rows(engine, {"first": 2})
    assert [tuple(row) for row in rows] == [(2, "电话")]
    assert taken == [1]  # read on a pooled aiosqlite connection, where waiting is harmless


async def test_the_loops_connection_only_reads_and_makes_no_file(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    reads = loop_reads_of(engine)
    assert reads is not None
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reads.rows("INSERT INTO note VALUES (9, 'x')", ())
    assert reads.rows("SELECT count(*) FROM note", ()) == [(2,)]

    missing = tmp_path / "not-there.sqlite3"
    assert LoopReads(missing).rows("SELECT 1", ()) is None  # the usual way decides
    assert not missing.exists()


async def test_each_thread_reads_on_its_own_connection_and_disposal_closes_them(
    engine: AsyncEngine,
) -> None:
    reads = loop_reads_of(engine)
    assert reads is not None
    here = await NOTES_FROM.rows(engine, {"first": 1})
    elsewhere = await asyncio.to_thread(reads.rows, NOTES_FROM.plan_for(engine.dialect).sql, [1])
    assert [tuple(row) for row in here] == elsewhere == [(1, "走访"), (2, "电话")]
    connections = list(reads._connections.values())
    assert len(connections) == 2 and threading.get_ident() in {t for _, t in reads._connections}

    await engine.dispose()
    assert reads._connections == {}
    for connection in connections:
        with pytest.raises(sqlite3.ProgrammingError, match="closed"):
            connection.execute("SELECT 1")
    assert len(await NOTES_FROM.rows(engine, {"first": 1})) == 2  # opened again


@pytest.mark.parametrize("url", ["sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"])
async def test_an_in_memory_database_is_read_the_usual_way(url: str) -> None:
    engine = create_engine(url)  # another connection would see another, empty database
    try:
        assert loop_reads_of(engine) is None
        [(one,)] = await QuickRead(select(bindparam("n", type_=Integer).label("n"))).rows(
            engine, {"n": 1}
        )
        assert one == 1
    finally:
        await engine.dispose()


async def test_a_connection_that_failed_is_replaced_and_has_sqlalchemys_functions(
    engine: AsyncEngine,
) -> None:
    reads = loop_reads_of(engine)
    assert reads is not None
    assert reads.rows("SELECT floor(2.5), '走访' REGEXP '走'", ()) == [(2, 1)]
    first = reads._connections[(os.getpid(), threading.get_ident())]
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        reads.rows("SELECT * FROM missing", ())
    assert reads.rows("SELECT count(*) FROM note", ()) == [(2,)]
    assert reads._connections[(os.getpid(), threading.get_ident())] is not first


async def test_the_loop_reads_the_file_sqlalchemy_opens(tmp_path: Path) -> None:
    # `data` a link elsewhere: `data/..` is the folder the URL names, not the link's target's.
    (tmp_path / "elsewhere" / "deep").mkdir(parents=True)
    (tmp_path / "data").symlink_to(tmp_path / "elsewhere" / "deep")
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'data' / '..' / 'real.sqlite3'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT)"))
            await connection.execute(text("INSERT INTO note VALUES (1, '走访')"))
        assert (tmp_path / "real.sqlite3").exists()
        reads = loop_reads_of(engine)
        assert reads is not None and reads.uri.startswith((tmp_path / "real.sqlite3").as_uri())
        assert [tuple(row) for row in await NOTES_FROM.rows(engine, {"first": 1})] == [(1, "走访")]
    finally:
        await engine.dispose()


@pytest.mark.parametrize("options", ["?detect_types=1", "?uri=true"])
async def test_a_url_with_driver_options_is_read_the_usual_way(
    tmp_path: Path, options: str
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'options.sqlite3'}{options}")
    try:
        assert loop_reads_of(engine) is None  # the loop's connection would not share them
    finally:
        await engine.dispose()
