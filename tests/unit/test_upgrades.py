"""Upgrading keeps everything: for every earlier migration, a database built at that revision
and filled with rows (every table, every column, nullable ones too, Chinese text in the
text columns) upgrades to head with each of those rows and values intact, and the app's
models read every row back. A new migration is covered as soon as it is added."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.migrate import alembic_config, upgrade
from bot.storage.models import Base
from tests.conftest import PG_URL

ROWS = 3
SCRIPTS = ScriptDirectory.from_config(alembic_config("sqlite://"))
HEAD = SCRIPTS.get_current_head()
EARLIER = [revision.revision for revision in SCRIPTS.walk_revisions() if revision.revision != HEAD]
Snapshot = dict[str, list[dict[str, Any]]]
SEEDED = {"towns": 1}  # 0009 puts the villages there were under one town


@pytest.fixture
async def empty_url(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database: a new SQLite file, or the test PostgreSQL database with its schema
    dropped (migrated to head again afterwards, for the tests that follow)."""
    if not PG_URL:
        yield f"sqlite+aiosqlite:///{tmp_path / 'old.sqlite3'}"
        return
    await _run(database_url, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public")
    yield database_url
    await _run(database_url, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public")
    await asyncio.to_thread(upgrade, database_url)


async def _run(url: str, *statements: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))
    await engine.dispose()


def test_every_earlier_revision_is_covered() -> None:
    assert EARLIER, "no earlier revision: nothing to upgrade from"
    assert "0001" in EARLIER and HEAD not in EARLIER


@pytest.mark.parametrize("revision", sorted(EARLIER))
async def test_a_database_filled_at_an_earlier_revision_upgrades_to_head_with_nothing_lost(
    empty_url: str, revision: str
) -> None:
    await asyncio.to_thread(upgrade, empty_url, revision)
    before = await fill(empty_url)

    await asyncio.to_thread(upgrade, empty_url)

    after = await read(empty_url, before)
    assert await current_revision(empty_url) == HEAD
    for table, rows in before.items():
        assert after[table] == rows, f"{table}: rows changed by the upgrade from {revision}"
    await read_with_the_models(empty_url)


async def fill(url: str) -> Snapshot:
    """Insert ROWS rows into every table (parents first) with a value in every column; return
    them as read back from the database."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            metadata = sa.MetaData()
            await connection.run_sync(metadata.reflect)
            for table in metadata.sorted_tables:
                if table.name == "alembic_version":
                    continue
                # a row a migration seeded itself (0009's town, at 0009 and later) gives way
                # to the numbered rows, which the children's foreign keys point at
                await connection.execute(table.delete())
                for index in range(ROWS):
                    await connection.execute(table.insert().values(row_values(table, index)))
        return await read(url, {name: [] for name in metadata.tables if name != "alembic_version"})
    finally:
        await engine.dispose()


def row_values(table: sa.Table, index: int) -> dict[str, Any]:
    values = {}
    for column in table.columns:
        if column.primary_key and isinstance(column.type, sa.Integer):
            values[column.name] = index + 1
        elif column.foreign_keys:
            values[column.name] = (index % ROWS) + 1  # the parent's row of the same number
        else:
            values[column.name] = value_for(table.name, column, index)
    return values


def value_for(table: str, column: sa.Column[Any], index: int) -> Any:
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return index % 2 == 0
    if isinstance(kind, sa.Integer):
        return 1000 * (index + 1) + len(column.name)
    if isinstance(kind, sa.Numeric):
        return Decimal("5200.50") + index
    if isinstance(kind, sa.DateTime):
        return datetime(2025, 12, 31, 8, 30) + timedelta(days=index, minutes=len(column.name))
    if isinstance(kind, sa.Date):
        return date(2025, 12, 1) + timedelta(days=index)
    if isinstance(kind, sa.JSON):
        return {"户主": f"张三{index}", "values": [index, "两不愁三保障"]}
    if isinstance(kind, sa.String | sa.Text):
        length = getattr(kind, "length", None) or 200
        return f"{index}{column.name}{table}帮扶"[:length]
    raise AssertionError(f"no test value for {table}.{column.name} ({kind!r}): add one")


async def read(url: str, tables: Snapshot) -> Snapshot:
    """The rows of `tables`, each with only the columns it had before (new columns may be
    added by a migration; none may be lost)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            metadata = sa.MetaData()
            await connection.run_sync(metadata.reflect)
            found: Snapshot = {}
            for name, old_rows in tables.items():
                assert name in metadata.tables, f"table {name} is gone"
                table = metadata.tables[name]
                columns = list(old_rows[0]) if old_rows else [c.name for c in table.columns]
                missing = set(columns) - set(table.columns.keys())
                assert not missing, f"{name} lost columns {missing}"
                query = select(*(table.c[c] for c in columns)).order_by(*table.primary_key)
                found[name] = [dict(row._mapping) for row in await connection.execute(query)]
            return found
    finally:
        await engine.dispose()


async def current_revision(url: str) -> str:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        await engine.dispose()


async def read_with_the_models(url: str) -> None:
    """Every row loads through the app's own models (types, JSON, UTC datetimes)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            for mapper in Base.registry.mappers:
                rows = (await connection.execute(select(mapper.class_))).all()
                table = mapper.local_table.name
                seeded = SEEDED.get(table, 0)  # rows a migration adds itself
                assert len(rows) in (0, ROWS, seeded), f"{table}: {len(rows)} rows"
    finally:
        await engine.dispose()


async def test_guarantee_flags_take_their_problems_from_the_contact_that_raised_them(
    empty_url: str,
) -> None:
    """0008: a flag a contact's guarantee problem raised learns which problems
    it was raised for (its contact's); any other flag has none."""
    await asyncio.to_thread(upgrade, empty_url, "0005")
    await fill(empty_url)
    await _run(
        empty_url,
        """UPDATE contacts SET problems = '["housing"]' WHERE id = 1""",
        "UPDATE red_flags SET source = 'guarantee', contact_id = 1 WHERE id = 1",
        "UPDATE red_flags SET source = 'platform' WHERE id = 2",
    )

    await asyncio.to_thread(upgrade, empty_url, "0008")

    engine = create_async_engine(empty_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT id, problems, withdrawn_at FROM red_flags ORDER BY id")
            )
            found = {row.id: (row.problems, row.withdrawn_at) for row in rows}
    finally:
        await engine.dispose()
    as_list = {key: json.loads(p) if isinstance(p, str) else p for key, (p, _w) in found.items()}
    assert as_list[1] == ["housing"] and as_list[2] == []
    assert {withdrawn for _p, withdrawn in found.values()} == {None}
