"""Restoring a backup into an empty database, and telling what a database holds.

A restore never mixes two towns' data and never overwrites work: the target must hold no
villages, people, households or contacts (a database bangfu only migrated, or started once
without anyone joining, counts as empty), and no `bangfu run` may be using it (restore holds
the leader lock meanwhile, so none can start). After the copy the database is upgraded to
this version's schema, so a backup made by an older bangfu restores as well.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import Settings
from bot.errors import DomainError
from bot.i18n import N_, join_list
from bot.i18n import gettext as _
from bot.ops.backup import (
    POSTGRES_SUFFIX,
    SQLITE_SUFFIX,
    BackupFailed,
    is_postgres,
    run_pg_tool,
    sqlite_path,
)
from bot.private_files import private_file, private_folder
from bot.storage.leader import leader_lock
from bot.storage.migrate import upgrade
from bot.storage.models import Base

# Rows in any of these make a database "not empty": they are the town's work.
DATA_TABLES = ("villages", "people", "households", "contacts")
# What restore reports before and after, and how it names them.
TABLE_NAMES = {
    "villages": N_("villages"),
    "people": N_("people"),
    "households": N_("households"),
    "contacts": N_("contacts"),
    "red_flags": N_("red flags"),
    "audit_log": N_("audit entries"),
}
COUNTED_TABLES = tuple(TABLE_NAMES)
BANGFU_TABLES = frozenset(Base.metadata.tables) | {"alembic_version"}


class RestoreRefused(DomainError):
    """Nothing was changed; the message says why and what to do."""


NOT_A_BACKUP = N_("{path} is not a bangfu backup (a .sqlite3 or .pgdump file bangfu made).")
WRONG_ENGINE = N_(
    "{path} is a backup of a {made} database, but DATABASE_URL points to a {target} database."
)
BOT_RUNNING = N_(
    "bangfu is running on this database ({holder}). Stop it first "
    "(systemctl stop bangfu, or docker compose stop bot), then restore."
)
NOT_EMPTY = N_(
    "The database already holds a town's data ({counts}). A backup is restored only into an "
    "empty database, so nothing is overwritten. Keep this one aside first: for SQLite move the "
    "file away (mv {where} {where}.old); for PostgreSQL create a new database and point "
    "DATABASE_URL at it. Then restore again."
)
FOREIGN_TABLES = N_(
    "The database holds tables that are not bangfu's ({tables}). Restore into a database of "
    "bangfu's own."
)
NO_PG_RESTORE = N_(
    "pg_restore was not found. Install the PostgreSQL client tools "
    "(Debian/Ubuntu: apt-get install postgresql-client), then try again."
)
PG_RESTORE_FAILED = N_("pg_restore failed: {error}")
SQLITE_DAMAGED = N_("{path} cannot be read as a database: {error}")
ENGINE_NAMES = {True: "PostgreSQL", False: "SQLite"}


@dataclass(frozen=True)
class Contents:
    """How many rows a database (or a backup) holds, per counted table."""

    counts: dict[str, int]

    @property
    def empty(self) -> bool:
        return not any(self.counts.get(table, 0) for table in DATA_TABLES)

    def describe(self) -> str:
        return join_list(f"{_(TABLE_NAMES[table])} {count}" for table, count in self.counts.items())


async def database_contents(database_url: str) -> Contents:
    """The counted tables' rows in the database (an absent file or table counts 0)."""
    path = None if is_postgres(database_url) else sqlite_path(database_url)
    if path is not None and not path.exists():
        return Contents(dict.fromkeys(COUNTED_TABLES, 0))
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            present = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
            counts = {}
            for table in COUNTED_TABLES:
                query = text(f"SELECT count(*) FROM {table}")  # names from the list above
                counts[table] = (await connection.scalar(query)) if table in present else 0
            return Contents(counts)
    finally:
        await engine.dispose()


