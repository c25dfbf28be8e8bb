"""The leader lock: one process per database runs the scheduler and the outbox sender.

Two `bangfu run` on one database would each send every message (and fight over getUpdates),
so `bangfu run` takes this lock before anything else and stops with a clear message when
another process holds it. The lock is released by the system when its holder dies, however
it dies (kill -9, a power cut), so nobody has to clean up after a crash:

- PostgreSQL: a session advisory lock (`pg_try_advisory_lock`) on a connection of its own,
  open for the life of the process. PostgreSQL releases it when that connection ends; if the
  connection is lost while bangfu runs, `lost()` returns and bangfu stops (a restart takes
  the lock again), since another process could take it meanwhile.
- SQLite: `flock` on a file beside the database (`bangfu.sqlite3.leader`), released by the
  kernel when the process ends. (A lock row in the database would outlive a kill -9 and
  need a timeout or a hand to clear it.)
- An in-memory SQLite database cannot be shared between processes: there is nothing to lock.

The other CLI commands (`bangfu jobs run` queues rows, `bangfu outbox status` reads them)
take no lock and work beside a running bot. `bangfu run` polling tries once and refuses to
start beside a holder; webhook workers (bot/telegram/workers.py) all serve updates and try
the lock every few seconds, the holder running the scheduler and the sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import socket
from abc import ABC, abstractmethod
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from bot.private_files import private_folder

# Advisory lock keys are per database: one town's lock never blocks another's database.
ADVISORY_KEY = int.from_bytes(b"bangfuLd", "big")  # the same number in every bangfu
WATCH_SECONDS = 30.0  # how often a PostgreSQL lock's connection is checked
APPLICATION_NAME_LENGTH = 63  # PostgreSQL keeps no more of a connection's application_name
LOCK_SUFFIX = ".leader"


def whoami() -> str:
    """How a holder names itself, for the message another instance prints."""
    return f"bangfu run, pid {os.getpid()} on {socket.gethostname()}"


class LeaderLock(ABC):
    @abstractmethod
    async def try_take(self) -> bool:
        """Take the lock if nobody holds it; False (at once) if another process does."""

    @abstractmethod
    async def holder(self) -> str:
        """Who holds the lock, as well as can be told ("" when unknown)."""

    @abstractmethod
    async def release(self) -> None: ...

    async def lost(self) -> None:
        """Returns if the lock is lost while held (never, for most locks)."""
        await asyncio.Event().wait()


class NoLock(LeaderLock):
    """An in-memory database: only this process can see it."""

    async def try_take(self) -> bool:
        return True

    async def holder(self) -> str:
        return ""

    async def release(self) -> None:
        return None


class FileLock(LeaderLock):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    async def try_take(self) -> bool:
        private_folder(self.path.parent)  # the database's folder, made before the database
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, whoami().encode())
        self._fd = fd
        return True

    async def holder(self) -> str:
        with contextlib.suppress(OSError):
            return self.path.read_text(encoding="utf-8", errors="replace").strip()
        return ""

    async def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class AdvisoryLock(LeaderLock):
    def __init__(self, database_url: str) -> None:
        self.engine = create_async_engine(
            database_url,
            poolclass=NullPool,
            connect_args={
                "server_settings": {"application_name": whoami()[:APPLICATION_NAME_LENGTH]}
            },
        )
        self._connection: AsyncConnection | None = None

    async def try_take(self) -> bool:
        connection = await self.engine.connect()
        connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        taken = await connection.scalar(
            text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}
        )
        if not taken:
            await connection.close()
            return False
        self._connection = connection
        return True

    async def holder(self) -> str:
        query = text(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND l.objsubid = 1 AND ((l.classid::bigint << 32) | l.objid::bigint) = :key"
        )
        async with self.engine.connect() as connection:
            found = await connection.scalar(query, {"key": ADVISORY_KEY})
        return found or ""

    async def lost(self) -> None:
        while self._connection is not None:
            await asyncio.sleep(WATCH_SECONDS)
            try:
                await self._connection.scalar(text("SELECT 1"))
            except Exception:
                return

    async def release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.scalar(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY}
                )
            with contextlib.suppress(Exception):
                await self._connection.close()
            self._connection = None
        await self.engine.dispose()


def leader_lock(database_url: str) -> LeaderLock:
    """The lock for this database (see the module's docstring for how each engine holds it)."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return AdvisoryLock(database_url)
    if not url.database or url.database == ":memory:" or url.database.startswith("file::memory"):
        return NoLock()
    database = Path(url.database)
    return FileLock(database.with_name(database.name + LOCK_SUFFIX))
