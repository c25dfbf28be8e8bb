"""Backups: a consistent copy of the database, made while the bot runs, named by its date,
the last `BACKUP_KEEP` kept.

- SQLite: SQLite's online backup API copies the database in one step, from one read
  snapshot: writers go on meanwhile (WAL), and the copy is the database as it was at one
  instant, never half a transaction. A copy of the file with `cp` could catch a write half
  done, or miss what still sits in the `-wal` file.
- PostgreSQL: `pg_dump` in its custom format, which reads everything in one transaction (one
  snapshot) and which `pg_restore` reads back. The client must be at least as new as the
  server (`bangfu doctor` checks).

A backup is written under a temporary name and renamed when complete, so a file named like a
backup is always a whole one. Backups hold ID numbers: files 0600, folders bangfu makes 0700.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

from bot.config import Settings
from bot.errors import DomainError
from bot.i18n import N_
from bot.private_files import PRIVATE_FILE, private_folder

log = logging.getLogger(__name__)

PREFIX = "bangfu-"
SQLITE_SUFFIX = ".sqlite3"
POSTGRES_SUFFIX = ".pgdump"
STAMP = "%Y%m%d-%H%M%S"
# bangfu-20260310-020000.sqlite3, or bangfu-20260310-020000-2.pgdump for a second in one second
BACKUP_NAME = re.compile(r"^bangfu-(\d{8}-\d{6})(?:-\d+)?\.(sqlite3|pgdump)$")
PARTIAL = ".partial"


class BackupFailed(DomainError):
    """The copy could not be made; the message says why and what to do."""


NO_PG_DUMP = N_(
    "pg_dump was not found. Install the PostgreSQL client tools "
    "(Debian/Ubuntu: apt-get install postgresql-client), then try again."
)
PG_DUMP_FAILED = N_("pg_dump failed: {error}")
SQLITE_MISSING = N_("The database file {path} does not exist: there is nothing to back up yet.")
IN_MEMORY = N_("An in-memory database cannot be backed up.")


@dataclass(frozen=True)
class BackupFile:
    path: Path
    made_at: datetime  # local time, from the name
    size: int


def human_size(size: int) -> str:
    """A size as people read it: 292 KB, 1.2 MB, 3.40 GB."""
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    if size < 1024**3:
        return f"{size / 1024 / 1024:.1f} MB"
    return f"{size / 1024**3:.2f} GB"


def is_postgres(database_url: str) -> bool:
    return make_url(database_url).get_backend_name() == "postgresql"


def sqlite_path(database_url: str) -> Path | None:
    """The SQLite file of `database_url`; None for an in-memory database."""
    name = make_url(database_url).database
    if not name or name == ":memory:" or name.startswith("file::memory"):
        return None
    return Path(name)


def postgres_environment(database_url: str) -> dict[str, str]:
    """The environment for pg_dump, pg_restore and psql: the password goes in PGPASSWORD,
    never on a command line (which any user of the machine can read)."""
    url: URL = make_url(database_url)
    environment = dict(os.environ)
    for name, value in (
        ("PGHOST", url.host or url.query.get("host")),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
    ):
        if value:
            environment[name] = str(value if not isinstance(value, tuple) else value[0])
    return environment


def shown_url(database_url: str) -> str:
    """The database URL to print: without its password."""
    return make_url(database_url).render_as_string(hide_password=True)


def backup_folder(settings: Settings, out: Path | None = None) -> Path:
    return out if out is not None else settings.backup_dir


def backups_in(folder: Path) -> list[BackupFile]:
    """The backups in `folder`, newest first (by the date in their names)."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = BACKUP_NAME.match(path.name)
        if match and path.is_file():
            made_at = datetime.strptime(match[1], STAMP)
            found.append(BackupFile(path, made_at, path.stat().st_size))
    return sorted(found, key=lambda backup: (backup.made_at, backup.path.name), reverse=True)


async def make_backup(settings: Settings, now: datetime, out: Path | None = None) -> BackupFile:
    """Copy the database into `out` (default BACKUP_DIR), named by `now` in the town's time."""
    folder = private_folder(backup_folder(settings, out))
    local = now.astimezone(settings.tz).replace(tzinfo=None)
    suffix = POSTGRES_SUFFIX if is_postgres(settings.database_url) else SQLITE_SUFFIX
    target = _free_name(folder, PREFIX + local.strftime(STAMP), suffix)
    partial = target.with_name(target.name + PARTIAL)
    try:
        if is_postgres(settings.database_url):
            await _pg_dump(settings.database_url, partial)
        else:
            await asyncio.to_thread(_sqlite_copy, settings.database_url, partial)
        os.chmod(partial, PRIVATE_FILE)
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    log.info("backup written: %s (%d bytes)", target, target.stat().st_size)
    return BackupFile(target, local, target.stat().st_size)


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups in `folder` (never the newest one); returns
    the files deleted. Only files named like bangfu's backups are touched."""
    removed = []
    for backup in backups_in(folder)[max(keep, 1) :]:
        backup.path.unlink(missing_ok=True)
        removed.append(backup.path)
    if removed:
        log.info("removed %d old backup(s) from %s", len(removed), folder)
    return removed


def _free_name(folder: Path, stem: str, suffix: str) -> Path:
    candidate = folder / f"{stem}{suffix}"
    number = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{number}{suffix}"
        number += 1
    return candidate


def _sqlite_copy(database_url: str, target: Path) -> None:
    source_path = sqlite_path(database_url)
    if source_path is None:
        raise BackupFailed(IN_MEMORY)
    if not source_path.exists():
        raise BackupFailed(SQLITE_MISSING, path=str(source_path))
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    os.close(descriptor)
    source = sqlite3.connect(source_path, timeout=30)
    try:
        copy = sqlite3.connect(target)
        try:
            # pages=-1: the whole database in one step, from one read snapshot.
            source.backup(copy, pages=-1)
            copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        finally:
            copy.close()
    finally:
        source.close()


async def _pg_dump(database_url: str, target: Path) -> None:
    command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}"]
    await run_pg_tool(command, database_url, PG_DUMP_FAILED, NO_PG_DUMP)


async def run_pg_tool(
    command: list[str], database_url: str, failed_msgid: str, missing_msgid: str
) -> str:
    """Run a PostgreSQL client tool against the database; its output, or BackupFailed with
    what it printed on stderr."""
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            env=postgres_environment(database_url),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except FileNotFoundError:
        raise BackupFailed(missing_msgid) from None
    out, err = await process.communicate()
    if process.returncode != 0:
        raise BackupFailed(failed_msgid, error=err.decode(errors="replace").strip())
    return out.decode(errors="replace")
