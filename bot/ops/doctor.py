"""`bangfu doctor`'s findings, and its checks of this machine: the database and its schema,
the time zone, the Chinese font for charts, room for backups, the outbox, and whether a
`bangfu run` is running. The Bot API checks are in bot/ops/doctor_telegram.py.

Each check says what it found in the operator's language and, when something is wrong,
what to do about it. A failure means bangfu cannot work as it should (the command exits
non-zero); a warning means something to look at.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import func, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from bot.config import Settings
from bot.core.delivery.outbox import OutboxStatus
from bot.core.delivery.timing import in_quiet_hours
from bot.documents.summary_chart import MissingCJKFont, chinese_font_family
from bot.i18n import gettext as _
from bot.ops import backup
from bot.storage.leader import AdvisoryLock, FileLock, NoLock, leader_lock
from bot.storage.migrate import alembic_config
from bot.storage.models import OutboxMessage

BACKLOG_AGE = timedelta(hours=1)  # a message due this long and still unsent is stuck
RECENT = timedelta(days=30)  # undeliverable and failed messages counted over this window
BACKUP_AGE = timedelta(days=2)  # with nightly backups on, a newer one should exist
BACKUP_ROOM = 50 * 1024 * 1024  # free space wanted beyond two copies of the database


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"


@dataclass(frozen=True)
class Finding:
    status: Status
    text: str  # what was found, in the operator's language
    fix: str = ""  # what to do, when something is wrong


def ok(text: str) -> Finding:
    return Finding(Status.OK, text)


def warn(text: str, fix: str = "") -> Finding:
    return Finding(Status.WARN, text, fix)


def fail(text: str, fix: str = "") -> Finding:
    return Finding(Status.FAIL, text, fix)


def short_error(error: BaseException) -> str:
    """An exception in one line, as much as the operator needs."""
    message = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {message[0] if message else ''}"[:300]


# The database.


@dataclass(frozen=True)
class DatabaseState:
    reachable: bool
    size: int = 0  # bytes
    server_major: int | None = None  # PostgreSQL's major version
    set_up: bool = False  # bangfu's tables are there (at some revision)


async def check_database(settings: Settings) -> tuple[list[Finding], DatabaseState]:
    """Reachable, and migrated to this version's schema."""
    shown = backup.shown_url(settings.database_url)
    path = (
        None
        if backup.is_postgres(settings.database_url)
        else backup.sqlite_path(settings.database_url)
    )
    if path is not None and not path.exists():
        return [
            warn(
                _("The database {url} does not exist yet.").format(url=shown),
                _("bangfu run creates it at its first start (or run: bangfu db upgrade)."),
            )
        ], DatabaseState(reachable=False)
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            revision = await _revision(connection)
            size, major = await _size_and_version(connection, path)
    except Exception as error:
        return [
            fail(
                _("Cannot reach the database {url}: {error}").format(
                    url=shown, error=short_error(error)
                ),
                _(
                    "Check DATABASE_URL in .env, and that PostgreSQL is running "
                    "(systemctl status postgresql, or docker compose ps)."
                ),
            )
        ], DatabaseState(reachable=False)
    finally:
        await engine.dispose()
    state = DatabaseState(True, size, major, set_up=revision is not None)
    return [ok(_("Database reachable: {url}").format(url=shown)), _schema(settings, revision)], (
        state
    )


def _schema(settings: Settings, revision: str | None) -> Finding:
    scripts = ScriptDirectory.from_config(alembic_config(settings.database_url))
    head = scripts.get_current_head()
    if revision == head:
        return ok(_("Database schema is up to date (revision {revision}).").format(revision=head))
    if revision is None:
        return warn(
            _("The database is empty: bangfu has not set it up yet."),
            _("bangfu run sets it up at its first start (or run: bangfu db upgrade)."),
        )
    try:
        scripts.get_revision(revision)
    except CommandError:
        return fail(
            _(
                "The database was upgraded by a newer bangfu (revision {revision}); this one "
                "knows revisions up to {head}."
            ).format(revision=revision, head=head),
            _(
                "Install the newer bangfu again, or restore the backup made before the "
                "upgrade (see the guide: upgrading and rolling back)."
            ),
        )
    return warn(
        _("The database is at revision {revision}; this bangfu upgrades it to {head}.").format(
            revision=revision, head=head
        ),
        _("bangfu run upgrades it at start (or run: bangfu db upgrade). Make a backup first."),
    )


