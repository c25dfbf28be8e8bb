"""SQLAlchemy's aiosqlite adapter, with each statement one trip to the connection's thread.

aiosqlite runs every call on a thread of the connection's own: each call is a queue put, a
thread wake-up and a wake-up of the event loop, about 50 µs of CPU on a busy machine.
SQLAlchemy's adapter makes four such calls per statement (open a cursor, execute, fetch the
rows, close the cursor) and one for each commit and rollback, even when nothing is open; a
session with one `SELECT 1` cost about 1 ms of CPU, and a bot update reads a few statements.

Here a statement is one call (the cursor is opened, executed, read and closed on the thread,
and its description, row count and last row id come back with the rows), and a commit or
rollback is skipped when the connection holds no transaction: the thread reports
`in_transaction` after each statement, and nothing else on the connection changes it
(bangfu reaches the connection only through SQLAlchemy). Server-side cursors (`stream()`)
keep SQLAlchemy's own class. Given to `create_async_engine` as the DBAPI `module`
(bot/storage/db.py).
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_

# What one statement sends back from the thread: description, rows, row count, last row
# id, and whether the connection is inside a transaction afterwards.
_Outcome = tuple[Any, list[Any], int, int | None, bool]


def _run(connection: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """On the connection's thread: the whole statement, cursor opened and closed."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid, connection.in_transaction
    finally:
        cursor.close()


async def run_statement(
    driver: aiosqlite.Connection, operation: str, parameters: Sequence[Any]
) -> tuple[list[Any], bool]:
    """One statement straight on aiosqlite's connection, in one trip (bot/storage/quick_reads.py):
    its rows, and whether the connection is inside a transaction afterwards."""
    _description, rows, _count, _last_id, in_transaction = await driver._execute(
        _run, driver._conn, operation, parameters, False
    )
    return rows, in_transaction


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A client-side cursor whose statement is one call to the connection's thread."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: OneTripConnection) -> None:
        # No cursor on the thread until a statement runs; `_cursor` None tells the base
        # class there is nothing to close there.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = {}
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        """The rows are all read at once; fetchmany's size alone matters."""

    async def _async_soft_close(self) -> None:
        """The thread's cursor is closed already."""

    def execute(self, operation: Any, parameters: Any = None) -> None:
        self._run(operation, () if parameters is None else parameters, many=False)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> None:
        self._run(operation, seq_of_parameters, many=True)

    def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        adapted: OneTripConnection = self._adapt_connection  # type: ignore[assignment]
        driver = self._connection
        try:
            outcome = await_(driver._execute(_run, driver._conn, operation, parameters, many))
        except Exception as error:
            adapted.in_transaction = True  # not known: let the next rollback run
            adapted._handle_exception(error)
        self._description, rows, self._rowcount, self._lastrowid, adapted.in_transaction = outcome
        self._rows = collections.deque(rows)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection with OneTripCursor and no idle commit/rollback."""

    __slots__ = ("in_transaction",)
    _cursor_cls = OneTripCursor

    def __init__(self, dbapi: Any, connection: aiosqlite.Connection) -> None:
        super().__init__(dbapi, connection)
        self.in_transaction = False

    def rollback(self) -> None:
        if self.in_transaction:
            super().rollback()
            self.in_transaction = False

    def commit(self) -> None:
        if self.in_transaction:
            super().commit()
            self.in_transaction = False


class OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module SQLAlchemy's aiosqlite dialect uses, making OneTripConnections."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def one_trip_dbapi() -> OneTripDbapi:
    return OneTripDbapi(aiosqlite, sqlite3)
