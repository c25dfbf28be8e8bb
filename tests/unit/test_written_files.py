"""What bangfu writes to disk: spreadsheets keep people's text as text (no link, no formula,
read back with openpyxl), and files holding ID numbers are private (0600 files, 0700 folders)
whatever the umask."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from bot.cli import main
from bot.clock import Month
from bot.config import Settings
from bot.core.policy import CLI_OPERATOR
from bot.core.reports.summaries import summary_for_month
from bot.documents.forms import export_forms
from bot.documents.roster_sheet import write_roster_template
from bot.documents.summary_report import render_report
from bot.storage.migrate import upgrade
from bot.storage.uow import App
from bot.telegram.app import build_app
from tests.conftest import TZ
from tests.town_builder import TownBuilder

HOSTILE_NAMES = (
    "http://evil.example/村",
    "external:c:\\evil.xlsx",
    "mailto:boss@evil.example",
    '=HYPERLINK("http://evil.example","点我")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
    "河" * 30 + "'村",  # cut to a sheet's 31 characters, it would end with an apostrophe
)


def live_cells(data: bytes) -> list[str]:
    """Every cell a spreadsheet program would follow or compute: links and formulas."""
    book = load_workbook(BytesIO(data))
    found = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.hyperlink is not None or cell.data_type == "f":
                    found.append(f"{sheet.title}!{cell.coordinate}: {cell.value!r}")
    return found


def all_text(data: bytes) -> str:
    book = load_workbook(BytesIO(data))
    return "\n".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )


@pytest.fixture
async def hostile_town(app: App) -> TownBuilder:
    """A village and a household head for each name a spreadsheet could take as a command."""
    town = TownBuilder(app)
    contact = await town.person("王建华")
    for name in HOSTILE_NAMES:
        village = await town.village(name)
        await town.household(village, name, contact)
        await town.household(village, "张桂英")  # no contact person: listed by name
    return town


async def test_the_summary_workbook_keeps_links_and_formulas_as_plain_text(
    app: App, hostile_town: TownBuilder
) -> None:
    summary = await summary_for_month(app, CLI_OPERATOR, Month(2026, 3))

    workbook = render_report(summary, TZ).workbook_xlsx

    assert live_cells(workbook) == []
    shown = all_text(workbook)
    assert "http://evil.example/村2026年3月帮扶联系情况" in shown
    assert "external:c:\\evil.xlsx" in shown


async def test_the_six_forms_keep_links_and_formulas_as_plain_text(
    app: App, hostile_town: TownBuilder, tmp_path: Path
) -> None:
    paths = await export_forms(app, CLI_OPERATOR, out_dir=tmp_path / "forms")

    assert len(paths) == 6 * len(HOSTILE_NAMES)
    for path in paths:
        assert live_cells(path.read_bytes()) == [], path.name


async def test_text_that_looks_like_a_formula_is_kept_exactly_as_a_text_cell(
    app: App, hostile_town: TownBuilder, tmp_path: Path
) -> None:
    """Read back with openpyxl: the exact text, a string cell, no ' in front; a text that a
    spreadsheet would take for a formula when edited has the quote-prefix style instead."""
    paths = await export_forms(app, CLI_OPERATOR, out_dir=tmp_path / "forms")
    summary = await summary_for_month(app, CLI_OPERATOR, Month(2026, 3))
    workbooks = [path.read_bytes() for path in paths] + [render_report(summary, TZ).workbook_xlsx]

    cells = [
        cell
        for data in workbooks
        for sheet in load_workbook(BytesIO(data)).worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]
    for name in HOSTILE_NAMES:
        exact = [cell for cell in cells if cell.value == name]
        assert exact, name
        assert all(cell.data_type == "s" for cell in exact), name
        assert all(cell.quotePrefix for cell in exact) == name.startswith(("=", "+", "-", "@"))
    assert not [cell.value for cell in cells if cell.value.startswith("'")]


def test_the_roster_template_has_no_live_cells(tmp_path: Path) -> None:
    path = tmp_path / "roster.xlsx"
    write_roster_template(path)
    assert live_cells(path.read_bytes()) == []


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The usual umask (files 0644, folders 0755), so only bangfu's own care makes them private."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_sqlite_database_its_wal_and_its_folder_are_private(
    settings: Settings, tmp_path: Path, open_umask: None
) -> None:
    path = tmp_path / "data" / "bangfu.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)

    app = build_app(settings.model_copy(update={"database_url": url}))
    try:
        async with app.uow() as uow:  # an open connection in WAL mode keeps -wal and -shm
            await uow.session.execute(text("INSERT INTO villages (name) VALUES ('大河村')"))
            await uow.commit()
            await uow.session.execute(text("SELECT count(*) FROM villages"))
            files = {p.name: mode(p) for p in path.parent.iterdir()}
    finally:
        await app.close()

    assert mode(path.parent) == 0o700
    assert files == {
        "bangfu.sqlite3": 0o600,
        "bangfu.sqlite3-wal": 0o600,
        "bangfu.sqlite3-shm": 0o600,
    }


async def test_a_database_left_world_readable_by_an_older_version_is_narrowed(
    settings: Settings, tmp_path: Path, open_umask: None
) -> None:
    path = tmp_path / "bangfu.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    await asyncio.to_thread(upgrade, url)
    for stale in (path, Path(f"{path}-wal")):
        stale.touch()
        stale.chmod(0o644)

    app = build_app(settings.model_copy(update={"database_url": url}))
    await app.close()

    assert mode(path) == 0o600 and mode(Path(f"{path}-wal")) == 0o600


async def test_exported_forms_and_their_folder_are_private(
    app: App, hostile_town: TownBuilder, tmp_path: Path, open_umask: None
) -> None:
    folder = tmp_path / "exports" / "forms"

    paths = await export_forms(app, CLI_OPERATOR, out_dir=folder)

    assert mode(folder) == 0o700 and mode(folder.parent) == 0o700
    assert {mode(path) for path in paths} == {0o600}


def test_the_summary_files_the_cli_writes_are_private(console: Path, open_umask: None) -> None:
    assert main(["summary", "--month", "2026年2月", "--out", "out/summary"]) == 0

    folder = console / "out" / "summary"
    assert mode(folder) == 0o700
    assert {path.name: mode(path) for path in folder.iterdir()} == {
        "coverage-2026-02.txt": 0o600,
        "coverage-2026-02.png": 0o600,
        "coverage-2026-02.xlsx": 0o600,
    }


@pytest.mark.parametrize("month", ["0001-01", "1-1", "0000-05", "10000-01"])
def test_the_cli_refuses_an_impossible_month_with_the_format(
    console: Path, capsys: pytest.CaptureFixture[str], month: str
) -> None:
    assert main(["summary", "--month", month]) == 2

    assert "从 2000-01 到 2099-12" in capsys.readouterr().err