async def _revision(connection: AsyncConnection) -> str | None:
    tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
    if "alembic_version" not in tables:
        return None
    return await connection.scalar(text("SELECT version_num FROM alembic_version"))


async def _size_and_version(
    connection: AsyncConnection, path: Path | None
) -> tuple[int, int | None]:
    if path is not None:
        files = (path, Path(f"{path}-wal"))
        return sum(file.stat().st_size for file in files if file.exists()), None
    size = await connection.scalar(text("SELECT pg_database_size(current_database())"))
    version = await connection.scalar(text("SHOW server_version_num"))
    return int(size or 0), int(version) // 10000


# The town's clock and the charts' font.


def check_font() -> Finding:
    try:
        family = chinese_font_family()
    except MissingCJKFont:
        return fail(
            _("No Chinese font for the summary chart: it cannot be drawn."),
            _(
                "Run ./scripts/setup again (it installs noto-cjk-sans-otc), or install "
                "fonts-noto-cjk (apt-get install fonts-noto-cjk)."
            ),
        )
    return ok(_("Chinese font for charts: {font}").format(font=family))


# Backups.


async def check_backups(
    settings: Settings, now: datetime, database: DatabaseState
) -> list[Finding]:
    folder = settings.backup_dir
    findings = [_room_for_backups(folder, database.size)]
    if backup.is_postgres(settings.database_url):
        findings.append(await _pg_dump_fits(database.server_major))
    newest = next(iter(backup.backups_in(folder)), None)
    local_now = now.astimezone(settings.tz).replace(tzinfo=None)
    if not settings.nightly_backup:
        findings.append(
            warn(
                _("The nightly backup is off (NIGHTLY_BACKUP=false)."),
                _("Make sure the database is backed up some other way, or turn it on."),
            )
        )
    if newest is None:
        findings.append(
            warn(
                _("There is no backup in {folder} yet.").format(folder=folder),
                _("Make one now: bangfu backup"),
            )
        )
    elif settings.nightly_backup and local_now - newest.made_at > BACKUP_AGE:
        findings.append(
            warn(
                _("The newest backup is from {when}: the nightly backup has not run since.").format(
                    when=f"{newest.made_at:%Y-%m-%d %H:%M}"
                ),
                _('Is bangfu running? Look for "nightly backup failed" in its log.'),
            )
        )
    else:
        findings.append(
            ok(
                _("Newest backup: {path} ({when}).").format(
                    path=newest.path, when=f"{newest.made_at:%Y-%m-%d %H:%M}"
                )
            )
        )
    return findings


def _room_for_backups(folder: Path, database_size: int) -> Finding:
    existing = next(p for p in (folder.absolute(), *folder.absolute().parents) if p.exists())
    free = shutil.disk_usage(existing).free
    needed = 2 * database_size + BACKUP_ROOM
    sizes = {
        "free": backup.human_size(free),
        "size": backup.human_size(database_size),
        "folder": folder,
    }
    if not os.access(existing, os.W_OK):
        return fail(
            _("bangfu cannot write backups into {folder}.").format(folder=folder),
            _("Give the account bangfu runs as that folder, or set BACKUP_DIR to another one."),
        )
    if free < needed:
        return fail(
            _("Only {free} free for backups in {folder}; the database is {size}.").format(**sizes),
            _("Free some space there, lower BACKUP_KEEP, or set BACKUP_DIR to a larger disk."),
        )
    return ok(_("{free} free for backups in {folder} (the database is {size}).").format(**sizes))


