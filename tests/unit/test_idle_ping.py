"""PostgreSQL connections are pinged only after standing idle: one used a moment ago is taken
as alive (a ping is three round trips), and one that died while idle (the server restarted)
is replaced before use, the caller seeing no error."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bot.storage import db
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="the ping of PostgreSQL connections")


def _count_pings(engine, monkeypatch: pytest.MonkeyPatch) -> list[object]:  # type: ignore[no-untyped-def]
    pings: list[object] = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection):  # type: ignore[no-untyped-def]
        pings.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


async def _backend(engine) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as connection:
        return (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()


async def test_a_connection_in_use_a_moment_ago_is_not_pinged(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = db.create_engine(database_url)
    pings = _count_pings(engine, monkeypatch)
    try:
        first = await _backend(engine)
        assert await _backend(engine) == first  # the same connection, taken again at once
        assert pings == []
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every connection idle "long"
        assert await _backend(engine) == first
        assert len(pings) == 1
    finally:
        await engine.dispose()


async def test_a_connection_that_died_while_idle_is_replaced_without_an_error(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = db.create_engine(database_url)
    killer = db.create_engine(database_url)
    try:
        first = await _backend(engine)
        async with killer.connect() as connection:  # the server ends it, as in a restart
            await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
        second = await _backend(engine)  # no error: pinged, found dead, replaced
        assert second != first
    finally:
        await engine.dispose()
        await killer.dispose()
