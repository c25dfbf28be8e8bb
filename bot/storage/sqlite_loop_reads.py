"""On SQLite, what a menu press reads is read on the event loop's own thread.

aiosqlite runs every statement on a thread of its connection. The trip there and back is a
queue put, a thread woken, the GIL handed over twice and the event loop woken through its
pipe; alone about 90 µs of CPU, and under a backlog of updates, with fifty such threads
taking turns at the GIL, far more: `bench/per_update.py` on SQLite measured 2.12-2.95 ms of
CPU per menu press with its two reads on aiosqlite's threads, and 1.35-1.40 ms with them here.
The reads themselves (a few rows found by index in a local file) take 10-20 µs; the loop waits
those instead.

Why the loop can wait for them:
- The database is in WAL mode (bot/storage/db.py): a reader does not wait for a writer, and
  sees what was committed when its statement began, as a read on aiosqlite's connection
  outside a transaction does.
- This connection does not wait for other connections' locks: its busy timeout is 0. When
  SQLite would make a reader wait (another process holding the database in exclusive mode)
  it answers "busy" at once, and the read goes to aiosqlite's thread as before, which waits
  there (`busy_timeout`, 30 s) without holding up the loop. Two waits remain on the loop, as
  SQLite does them whatever the timeout: recovering the WAL when this is the first connection
  to open the database after a crash, and, very rarely, SQLite's own retries while a writer
  resets the WAL (at most ~10 s, then SQLITE_PROTOCOL, which goes to aiosqlite's thread too).
- It can only read (`PRAGMA query_only`), and opens only a database that exists (`mode=rw`:
  never a new, empty file beside the real one); the file is the one SQLAlchemy opens (its own
  `create_connect_args`), with SQLAlchemy's SQL functions (`regexp`, `floor`).
- Only `QuickRead`s come here (bot/storage/quick_reads.py): statements built for the menu
  press, found by index and bounded by one person's households.
- A plain database file only: not an in-memory database (a different one for each
  connection), nor a URL with driver options (`uri`, `detect_types`, ...) the loop's
  connection would not share.

One connection per thread that reads (the event loop's, in practice); one that fails other
than "busy" is closed and opened again at the next read, and all are closed when the engine
is disposed. bangfu does not fork (workers are started afresh), and a connection must not be
used across a fork: one copied into a child process is left alone there.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine

# SQLite's primary result codes for "not here, not now": another connection holds a lock, the
# WAL was being reset for too long, or the file cannot be opened as it is (not there yet:
# aiosqlite's connection makes it). Anything else (an I/O error, a missing table) is raised,
# as the pooled path would raise it.
_NOT_NOW = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_PROTOCOL,
    sqlite3.SQLITE_CANTOPEN,
}
# What SQLAlchemy's SQLite URL may carry for the driver, and the loop's connection can do
# without: it sets its own timeout, and is used by one thread only.
_OPTIONS_LEFT_ALONE = {"timeout", "check_same_thread"}


class LoopReads:
    """Read-only sqlite3 connections to one database file, one per (process, thread)."""

    def __init__(self, path: Path, on_connect: Callable[[Any], None] | None = None) -> None:
        """`path`: absolute, as SQLAlchemy opens it; `on_connect`: the dialect's (its SQL
        functions)."""
        self.uri = f"{path.as_uri()}?mode=rw"
        self.on_connect = on_connect
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
        except sqlite3.Error as error:
            if isinstance(error, sqlite3.OperationalError) and _not_now(error):
                return None
            self._forget_this_threads()  # not known to be usable again: a new one next time
            raise

    def close(self) -> None:
        with self._lock:
            here = os.getpid()
            ours = [c for (pid, _), c in self._connections.items() if pid == here]
            # A parent's, copied by a fork, stays referenced: closing it (or letting it be
            # collected) in the child could let go of the parent's locks on the file.
            self._connections = {k: c for k, c in self._connections.items() if k[0] != here}
        for connection in ours:
            connection.close()

    def _forget_this_threads(self) -> None:
        with self._lock:
            connection = self._connections.pop((os.getpid(), threading.get_ident()), None)
        if connection is not None:
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
            if self.on_connect is not None:
                self.on_connect(connection)
            with self._lock:
                self._connections[key] = connection
        return connection


_LOOP_READS: WeakKeyDictionary[Engine, LoopReads] = WeakKeyDictionary()


def read_on_the_loop(engine: AsyncEngine) -> None:
    """QuickReads on `engine` (SQLite) are read on the loop's thread from now on, if its URL
    names a plain database file; the connections are closed when the engine is disposed."""
    (filename, *_), options = engine.dialect.create_connect_args(engine.url)
    if filename == ":memory:" or not set(options) <= _OPTIONS_LEFT_ALONE:
        return
    reads = LoopReads(Path(filename), engine.dialect.on_connect())
    _LOOP_READS[engine.sync_engine] = reads
    event.listen(engine.sync_engine, "engine_disposed", lambda _engine: reads.close())


def loop_reads_of(engine: AsyncEngine) -> LoopReads | None:
    return _LOOP_READS.get(engine.sync_engine)


def _not_now(error: sqlite3.OperationalError) -> bool:
    return getattr(error, "sqlite_errorcode", 0) & 0xFF in _NOT_NOW
