"""Hostile files at every reader: the roster (CLI) and the platform's red-flag list (chat and
CLI). A damaged or fake workbook, a CSV no spreadsheet wrote, a cell with a control character
or a reason far over the limit: one clear sentence (or every bad cell by row), nothing
imported, and the same answer on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from bot.core.flags.platform_list import (
    PLATFORM_LIST_MAX_ROWS,
    PlatformListRejected,
    import_platform_flags,
)
from bot.core.policy import CLI_OPERATOR
from bot.core.roster.importing import RosterRejected, import_roster
from bot.documents.roster_sheet import UNPACKED_BYTES_PER_ROW, read_platform_list, read_roster
from bot.domain.model import Role
from bot.errors import InvalidInput
from bot.i18n import use_language
from bot.storage.models import Household, OutboxMessage, Person, RedFlag, Village
from bot.storage.uow import App
from tests.fixtures.rosters import household_row, write_csv, write_xlsx
from tests.town_builder import TownBuilder


def garbage_zip(path: Path) -> Path:
    """A zip archive named .xlsx whose members are random bytes."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", os.urandom(300))
        archive.writestr("xl/workbook.xml", os.urandom(300))
    return path


def sheet_cut_in_half(path: Path) -> Path:
    """A real roster workbook whose sheet XML stops in the middle."""
    whole = write_xlsx(path.with_name("whole.xlsx"), [household_row(n) for n in range(1, 40)])
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(path, "w") as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            archive.writestr(item, data)
    return path


def truncated_download(path: Path) -> Path:
    """The first 3 kB of a real workbook: a download that stopped."""
    whole = write_xlsx(path.with_name("whole.xlsx"), [household_row(n) for n in range(1, 40)])
    path.write_bytes(whole.read_bytes()[:3000])
    return path


def random_bytes(path: Path) -> Path:
    path.write_bytes(os.urandom(5000))
    return path


def csv_with_a_giant_cell(path: Path) -> Path:
    """A .csv whose one cell is longer than the csv module reads (131,072 characters)."""
    path.write_bytes(b'\xe6\x88\xb7\xe7\xbc\x96\xe5\x8f\xb7,x\n1,"' + b"9" * 200_000 + b'"\n')
    return path


UNREADABLE: dict[str, tuple[str, Callable[[Path], Path]]] = {
    "zip of garbage": ("list.xlsx", garbage_zip),
    "sheet cut in half": ("list.xlsx", sheet_cut_in_half),
    "truncated download": ("list.xlsx", truncated_download),
    "random bytes": ("list.xlsx", random_bytes),
    "giant csv cell": ("list.csv", csv_with_a_giant_cell),
}


