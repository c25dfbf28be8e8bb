"""On SQLite, what a menu press reads is read on the event loop's own thread.

aiosqlite runs every statement on a thread of its connection. The trip there and back is a
queue put, a thread woken, the GIL handed over twice and the event loop woken through its
pipe; alone about 90 µs of CPU, and under a backlog of updates, with fifty such threads
taking turns at the GIL, far more: `bench/per_update.py` on SQLite measured 2.3-2.9 ms of CPU
per menu press with its two reads on aiosqlite's threads, and 1.2-1.3 ms with them here. The
reads themselves (a few rows found by index in a local file) take 10-20 µs; the loop waits
those instead.

Why waiting on the loop is safe here:
- The database is in WAL mode (bot/storage/db.py): a reader never waits for a writer, and sees
  what was committed when its statement began, as a read on aiosqlite's connection outside a
  transaction does.
- This connection never waits at all: its busy timeout is 0. When SQLite would make a reader
  wait (another process holding the database in exclusive mode, a WAL being recovered after a
  crash) it answers "busy" at once, and the read goes to aiosqlite's thread as before, which
  waits there (`busy_timeout`, 30 s) without holding up the loop.
- It can only read (`PRAGMA query_only`), and opens only a database that exists (`mode=rw`:
  never a new, empty file beside the real one).
- Only `QuickRead`s come here (bot/storage/quick_reads.py): statements built for the menu
  press, found by index and bounded by one person's households.
- A database in a file only: an in-memory one is a different database for each connection.

One connection per thread that reads (the event loop's, in practice) and per process (a
connection must not be used across a fork); all are closed when the engine is disposed and
opened again when next needed.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine

# SQLite's primary result codes for "not here, not now": another connection holds a lock, or
# the file cannot be opened as it is (not there yet: aiosqlite's connection makes it).
_NOT_NOW = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN}


class LoopReads:
    """Read-only sqlite3 connections to one database file, one per (process, thread)."""

    def __init__(self, path: Path) -> None:
        self.uri = f"{path.resolve().as_uri()}?mode=rw"
        self._connections: dict[tuple[int, int], sqlite3.Connection] = {}
        self._lock = threading.Lock()  # the dict, between threads; never held while reading

    def rows(self, sql: str, parameters: Sequence[Any]) -> list[Any] | None:
        """The statement's rows, read here and now; None when SQLite says it would have to
        wait or cannot open the file (the caller then reads the usual way)."""
        try:
            connection = self._connection()
            cursor = connection.execute(sql, parameters)
            try:
                return cursor.fetchall()
            finally:
                cursor.close()
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorcode", 0) & 0xFF in _NOT_NOW:
                return None
            raise

    def close(self) -> None:
        with self._lock:
            ours = [
                connection
                for (pid, _thread), connection in self._connections.items()
                if pid == os.getpid()  # a parent's, copied by a fork, is the parent's to close
            ]
            self._connections.clear()
        for connection in ours:
            connection.close()

    def _connection(self) -> sqlite3.Connection:
        key = (os.getpid(), threading.get_ident())
        connection = self._connections.get(key)
        if connection is None:
            connection = sqlite3.connect(
                self.uri,
                uri=True,
                timeout=0,  # never wait: "busy" at once, and the read goes the usual way
                isolation_level=None,  # no transaction is ever opened: each read sees the latest
                check_same_thread=False,  # closed on disposal, from whichever thread disposes
            )
            connection.execute("PRAGMA query_only=ON")
            with self._lock:
                self._connections[key] = connection
        return connection


_LOOP_READS: WeakKeyDictionary[Engine, LoopReads] = WeakKeyDictionary()


def read_on_the_loop(engine: AsyncEngine, path: Path) -> None:
    """QuickReads on `engine` (SQLite, the database file at `path`) are read on the loop's thread
    from now on; the connections are closed when the engine is disposed."""
    reads = _LOOP_READS[engine.sync_engine] = LoopReads(path)
    event.listen(engine.sync_engine, "engine_disposed", lambda _engine: reads.close())


def loop_reads_of(engine: AsyncEngine) -> LoopReads | None:
    return _LOOP_READS.get(engine.sync_engine)
