"""A menu press's two reads, run on the driver's connection (bot/storage/quick_reads.py), give
the very rows SQLAlchemy gives: the same names, values and types, on SQLite and PostgreSQL,
for the cases a press meets (a person or nobody, a form or none, an update seen or new, a
household contacted, flagged or neither)."""

from __future__ import annotations

import asyncio
from collections import namedtuple
from datetime import date
from typing import Any

import pytest
from asyncpg.exceptions import InterfaceError, InternalClientError, PostgresConnectionError
from sqlalchemy import event, insert, literal_column, select, text
from sqlalchemy.util.concurrency import greenlet_spawn

from bot.core.households.my_households import OWN_MONITORED_CORE, QUICK_OWN_MONITORED
from bot.storage import db, quick_reads
from bot.storage.models import FsmRecord, ProcessedUpdate
from bot.storage.quick_reads import QuickRead
from bot.storage.uow import App
from bot.telegram.middlewares import (
    FIRST_READS,
    QUICK_FIRST_READS,
    QUICK_SEEN_AND_ACCOUNT,
    SEEN_AND_ACCOUNT,
)
from tests.conftest import PG_URL
from tests.town_builder import TownBuilder

MARCH = {"first_day": date(2026, 3, 1), "last_day": date(2026, 3, 31)}
FORM_KEY = "1:900:900:::default"


def _typed(rows: list[Any]) -> list[list[tuple[str, type, Any]]]:
    return [[(name, type(value), value) for name, value in row._asdict().items()] for row in rows]


async def _both(app: App, quick: QuickRead, parameters: dict[str, Any]) -> tuple[list, list]:
    sent: list[tuple[str, Any]] = []  # what SQLAlchemy hands the driver

    def seen(_connection, _cursor, statement, values, _context, _many):  # type: ignore[no-untyped-def]
        sent.append((statement, tuple(values)))

    engine = app.reader.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        async with app.reading() as connection:
            by_sqlalchemy = list(await connection.execute(quick.statement, parameters))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    by_driver = await quick.rows(app.reader, parameters)
    # The same SQL with the same converted parameters, in the same order.
    plan = quick.plan_for(app.reader.dialect)
    assert sent == [(plan.sql, tuple(plan.values(parameters)))]
    return _typed(by_sqlalchemy), _typed(by_driver)


async def test_the_household_list_reads_the_same_rows(app: App) -> None:
    town = TownBuilder(app)
    village = await town.village("河口村")
    wang = await town.person("王建华")
    done = await town.household(village, "艾春花", wang)
    await town.contact(done, wang, date(2026, 3, 5))
    flagged = await town.household(village, "钟长林", wang)
    await town.flag(flagged, "因病")
    await town.household(village, "白玉珍", wang)

    read = {}
    for person_id in (wang.person_id, -1):  # theirs; nobody's
        expected, got = await _both(app, QUICK_OWN_MONITORED, {"person_id": person_id, **MARCH})
        assert got == expected
        read[person_id] = got
    assert (len(read[wang.person_id]), len(read[-1])) == (3, 0)


async def test_the_first_reads_read_the_same_row(app: App) -> None:
    town = TownBuilder(app)
    await town.person("王建华", telegram_user_id=900)
    async with app.uow() as uow:
        await uow.session.execute(
            insert(ProcessedUpdate).values(bot_id=1, update_id=5, at=app.clock.now())
        )
        uow.session.add(
            FsmRecord(key=FORM_KEY, state="ContactForm:channel", data={"household_id": 7})
        )
        await uow.commit()

    for telegram_user_id in (900, 901):  # a person; nobody
        for update_id in (5, 6):  # seen before; new
            who = {"bot_id": 1, "update_id": update_id, "telegram_user_id": telegram_user_id}
            for fsm_key in (FORM_KEY, "1:901:901:::default"):  # a form; none
                expected, got = await _both(app, QUICK_FIRST_READS, {**who, "fsm_key": fsm_key})
                assert got == expected and len(got) == 1
            expected, got = await _both(app, QUICK_SEEN_AND_ACCOUNT, who)
            assert got == expected and len(got) == 1
    assert QUICK_FIRST_READS.statement is FIRST_READS
    assert QUICK_SEEN_AND_ACCOUNT.statement is SEEN_AND_ACCOUNT
    assert QUICK_OWN_MONITORED.statement is OWN_MONITORED_CORE


