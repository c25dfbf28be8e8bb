"""Backups and restores: a backup made while contacts are being written restores to one
consistent moment (every table whole, the audit log a prefix of the source's with an entry
for every contact); restore asks first, refuses a database holding data or a running bot;
the newest BACKUP_KEEP are kept; the nightly job is scheduled unless turned off."""

from __future__ import annotations

import asyncio
import io
import stat
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.cli import main
from bot.config import Settings
from bot.core.contacts.contact_log import ContactDraft, log_contact, new_draft_key
from bot.domain.model import ContactChannel, Role
from bot.ops.backup import make_backup, prune
from bot.ops.restore import RestoreRefused, restore
from bot.storage.leader import leader_lock
from bot.storage.migrate import upgrade
from bot.storage.models import Base
from bot.storage.uow import App
from scheduler import build_job_scheduler
from scheduler.backup_job import nightly_backup
from tests.conftest import PG_URL
from tests.town_builder import TownBuilder

Rows = dict[str, list[tuple[Any, ...]]]
EmptyDatabase = Callable[[], Awaitable[Settings]]
WAIT_LIMIT = 60.0  # seconds; a bound, never a measure


async def wait_until(progress: asyncio.Condition, condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(WAIT_LIMIT), progress:
        await progress.wait_for(condition)


async def every_row(database_url: str) -> Rows:
    """Every row of every bangfu table, by primary key."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows: Rows = {}
            for table in Base.metadata.sorted_tables:
                query = select(table).order_by(*table.primary_key.columns)
                rows[table.name] = [tuple(row) for row in await connection.execute(query)]
            return rows
    finally:
        await engine.dispose()


@pytest.fixture
async def empty_database(settings: Settings, tmp_path: Path) -> AsyncIterator[EmptyDatabase]:
    """`await empty_database()`: settings for an empty database to restore into, a new
    SQLite file, or (PostgreSQL, where tests have one database) the test database with its
    schema dropped, migrated again afterwards for the tests that follow."""

    async def empty() -> Settings:
        if not PG_URL:
            url = f"sqlite+aiosqlite:///{tmp_path / 'restored.sqlite3'}"
            return settings.model_copy(update={"database_url": url})
        engine = create_async_engine(settings.database_url)
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
        return settings

    yield empty
    if PG_URL:
        await asyncio.to_thread(upgrade, settings.database_url)


async def test_a_backup_made_while_contacts_are_written_restores_one_consistent_moment(
    app: App, settings: Settings, empty_database: EmptyDatabase
) -> None:
    town = TownBuilder(app)
    village = await town.village("东冲村")
    wang = await town.person("王建国", Role.CONTACT, village)
    households = [await town.household(village, contact=wang) for _ in range(6)]
    written = 0
    stop = asyncio.Event()
    progress = asyncio.Condition()

    async def contact_person_keeps_logging() -> None:
        nonlocal written
        while not stop.is_set():
            household = households[written % len(households)]
            draft = ContactDraft(
                new_draft_key(),
                household.id,
                ContactChannel.PHONE,
                app.clock.today(),
                note=f"第{written + 1}次电话",
            )
            await log_contact(app, wang, draft)
            async with progress:
                written += 1
                progress.notify_all()

    writer = asyncio.create_task(contact_person_keeps_logging())
    await wait_until(progress, lambda: written >= 20)
    before = written
    made = await make_backup(settings, app.clock.now())
    after_backup = written
    await wait_until(progress, lambda: written >= after_backup + 20)
    stop.set()
    await writer
    source = await every_row(settings.database_url)
    await app.close()

    target = await empty_database()
    now_holds = await restore(target, made.path)
    restored = await every_row(target.database_url)

    assert stat.S_IMODE(made.path.stat().st_mode) == 0o600
    for table in ("villages", "people", "households", "assignments"):
        assert restored[table] == source[table], table
    contacts = restored["contacts"]
    assert before <= len(contacts) <= written
    written_rows = {row[0]: row for row in source["contacts"]}
    assert all(written_rows[row[0]] == row for row in contacts)
    assert now_holds.counts["contacts"] == len(contacts)
    # The audit log stops at the same moment: a prefix of the source's, one entry a contact.
    audit = restored["audit_log"]
    assert audit == source["audit_log"][: len(audit)]
    audit_table = Base.metadata.tables["audit_log"]
    entity, entity_id = (
        list(audit_table.columns).index(audit_table.c[name]) for name in ("entity", "entity_id")
    )
    assert sorted(row[entity_id] for row in audit if row[entity] == "contact") == sorted(
        row[0] for row in contacts
    )


async def test_restore_refuses_a_database_that_holds_data_and_changes_nothing(
    app: App, settings: Settings
) -> None:
    town = TownBuilder(app)
    await town.household(await town.village("东冲村"))
    made = await make_backup(settings, app.clock.now())
    await town.household(await town.village("西岭村"))
    before = await every_row(settings.database_url)

    with pytest.raises(RestoreRefused) as refused:
        await restore(settings, made.path)

    assert "农户 2" in refused.value.render()
    assert await every_row(settings.database_url) == before


async def test_restore_refuses_while_bangfu_runs_on_the_database(
    app: App, settings: Settings, empty_database: EmptyDatabase
) -> None:
    await TownBuilder(app).village("东冲村")
    made = await make_backup(settings, app.clock.now())
    await app.close()
    target = await empty_database()
    running = leader_lock(target.database_url)
    assert await running.try_take()
    try:
        with pytest.raises(RestoreRefused, match="running"):
            await restore(target, made.path)
    finally:
        await running.release()


def test_only_the_newest_backups_are_kept(tmp_path: Path) -> None:
    for day in range(1, 6):
        (tmp_path / f"bangfu-202603{day:02d}-020000.sqlite3").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("the clerk's own file")

    removed = prune(tmp_path, keep=2)

    assert sorted(path.name for path in removed) == [
        "bangfu-20260301-020000.sqlite3",
        "bangfu-20260302-020000.sqlite3",
        "bangfu-20260303-020000.sqlite3",
    ]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "bangfu-20260304-020000.sqlite3",
        "bangfu-20260305-020000.sqlite3",
        "notes.txt",
    ]


async def test_the_nightly_backup_runs_at_the_backup_hour_and_keeps_the_newest(
    app: App, settings: Settings
) -> None:
    jobs = build_job_scheduler(app)
    trigger = jobs.get_job("nightly_backup").trigger
    fires = trigger.get_next_fire_time(None, app.clock.now())
    assert fires.astimezone(settings.tz).strftime("%d %H:%M") == "11 02:00"

    settings.backup_keep = 2
    for _night in range(3):
        await nightly_backup(app)
        app.clock.advance(days=1)  # type: ignore[attr-defined]
    assert len(list(settings.backup_dir.iterdir())) == 2

    settings.nightly_backup = False
    assert build_job_scheduler(app).get_job("nightly_backup") is None


def cli_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BACKUP_DIR", str(tmp_path / "backups"))
    monkeypatch.setenv("DEFAULT_LANGUAGE", "zh")


async def test_the_clerk_backs_up_then_restores_after_saying_yes(
    app: App,
    settings: Settings,
    tmp_path: Path,
    empty_database: EmptyDatabase,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await TownBuilder(app).household(await TownBuilder(app).village("东冲村"))
    await app.close()
    cli_settings(monkeypatch, tmp_path, settings.database_url)
    assert await asyncio.to_thread(main, ["backup"]) == 0
    (made,) = (tmp_path / "backups").iterdir()
    assert "备份已写好" in capsys.readouterr().out

    target = await empty_database()
    monkeypatch.setenv("DATABASE_URL", target.database_url)
    monkeypatch.setattr("sys.stdin", io.StringIO("不\n"))
    assert await asyncio.to_thread(main, ["restore", str(made)]) == 1
    assert "没有恢复" in capsys.readouterr().out

    monkeypatch.setattr("sys.stdin", io.StringIO("是\n"))
    assert await asyncio.to_thread(main, ["restore", str(made)]) == 0
    assert "农户 1" in capsys.readouterr().out
