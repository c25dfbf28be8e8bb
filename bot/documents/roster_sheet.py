"""The roster spreadsheet (花名册) as a file: reading `.xlsx` and `.csv` files into a table,
and writing the blank template the town office fills in. The columns and how rows are found
in a table are the core's (bot/core/roster/columns.py).
"""

from __future__ import annotations

import csv
import io
import itertools
import zipfile
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from bot.core.flags.platform_list import PLATFORM_LIST_MAX_ROWS
from bot.core.roster.columns import (
    CATEGORY,
    COLUMNS,
    EXAMPLE_ROW,
    HEADERS,
    RawRow,
    Table,
    roster_rows,
)
from bot.domain.model import ROSTER_NAME_BY_CATEGORY, Category
from bot.errors import InvalidInput
from bot.i18n import N_

# Rows and columns read from any file, so a huge or inflated one (a workbook of a million
# rows zips to a few MB) is refused after that many rows instead of being read whole. A town
# has 500–3,000 households; the import is measured with 100,000 (bench/big_roster.py).
ROSTER_MAX_ROWS = 200_000
MAX_COLUMNS = 100  # the roster has 12 columns, the platform's list a few dozen
# What a workbook may unpack to per row it may have: a row of long Chinese cells is a few KB of
# XML. A workbook's shared strings are read whole when it is opened, before any row, so a file
# of a few MB that unpacks to gigabytes (a "zip bomb") is refused by its members' sizes first.
UNPACKED_BYTES_PER_ROW = 8 * 1024
TEMPLATE_SHEET = "花名册"
HELP_SHEET = "说明"


def read_roster(path: Path) -> list[RawRow]:
    """The roster's data rows in the file. A file that cannot be read, or has no roster in
    it, is refused with InvalidInput."""
    return roster_rows(read_table(path, ROSTER_MAX_ROWS))


def read_platform_list(path: Path) -> Table:
    """The rows of the provincial platform's red-flag list, for
    bot/core/flags/platform_list.py; refused with InvalidInput as `read_table` refuses."""
    return read_table(path, PLATFORM_LIST_MAX_ROWS)