async def test_another_driver_reads_the_same_rows_through_sqlalchemy(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    town = TownBuilder(app)
    village = await town.village("河口村")
    wang = await town.person("王建华", telegram_user_id=900)
    await town.household(village, "白玉珍", wang)
    parameters = {"person_id": wang.person_id, **MARCH}
    who = {"bot_id": 1, "update_id": 5, "telegram_user_id": 900}
    quick = (
        await QUICK_OWN_MONITORED.rows(app.reader, parameters),
        await QUICK_SEEN_AND_ACCOUNT.rows(app.reader, who),
    )
    monkeypatch.setattr(quick_reads, "QUICK_DRIVERS", ())  # as psycopg would be
    by_core = (
        await QUICK_OWN_MONITORED.rows(app.reader, parameters),
        await QUICK_SEEN_AND_ACCOUNT.rows(app.reader, who),
    )
    assert [_typed(rows) for rows in by_core] == [_typed(rows) for rows in quick]
    assert len(quick[0]) == 1 and len(quick[1]) == 1


def test_a_statement_completed_at_each_execution_is_refused(app: App) -> None:
    expanding = select(literal_column("1")).where(literal_column("2").in_([1, 2]))
    dialect = app.sessions.kw["bind"].dialect
    with pytest.raises(ValueError, match="complete when compiled"):
        QuickRead(expanding).plan_for(dialect)


@pytest.mark.skipif(not PG_URL, reason="a server that ends a connection: PostgreSQL")
async def test_a_connection_that_fails_mid_read_is_not_used_again(database_url: str) -> None:
    engine = db.reading_engine(db.create_engine(database_url))
    backend = QuickRead(select(literal_column("pg_backend_pid()").label("pid")))
    # The server ends the connection while this very statement runs.
    ending = QuickRead(select(literal_column("pg_terminate_backend(pg_backend_pid())").label("x")))
    try:
        [(first,)] = await backend.rows(engine, {})
        # asyncpg's words for it depend on when it notices
        with pytest.raises((InterfaceError, InternalClientError, PostgresConnectionError)):
            await ending.rows(engine, {})
        [(second,)] = await backend.rows(engine, {})  # a new connection, not the dead one
        assert second != first
    finally:
        await engine.dispose()


@pytest.mark.skipif(not PG_URL, reason="a statement running on the server: PostgreSQL")
async def test_a_read_cancelled_mid_statement_leaves_no_busy_connection_behind(
    database_url: str,
) -> None:
    engine = db.reading_engine(db.create_engine(database_url))
    watcher = db.create_engine(database_url)
    backend = QuickRead(select(literal_column("pg_backend_pid()").label("pid")))
    slow = QuickRead(select(literal_column("pg_sleep(30)").label("slept")))
    try:
        [(first,)] = await backend.rows(engine, {})
        reading = asyncio.create_task(slow.rows(engine, {}))  # on the same, only connection
        for _ in range(600):  # until the server runs it (at most ~60 s)
            async with watcher.connect() as connection:
                state = await connection.scalar(
                    text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": first}
                )
            if state == "active":
                break
            await asyncio.sleep(0.1)
        reading.cancel()  # a stop, or a timeout, in the middle of the statement
        with pytest.raises(asyncio.CancelledError):
            await reading
        [(second,)] = await backend.rows(engine, {})  # not the connection still busy
        assert second != first
    finally:
        await engine.dispose()
        await watcher.dispose()


@pytest.mark.skipif(not PG_URL, reason="a server that ends a connection: PostgreSQL")
async def test_a_connection_ended_between_reads_is_replaced_before_use(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 1e9)  # used a moment ago: no ping
    engine = db.reading_engine(db.create_engine(database_url))
    killer = db.create_engine(database_url)
    backend = QuickRead(select(literal_column("pg_backend_pid()").label("pid")))
    try:
        pooled = await engine.raw_connection()
        driver = pooled.driver_connection
        await greenlet_spawn(pooled.close)  # back in the pool, used a moment ago
        [(first,)] = await backend.rows(engine, {})
        async with killer.connect() as connection:  # the server ends it, as a restart does
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        for _ in range(600):  # until asyncpg has read the server's goodbye (at most ~60 s)
            if driver.is_closed():
                break
            await asyncio.sleep(0.1)
        [(second,)] = await backend.rows(engine, {})  # no error: replaced at checkout
        assert second != first
    finally:
        await engine.dispose()
        await killer.dispose()


def test_rows_read_as_a_class_whose_fields_are_not_the_columns_are_refused(app: App) -> None:
    wrong = namedtuple("Wrong", ["number", "id"])
    dialect = app.sessions.kw["bind"].dialect
    with pytest.raises(ValueError, match="not the statement's"):
        QuickRead(select(literal_column("1").label("id")), wrong).plan_for(dialect)