def backup_contents(path: Path) -> Contents | None:
    """What a SQLite backup holds (None for a PostgreSQL dump: known once restored)."""
    if path.suffix != SQLITE_SUFFIX:
        return None
    present = _sqlite_tables(path)
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        return Contents(
            {
                table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                if table in present
                else 0
                for table in COUNTED_TABLES
            }
        )


async def check_backup(settings: Settings, path: Path) -> None:
    """RestoreRefused unless `path` is a readable backup for this database's engine."""
    if not _named_like_a_backup(path):
        raise RestoreRefused(NOT_A_BACKUP, path=str(path))
    made_by_postgres = path.suffix == POSTGRES_SUFFIX
    target_postgres = is_postgres(settings.database_url)
    if made_by_postgres != target_postgres:
        raise RestoreRefused(
            WRONG_ENGINE,
            path=str(path),
            made=ENGINE_NAMES[made_by_postgres],
            target=ENGINE_NAMES[target_postgres],
        )
    if made_by_postgres:
        try:
            await run_pg_tool(
                ["pg_restore", "--list", str(path)],
                settings.database_url,
                PG_RESTORE_FAILED,
                NO_PG_RESTORE,
            )
        except BackupFailed:
            raise RestoreRefused(NOT_A_BACKUP, path=str(path)) from None
    elif "alembic_version" not in _sqlite_tables(path):
        raise RestoreRefused(NOT_A_BACKUP, path=str(path))


async def restore(settings: Settings, path: Path) -> Contents:
    """Restore the backup at `path` into the (empty) database of DATABASE_URL, upgrade it to
    this version's schema, and return what it now holds."""
    await check_backup(settings, path)
    url = settings.database_url
    lock = leader_lock(url)
    if not await lock.try_take():
        holder = await lock.holder()
        await lock.release()
        raise RestoreRefused(BOT_RUNNING, holder=holder or "?")
    try:
        before = await database_contents(url)
        if not before.empty:
            where = str(sqlite_path(url) or "") if not is_postgres(url) else ""
            raise RestoreRefused(NOT_EMPTY, counts=before.describe(), where=where or "…")
        if is_postgres(url):
            await _drop_empty_schema(url)
            await run_pg_tool(
                [
                    "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
                    "--single-transaction", f"--dbname={_database_name(url)}", str(path),
                ],
                url,
                PG_RESTORE_FAILED,
                NO_PG_RESTORE,
            )  # fmt: skip
        else:
            await asyncio.to_thread(_sqlite_restore, path, url)
        await asyncio.to_thread(upgrade, url)
        return await database_contents(url)
    finally:
        await lock.release()


def _named_like_a_backup(path: Path) -> bool:
    return path.suffix in (SQLITE_SUFFIX, POSTGRES_SUFFIX) and path.is_file()


def _sqlite_tables(path: Path) -> set[str]:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            return {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError as error:
        raise RestoreRefused(SQLITE_DAMAGED, path=str(path), error=str(error)) from None


def _sqlite_restore(path: Path, database_url: str) -> None:
    target = sqlite_path(database_url)
    assert target is not None, "an in-memory database has nothing to restore into"
    private_folder(target.parent)
    private_file(target)
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        destination = sqlite3.connect(target, timeout=30)
        try:
            source.backup(destination, pages=-1)
        finally:
            destination.close()
    finally:
        source.close()


async def _drop_empty_schema(database_url: str) -> None:
    """Drop bangfu's tables from a database checked to hold no town data (a schema made by
    a migration or a first start), so the dump's own schema can be restored."""
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            present = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
            foreign = sorted(present - BANGFU_TABLES)
            if foreign:
                raise RestoreRefused(FOREIGN_TABLES, tables=", ".join(foreign))
            if present:
                names = ", ".join(f'"{table}"' for table in sorted(present))
                await connection.execute(text(f"DROP TABLE {names} CASCADE"))
    finally:
        await engine.dispose()


def _database_name(database_url: str) -> str:
    return make_url(database_url).database or ""