async def count(app: App, model: type) -> int:
    async with app.uow() as uow:
        return (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()


@pytest.mark.parametrize("kind", list(UNREADABLE))
async def test_an_unreadable_roster_is_one_clear_sentence_and_nothing_is_imported(
    app: App, tmp_path: Path, kind: str
) -> None:
    name, make = UNREADABLE[kind]
    path = make(tmp_path / name)

    with pytest.raises(InvalidInput) as refused:
        await import_roster(app, CLI_OPERATOR, read_roster(path))

    with use_language("zh"):
        message = refused.value.render()
    assert message.startswith(("无法打开 list.xlsx", "无法读取 list.csv")), message
    assert "\n" not in message
    assert await count(app, Household) == 0 and await count(app, Person) == 0


@pytest.mark.parametrize("kind", list(UNREADABLE))
async def test_an_unreadable_platform_list_is_one_clear_sentence_and_nothing_is_flagged(
    app: App, tmp_path: Path, kind: str
) -> None:
    town = TownBuilder(app)
    office = await town.person("周主任", role=Role.TOWN_OFFICE)
    await town.household(await town.village("河口村"), "张桂英")
    name, make = UNREADABLE[kind]

    with pytest.raises(InvalidInput):
        await import_platform_flags(app, office, read_platform_list(make(tmp_path / name)))

    assert await count(app, RedFlag) == 0 and await count(app, OutboxMessage) == 0


def workbook_bomb(path: Path) -> Path:
    """A platform list of a few hundred KB whose shared strings unpack to over 160 MB: what
    openpyxl would read whole when opening it, before any row."""
    whole = write_xlsx(path.with_name("whole.xlsx"), [household_row(1)])
    huge = b"A" * (PLATFORM_LIST_MAX_ROWS * UNPACKED_BYTES_PER_ROW + 1024 * 1024)
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    strings += b"<si><t>" + huge + b"</t></si></sst>"
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(path, "w") as archive:
        for item in source.infolist():
            if item.filename != "xl/sharedStrings.xml":
                archive.writestr(item, source.read(item.filename))
        archive.writestr("xl/sharedStrings.xml", strings, compress_type=zipfile.ZIP_DEFLATED)
    return path


async def test_a_workbook_that_unpacks_to_far_more_than_a_list_is_refused_unread(
    app: App, tmp_path: Path
) -> None:
    office = await TownBuilder(app).person("周主任", role=Role.TOWN_OFFICE)
    bomb = workbook_bomb(tmp_path / "预警名单.xlsx")
    assert bomb.stat().st_size < 2 * 1024 * 1024

    with pytest.raises(InvalidInput) as refused:
        await import_platform_flags(app, office, read_platform_list(bomb))

    with use_language("zh"):
        assert refused.value.render() == (
            "预警名单.xlsx 解压后远远超过 20,000 行的名单应有的大小，没有读取。请确认文件是否发错。"
        )
    assert await count(app, RedFlag) == 0


@pytest.mark.parametrize("command", [["import", "roster"], ["import", "flags"]])
def test_the_cli_answers_a_damaged_workbook_with_one_line_and_exit_1(
    console: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    path = sheet_cut_in_half(console / "名单.xlsx")

    assert main([*command, str(path)]) == 1

    captured = capsys.readouterr()
    assert captured.err == "无法打开 名单.xlsx：不是可读取的 .xlsx 文件。\n"
    assert "Traceback" not in captured.out + captured.err


async def test_a_nul_or_escape_in_a_roster_cell_is_refused_by_row_on_either_engine(
    app: App, tmp_path: Path
) -> None:
    rows = [
        household_row(1, 户主姓名="王德\x00明"),
        household_row(2),
        household_row(3, 帮扶联系人="李春\x1b[31m华"),
        household_row(4, 村="大河\n村"),  # a line break (Alt+Enter) in a one-line cell: folded
    ]

    with pytest.raises(RosterRejected) as refused:
        await import_roster(app, CLI_OPERATOR, read_roster(write_csv(tmp_path / "r.csv", rows)))

    with use_language("zh"):
        lines = [problem.line() for problem in refused.value.problems]
    assert lines == [
        "第 2 行，户主姓名：这里面有一个看不见的控制字符（U+0000），请去掉它重新输入。",
        "第 4 行，帮扶联系人：这里面有一个看不见的控制字符（U+001B），请去掉它重新输入。",
    ]
    assert await count(app, Household) == 0


async def test_a_line_break_in_a_name_cell_becomes_a_space(app: App, tmp_path: Path) -> None:
    rows = [household_row(1, 户主姓名="王德明\n", 村="大河\r\n村")]

    await import_roster(app, CLI_OPERATOR, read_roster(write_xlsx(tmp_path / "r.xlsx", rows)))

    async with app.uow() as uow:
        query = select(Household.head_name, Village.name).join(Village)
        assert (await uow.session.execute(query)).one() == ("王德明", "大河 村")


async def test_a_platform_list_with_an_over_long_reason_or_a_nul_is_refused_by_row(
    app: App, tmp_path: Path
) -> None:
    town = TownBuilder(app)
    office = await town.person("周主任", role=Role.TOWN_OFFICE)
    village = await town.village("河口村")
    zhang = await town.household(village, "张桂英")
    chen = await town.household(village, "陈德明")
    path = tmp_path / "list.csv"
    path.write_text(
        "户编号,原因\n"
        f"{zhang.number},{'收入骤减' * 1250}\n"  # 5,000 characters
        f"{chen.number},大病\n"
        f"{chen.number}\x00,大病\n",
        encoding="utf-8",
    )

    with pytest.raises(PlatformListRejected) as refused:
        await import_platform_flags(app, office, read_platform_list(path))

    with use_language("zh"):
        lines = [refused.value.render(), *(p.line() for p in refused.value.problems)]
    assert lines == [
        "名单没有导入，没有标注任何农户。有问题的行数：2。",
        "第 2 行，原因：内容太长了：最多 1000 个字，您写了 5000 个字。",
        "第 4 行，户编号：这里面有一个看不见的控制字符（U+0000），请去掉它重新输入。",
    ]
    assert await count(app, RedFlag) == 0 and await count(app, OutboxMessage) == 0