def read_table(path: Path, max_rows: int) -> Table:
    """Every row of a .xlsx or .csv file (the first sheet of a workbook), at most
    `MAX_COLUMNS` cells each; InvalidInput when it has more than `max_rows` rows, found by
    reading one more and no further. Blocking: callers on the bot's loop run it in a thread."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InvalidInput(N_("There is no file {file}."), file=str(path))
    if suffix in (".xlsx", ".xlsm"):
        rows = _read_xlsx(path, max_rows + 1)
    elif suffix == ".csv":
        rows = _read_csv(path, max_rows + 1)
    else:
        raise InvalidInput(
            N_("Cannot read {file}: save the roster as an .xlsx or .csv file."), file=path.name
        )
    if len(rows) > max_rows:
        raise InvalidInput(TOO_MANY_ROWS, file=path.name, limit=f"{max_rows:,}")
    return rows


UNREADABLE_XLSX = N_("Cannot open {file}: it is not a readable .xlsx workbook.")
UNREADABLE_CSV = N_("Cannot read {file}: it is not a readable CSV file.")
TOO_BIG_UNPACKED = N_(
    "{file} unpacks to far more than a list of {limit} rows could: nothing was read. Check "
    "that it is the right file."
)
TOO_MANY_ROWS = N_(
    "{file} has more than {limit} rows, more than this list can have: nothing was read. "
    "Check that it is the right file, and delete empty rows at its end."
)


def _read_xlsx(path: Path, max_rows: int) -> list[list[object]]:
    """Every row of the first sheet. A file that is not a workbook, or a damaged one (a zip
    of something else, a sheet cut short), is one clear sentence, whatever openpyxl, zipfile
    or the XML parser raised while reading it: none of its rows count."""
    try:
        with zipfile.ZipFile(path) as archive:  # sizes as the archive declares them...
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        raise InvalidInput(UNREADABLE_XLSX, file=path.name) from None
    # ...and zipfile never inflates a member past its declared size.
    if unpacked > max_rows * UNPACKED_BYTES_PER_ROW:
        raise InvalidInput(TOO_BIG_UNPACKED, file=path.name, limit=f"{max_rows - 1:,}")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # any failure to parse a user's file means "unreadable"
        raise InvalidInput(UNREADABLE_XLSX, file=path.name) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some tools write a wrong size; read every row there is
        rows = sheet.iter_rows(min_row=1, max_col=MAX_COLUMNS, values_only=True)
        return [list(row) for row in itertools.islice(rows, max_rows)]
    except Exception:  # a sheet's XML cut in half fails only while it is read
        raise InvalidInput(UNREADABLE_XLSX, file=path.name) from None
    finally:
        workbook.close()


def _read_csv(path: Path, max_rows: int) -> list[list[object]]:
    """UTF-8 (with or without the BOM Excel adds) or GBK, the two encodings Excel saves here."""
    try:
        raw = path.read_bytes()
    except OSError:  # unreadable on disk (permissions, a device): the same one sentence
        raise InvalidInput(UNREADABLE_CSV, file=path.name) from None
    for encoding in ("utf-8-sig", "gb18030"):  # gb18030 reads all of GBK, and more
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            rows = csv.reader(io.StringIO(text, newline=""))
            return [row[:MAX_COLUMNS] for row in itertools.islice(rows, max_rows)]
        except csv.Error:  # e.g. a cell longer than the csv module's limit: not a roster
            raise InvalidInput(UNREADABLE_CSV, file=path.name) from None
    raise InvalidInput(N_("Cannot read {file}: save it as CSV in UTF-8 or GBK."), file=path.name)


TEMPLATE_ROWS = 1000  # rows formatted as text and offered the category list


def write_roster_template(path: Path) -> None:
    """A blank roster: bold headers, one example row, and a 说明 sheet explaining each column."""
    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = TEMPLATE_SHEET
    sheet.append(list(HEADERS))
    sheet.append([EXAMPLE_ROW[header] for header in HEADERS])
    header_fill = PatternFill("solid", fgColor="DDEBF7")
    for position, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(position)
        sheet.column_dimensions[letter].width = column.width
        cell = sheet.cell(row=1, column=position)
        cell.font = Font(bold=True, color="C00000" if column.required else None)
        cell.fill = header_fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        if column.text_format:
            for row in range(2, TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=position).number_format = "@"
    sheet.freeze_panes = "A2"
    _offer_categories(sheet)
    _write_help(workbook.create_sheet(HELP_SHEET))
    workbook.save(path)


def _offer_categories(sheet: Worksheet) -> None:
    """A drop-down list in the 类别 column, so the category is picked, not typed."""
    letter = get_column_letter(HEADERS.index(CATEGORY) + 1)
    choices = ",".join(ROSTER_NAME_BY_CATEGORY.values())
    validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=False)
    validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
    sheet.add_data_validation(validation)


HELP_INTRODUCTION = (
    "每户一行。第一行是表头，请勿修改表头文字；列的顺序可以调整，多出的列会被忽略。",
    "第二行是示例，填写前请删除。红色表头为必填项。",
    "导入时逐行检查；只要有一行有问题，整张表都不会导入，并会列出每一行的问题和行号。",
    "再次导入同一户编号会更新该户信息；帮扶联系人变了，会自动改为新的联系人。",
    "再次导入时以表格为准：可不填的项如果空着，会清掉系统里原有的内容。",
    "也可另存为 CSV（UTF-8 或 GBK 编码）后导入。",
)
CATEGORY_EXPLANATIONS = {
    Category.MARGINAL: "未建档立卡，年人均纯收入在5000元左右、有致贫风险的农户。",
    Category.LIFTED_MONITORED: "已脱贫，年人均纯收入在5000元左右、有返贫风险的农户。",
    Category.LIFTED_POLICY: "已脱贫，收入较高但低于全省农村居民人均可支配收入，继续享受政策。",
    Category.LIFTED_NO_POLICY: "已脱贫，收入接近或高于全省农村居民人均可支配收入，发展能力强。",
}


def _write_help(sheet: Worksheet) -> None:
    """The 说明 sheet: how the import works, each column's rule, and what the categories mean."""
    sections: list[tuple[tuple[str, str], list[tuple[str, str]]]] = [
        (("填写说明", ""), [("", line) for line in HELP_INTRODUCTION]),
        (
            ("列名", "填写要求"),
            [
                (column.header + ("（必填）" if column.required else ""), column.explanation)
                for column in COLUMNS
            ],
        ),
        (
            ("类别", "含义"),
            [(ROSTER_NAME_BY_CATEGORY[c], text) for c, text in CATEGORY_EXPLANATIONS.items()],
        ),
    ]
    for title, lines in sections:
        sheet.append(list(title))
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for line in lines:
            sheet.append(list(line))
        sheet.append([])
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 90
    for row_cells in sheet.iter_rows():
        for cell in row_cells:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
