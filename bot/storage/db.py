"""The one engine and session factory."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import QueuePool

from bot.i18n import gettext as _
from bot.private_files import private_file, private_folder
from bot.storage.sqlite_driver import one_trip_dbapi
from bot.storage.sqlite_loop_reads import read_on_the_loop

log = logging.getLogger(__name__)
_warned_folders: set[Path] = set()


# Connections kept open between uses. A connection given back while the pool already holds
# this many is closed, and the next burst opens it again: on SQLite a new thread and a cold
# statement cache, on PostgreSQL a TCP connection and a server process. Polling runs up to 200
# updates at once (bot/telegram/app.py), each with a connection for a moment; a backlog of menu
# presses held ~50 at a time, and with SQLAlchemy's default of 5 a connection was opened for
# every tenth update (bench/per_update.py: PostgreSQL 4.3-4.7 -> 3.2-3.7 ms of CPU per update).
# SQLite: no connections beyond those (the 51st waits for one, in order, rather than every
# writer retrying in SQLite's busy handler).
SQLITE_POOL = {"pool_size": 50, "max_overflow": 0}
# On PostgreSQL each connection is a server process: 30 at most per worker keeps three
# webhook workers (and the CLI or a migration beside them) under the server's default
# max_connections of 100.
POSTGRESQL_POOL = {"pool_size": 20, "max_overflow": 10}
# Under this many in all, an update that finds every connection of its process busy may wait
# 30 s for one and then fail (README "Several workers"); `bangfu doctor` warns.
POOL_AT_LEAST = 10


def pool_sizes(
    url: str, pool_size: int | None = None, max_overflow: int | None = None
) -> dict[str, int]:
    """The connections a process keeps and may add for `url`: DB_POOL_SIZE and
    DB_MAX_OVERFLOW where given, the defaults above otherwise; none for an in-memory SQLite
    database, whose one-connection pool takes no sizes."""
    parsed = make_url(url)
    if not issubclass(parsed.get_dialect().get_pool_class(parsed), QueuePool):
        return {}
    sqlite = parsed.get_backend_name() == "sqlite"
    chosen = {"pool_size": pool_size, "max_overflow": max_overflow}
    defaults = SQLITE_POOL if sqlite else POSTGRESQL_POOL
    return {**defaults, **{name: size for name, size in chosen.items() if size is not None}}


def create_engine(
    url: str, pool_size: int | None = None, max_overflow: int | None = None
) -> AsyncEngine:
    """The engine for `url`; `pool_size` and `max_overflow` (DB_POOL_SIZE, DB_MAX_OVERFLOW)
    replace the sizes above where given."""
    sizes = pool_sizes(url, pool_size, max_overflow)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_a_file = bool(parsed.database) and parsed.database != ":memory:"
        if in_a_file:
            _private_database(Path(parsed.database))
        engine = create_async_engine(
            url, module=one_trip_dbapi(), connect_args={"timeout": 30}, **sizes
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        read_on_the_loop(engine)  # a menu press's reads, if the URL names a plain file
        return engine
    engine = create_async_engine(url, **sizes)
    _ping_when_idle(engine)
    return engine


def reading_engine(engine: AsyncEngine) -> AsyncEngine:
    """`engine` for statements that only read, one at a time (App.reading): on PostgreSQL in
    autocommit, so no BEGIN and ROLLBACK go around each; on SQLite as it is (a SELECT
    begins no transaction there, and changing the setting would be a trip to its thread)."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


# A PostgreSQL connection given back less than this long ago is taken as alive; one idle for
# longer is pinged before use, and a dead one (the server restarted, a proxy cut it) is
# replaced, with every connection opened before it, without the caller seeing an error.
# SQLAlchemy's `pool_pre_ping` pinged at every checkout: with asyncpg a BEGIN, a query and a
# ROLLBACK, three round trips and ~0.2 ms of CPU, twice in every menu press.
PING_AFTER_IDLE_SECONDS = 5.0


def _ping_when_idle(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "checkin")
    def _given_back(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        record.info["given_back_at"] = time.monotonic()  # not the clock: no domain time

    @event.listens_for(engine.sync_engine, "checkout")
    def _taken(dbapi_connection, record, _proxy):  # type: ignore[no-untyped-def]
        is_closed = getattr(getattr(dbapi_connection, "driver_connection", None), "is_closed", None)
        if callable(is_closed) and is_closed():  # asyncpg knows without a round trip
            # Ended by the server and noticed already (a restart ends them all): replaced,
            # with every connection opened before it, whenever it was last used.
            raise exc.InvalidatePoolError("the connection was closed")
        given_back = record.info.pop("given_back_at", None)
        if given_back is None or time.monotonic() - given_back < PING_AFTER_IDLE_SECONDS:
            return  # just opened, or in use a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # whatever the driver says: not usable
            raise exc.InvalidatePoolError(f"ping failed: {error!r}") from error
        if not alive:
            raise exc.InvalidatePoolError("ping failed")


def _private_database(path: Path) -> None:
    """The database holds ID numbers: its folder (when bangfu makes it) is 0700 and the file
    0600 before SQLite opens it. SQLite gives its -wal and -shm files the database file's
    mode; those left by an older version are narrowed too."""
    private_folder(path.parent)
    folder = path.parent.resolve()
    if path.parent.stat().st_mode & 0o077 and folder not in _warned_folders:
        # Said once per process: a command opens the database more than once (migrations,
        # then its work), and the clerk reading it needs to hear it once, in their language.
        _warned_folders.add(folder)
        log.warning(
            _(
                "Other users of this computer can list {folder}, the database's folder. If the "
                "folder is bangfu's own, run: chmod 700 {folder}"
            ).format(folder=path.parent)
        )
    private_file(path)
    for companion in (Path(f"{path}-wal"), Path(f"{path}-shm")):
        if companion.exists():
            private_file(companion)


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