async def _pg_dump_fits(server_major: int | None) -> Finding:
    try:
        process = await asyncio.create_subprocess_exec(
            "pg_dump", "--version", stdout=asyncio.subprocess.PIPE
        )
        out, _err = await process.communicate()
    except FileNotFoundError:
        return fail(_("pg_dump is not installed: backups cannot be made."), _(backup.NO_PG_DUMP))
    found = re.search(r"(\d+)(?:\.\d+)?", out.decode())
    client_major = int(found[1]) if found else 0
    if server_major is not None and client_major < server_major:
        return fail(
            _("pg_dump {client} is older than the PostgreSQL server ({server}).").format(
                client=client_major, server=server_major
            ),
            _("Install the PostgreSQL {server} client tools (postgresql-client-{server}).").format(
                server=server_major
            ),
        )
    return ok(_("pg_dump {client} is installed for backups.").format(client=client_major))


# The outbox.


async def check_outbox(settings: Settings, now: datetime) -> list[Finding]:
    due = OutboxMessage.not_before <= now - BACKLOG_AGE
    if in_quiet_hours(settings, now):
        due = due & OutboxMessage.urgent.is_(True)  # reminders wait for the morning
    recent = OutboxMessage.created_at >= now - RECENT
    engine = create_async_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            stuck, oldest = (
                await connection.execute(
                    select(func.count(), func.min(OutboxMessage.not_before)).where(
                        OutboxMessage.status == OutboxStatus.QUEUED, due
                    )
                )
            ).one()
            lost = await connection.scalar(
                select(func.count()).where(
                    OutboxMessage.status.in_((OutboxStatus.UNDELIVERABLE, OutboxStatus.FAILED)),
                    recent,
                )
            )
    finally:
        await engine.dispose()
    findings = []
    if stuck:
        findings.append(
            fail(
                _(
                    "{count} message(s) are overdue in the outbox, the oldest due since {when}."
                ).format(count=stuck, when=f"{oldest.astimezone(settings.tz):%Y-%m-%d %H:%M}"),
                _("Is bangfu running and reaching Telegram? See: bangfu outbox status"),
            )
        )
    if lost:
        findings.append(
            warn(
                _("{count} message(s) in the last 30 days could not be delivered.").format(
                    count=lost
                ),
                _(
                    "Mostly people who blocked the bot or never opened it: the town office was "
                    "told whom to reassign. See: bangfu outbox status"
                ),
            )
        )
    return findings or [ok(_("Outbox: nothing overdue, nothing undeliverable lately."))]


# Is a `bangfu run` running?


async def check_running(settings: Settings, required: bool = False) -> Finding:
    """Whether a `bangfu run` holds this database's leader lock, found without taking it (a
    `bangfu run` starting that instant must not be turned away)."""
    lock = leader_lock(settings.database_url)
    try:
        holder = await _holder_now(lock)
    finally:
        if isinstance(lock, AdvisoryLock):
            await lock.engine.dispose()
    if holder:
        return ok(_("bangfu is running on this database ({holder}).").format(holder=holder))
    text = _("No bangfu run is running on this database: nobody gets messages.")
    fix = _("Start it: systemctl start bangfu, docker compose up -d, or ./scripts/start")
    return fail(text, fix) if required else warn(text, fix)


async def _holder_now(lock: object) -> str:
    if isinstance(lock, AdvisoryLock):
        return await lock.holder()
    if isinstance(lock, FileLock):
        return (await lock.holder() or "?") if _flocked(lock.path) else ""
    assert isinstance(lock, NoLock)
    return ""


def _flocked(path: Path) -> bool:
    """Whether any process holds a flock on `path` (Linux lists them in /proc/locks)."""
    try:
        status = path.stat()
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return False
    for line in lines:
        fields = line.split()
        if "FLOCK" not in fields or "->" in fields:
            continue
        device_inode = fields[fields.index("FLOCK") + 4]
        major, minor, inode = device_inode.split(":")
        if int(inode) == status.st_ino and (int(major, 16), int(minor, 16)) == (
            os.major(status.st_dev),
            os.minor(status.st_dev),
        ):
            return True
    return False
