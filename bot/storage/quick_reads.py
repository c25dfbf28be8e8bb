"""A read statement built once, run on the driver's own connection: what every menu press reads.

SQLAlchemy's Core execution costs about 0.2 ms of CPU per statement beyond the driver's
work (an execution context, the parameters worked out again, the result's metadata and row
objects), and a menu press makes two (the intake's first reads, the household list). A
`QuickRead` compiles its statement once per dialect and then does only what that work comes
to for a plain SELECT: the parameters in the compiled order, each converted by its type's
bind processor; one call to the driver (aiosqlite: one trip to the connection's thread;
asyncpg: one `fetch` of a statement it keeps prepared); each value converted by its column's
result processor. The values are SQLAlchemy's own (the same processors), in named tuples
with the statement's column names; `tests/unit/test_quick_reads.py` compares the two on
SQLite and PostgreSQL.

On SQLite in a file the statement is read on the event loop's own thread instead, where
it never waits (bot/storage/sqlite_loop_reads.py): the trip to aiosqlite's thread cost more
than the rest of the press. Otherwise, and whenever SQLite would make that read wait, the
connection comes from SQLAlchemy's pool (`App.reader`), so pooling, pinging and
disposal stay SQLAlchemy's; one that fails mid-statement is invalidated (closed, not
reused). A statement whose SQL is completed at each execution (an expanding IN list, a
literal-executed value) is refused when it is first compiled.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util.concurrency import greenlet_spawn

from bot.storage.sqlite_driver import OneTripConnection, run_statement
from bot.storage.sqlite_loop_reads import loop_reads_of

Processor = Callable[[Any], Any] | None
QUICK_DRIVERS = ("aiosqlite", "asyncpg")  # the drivers bangfu's URLs name; others go by Core


@dataclass(frozen=True)
class _Plan:
    """A statement compiled for one dialect, with what its parameters and rows need."""

    sql: str
    compiled: Any  # SQLAlchemy's compiled statement: its parameters' values and order
    order: tuple[str, ...]
    binds: tuple[Processor, ...]
    converted: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column, its result processor)
    row: Any  # the named tuple class

    def values(self, parameters: Mapping[str, Any]) -> list[Any]:
        given = self.compiled.construct_params(parameters)  # also the statement's own values
        return [
            value if convert is None else convert(value)
            for convert, value in zip(self.binds, (given[name] for name in self.order), strict=True)
        ]

    def rows(self, raw_rows: list[Any]) -> list[Any]:
        make = self.row._make
        if not self.converted:
            return [make(raw) for raw in raw_rows]
        rows = []
        for raw in raw_rows:
            values = list(raw)
            for index, convert in self.converted:
                values[index] = convert(values[index])
            rows.append(make(values))
        return rows


def _plan(statement: Select[Any], dialect: Dialect, row: Any) -> _Plan:
    compiled = statement.compile(dialect=dialect)
    if not compiled.positional or compiled.literal_execute_params or compiled.post_compile_params:
        raise ValueError("a QuickRead needs a statement whose SQL is complete when compiled")
    order = tuple(compiled.positiontup or ())  # the names as in the SQL (escaped if need be)
    original = {escaped: name for name, escaped in (compiled.escaped_bind_names or {}).items()}
    binds = tuple(
        compiled.binds[original.get(name, name)].type.dialect_impl(dialect).bind_processor(dialect)
        for name in order
    )
    columns = list(statement.selected_columns)
    names = [column.key for column in columns]
    if len(set(names)) != len(names):
        raise ValueError(f"a QuickRead needs distinct column names, not {names}")
    results = [
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in columns
    ]
    converted = tuple((index, convert) for index, convert in enumerate(results) if convert)
    if row is None:
        row = namedtuple("Row", names)  # type: ignore[misc]
    elif list(row._fields) != names:
        raise ValueError(f"the row's fields {row._fields} are not the statement's {names}")
    return _Plan(compiled.string, compiled, order, binds, converted, row)


class QuickRead:
    """`rows = await QUICK.rows(app.reader, parameters)`: a list of named tuples."""

    def __init__(self, statement: Select[Any], row: Any = None) -> None:
        """`row`: a named tuple class with the statement's column names, to read rows as
        (by default one is made)."""
        self.statement = statement
        self._row = row
        self._plans: dict[str, _Plan] = {}

    def plan_for(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _plan(self.statement, dialect, self._row)
        return plan

    async def rows(self, engine: AsyncEngine, parameters: Mapping[str, Any]) -> list[Any]:
        """The rows: on SQLite in a file read on the loop's thread, otherwise (or when SQLite
        is busy) on a connection taken from `engine`'s pool for this statement alone."""
        if engine.dialect.driver not in QUICK_DRIVERS:  # another driver named in DATABASE_URL
            async with engine.connect() as connection:
                result = await connection.execute(self.statement, dict(parameters))
                return [self._row._make(row) for row in result] if self._row else list(result)
        plan = self.plan_for(engine.dialect)
        values = plan.values(parameters)
        on_the_loop = loop_reads_of(engine)  # SQLite in a file: read here, unless SQLite is busy
        raw_rows = on_the_loop.rows(plan.sql, values) if on_the_loop else None
        if raw_rows is not None:
            return plan.rows(raw_rows)
        # The pool's connection itself, not SQLAlchemy's Connection around it (~60 µs less).
        pooled = await engine.raw_connection()
        try:
            adapted, driver = pooled.dbapi_connection, pooled.driver_connection
            if isinstance(adapted, OneTripConnection):  # SQLite through bangfu's adapter
                raw_rows, adapted.in_transaction = await run_statement(driver, plan.sql, values)
            else:  # asyncpg, outside any transaction
                raw_rows = await driver.fetch(plan.sql, *values)
        except BaseException as error:
            # Not known to be usable again (the server went away, the task was cancelled
            # mid-statement): the pool closes it and opens another when next needed.
            await greenlet_spawn(pooled.invalidate, error)
            raise
        finally:
            await greenlet_spawn(pooled.close)
        return plan.rows(raw_rows)
