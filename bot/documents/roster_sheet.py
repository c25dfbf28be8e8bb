"""The roster spreadsheet (花名册): its columns, reading `.xlsx` and `.csv` files into raw
rows, and writing the blank template the town office fills in.

Reading finds the header row (the first row with 户编号), so a title above it is fine; the
columns may come in any order and extra columns are ignored. Cells keep their raw values,
because a number typed into the 身份证号 column has already lost digits and must be refused.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from bot.domain.model import ROSTER_NAME_BY_CATEGORY, Category
from bot.domain.validation import COVID_RISK, RISK_TYPE_BY_CODE, id_check_character
from bot.errors import InvalidInput
from bot.i18n import N_

VILLAGE = "村"
GROUP = "组"
NUMBER = "户编号"
HEAD_NAME = "户主姓名"
ID_NUMBER = "身份证号"
PHONE = "联系电话"
MEMBERS = "家庭人口数"
CATEGORY = "类别"
INCOME = "年人均纯收入"
RISK_TYPES = "风险类型"
CONTACT_NAME = "帮扶联系人"
CONTACT_PHONE = "帮扶联系人电话"
EXIT_YEAR = "脱贫年度"
SOCIAL_SUPPORT = "低保/特困/残疾"
IDENTIFIED_ON = "原识别时间"


@dataclass(frozen=True)
class RosterColumn:
    header: str
    required: bool
    width: int  # in Excel's character units; a Chinese character takes about two
    explanation: str  # for the 说明 sheet, in Chinese: the clerks read it
    text_format: bool = False  # long digit strings: typed as numbers they lose digits
    # Added later for the six forms: a roster without the column still imports, and leaves
    # what the households have in it as it was.
    may_be_absent: bool = False


COLUMNS: tuple[RosterColumn, ...] = (
    RosterColumn(VILLAGE, True, 12, "行政村名称，如“大河村”。新的村名在导入时自动添加。"),
    RosterColumn(GROUP, False, 8, "村民小组，如“3组”，可不填。"),
    RosterColumn(
        NUMBER, True, 22, "全国系统中的户编号，全表不能重复。再次导入时按户编号更新农户。", True
    ),
    RosterColumn(HEAD_NAME, True, 12, "户主姓名。"),
    RosterColumn(
        ID_NUMBER,
        True,
        22,
        "户主的18位身份证号，末位可以是X，系统会核对校验位。"
        "此列须设为“文本”格式，否则Excel会把后几位变成0。",
        True,
    ),
    RosterColumn(
        PHONE, False, 16, "农户电话：11位手机号，或带区号的座机如0564-1234567；可不填。", True
    ),
    RosterColumn(MEMBERS, True, 12, "家庭人口数，大于0的整数。"),
    RosterColumn(
        CATEGORY, True, 18, "只能填：" + "、".join(ROSTER_NAME_BY_CATEGORY.values()) + "。"
    ),
    RosterColumn(INCOME, False, 14, "年人均纯收入，单位元，不小于0；可不填。"),
    RosterColumn(
        RISK_TYPES,
        False,
        22,
        "可填多个，用顿号“、”或逗号隔开；填名称或代码均可："
        + "、".join(f"{name}（{code}）" for code, name in RISK_TYPE_BY_CODE.items())
        + f"、{COVID_RISK}。没有风险可不填。",
    ),
    RosterColumn(
        CONTACT_NAME, True, 12, "负责这户的帮扶联系人姓名。新联系人导入后由镇扶贫办邀请登录。"
    ),
    RosterColumn(
        CONTACT_PHONE, True, 16, "帮扶联系人的手机号。同一个号码只能对应一个联系人。", True
    ),
    RosterColumn(
        EXIT_YEAR,
        False,
        10,
        "脱贫户的脱贫年份，如“2018”，填在附件4、5、6的“脱贫年度”里；边缘户不填。"
        "旧表格没有这一列也能导入，系统里原有的内容不变。",
        may_be_absent=True,
    ),
    RosterColumn(
        SOCIAL_SUPPORT,
        False,
        14,
        "享受低保、特困供养（五保）或家中有残疾人的，填“低保”“特困”“残疾”，"
        "几项都有用顿号“、”隔开；都没有填“无”或空着。填在附件3、4里。"
        "旧表格没有这一列也能导入，系统里原有的内容不变。",
        may_be_absent=True,
    ),
    RosterColumn(
        IDENTIFIED_ON,
        False,
        14,
        "这户最初被识别为边缘户或贫困户的日期，如“2019-10-15”，不能晚于今天；"
        "填在附件1、2的“原识别时间”里。旧表格没有这一列也能导入，系统里原有的内容不变。",
        may_be_absent=True,
    ),
)
HEADERS = tuple(column.header for column in COLUMNS)
OPTIONAL_COLUMNS = frozenset(column.header for column in COLUMNS if column.may_be_absent)
REQUIRED = tuple(column.header for column in COLUMNS if column.required)

# Headers other rosters use for the same column (from the six forms and older templates).
HEADER_ALIASES: dict[str, str] = {
    "行政村": VILLAGE,
    "村名": VILLAGE,
    "村民小组": GROUP,
    "组别": GROUP,
    "户主": HEAD_NAME,
    "身份证号码": ID_NUMBER,
    "户主身份证号": ID_NUMBER,
    "户主电话": PHONE,
    "人口数": MEMBERS,
    "户类别": CATEGORY,
    "农户类别": CATEGORY,
    "人均纯收入": INCOME,
    "帮扶责任人": CONTACT_NAME,
    "联系人电话": CONTACT_PHONE,
    "帮扶责任人电话": CONTACT_PHONE,
    "脱贫年份": EXIT_YEAR,
    "脱贫时间": EXIT_YEAR,
    "低保特困残疾": SOCIAL_SUPPORT,
    "低保/特困/残疾人": SOCIAL_SUPPORT,
    "识别时间": IDENTIFIED_ON,
    "识别日期": IDENTIFIED_ON,
}
HEADER_SEARCH_ROWS = 20
TEMPLATE_SHEET = "花名册"
HELP_SHEET = "说明"


@dataclass(frozen=True)
class RawRow:
    number: int  # the row number Excel shows
    cells: dict[str, object]  # header -> raw cell value (str from CSV; str/int/float/... from xlsx)


def read_roster(path: Path) -> list[RawRow]:
    """The data rows under the header, without blank rows. File-level problems (wrong kind of
    file, no header, missing columns) are refused here with InvalidInput."""
    table = _read_table(path)
    header_index = next(
        (i for i, row in enumerate(table[:HEADER_SEARCH_ROWS]) if NUMBER in map(_header, row)),
        None,
    )
    if header_index is None:
        raise InvalidInput(
            N_("No header row found: one of the first rows must have the column {column}."),
            column=NUMBER,
        )
    positions: dict[str, int] = {}
    for position, cell in enumerate(table[header_index]):
        header = _header(cell)
        header = HEADER_ALIASES.get(header, header)
        if header in HEADERS:
            positions.setdefault(header, position)
    missing = [h for h in HEADERS if h not in positions and h not in OPTIONAL_COLUMNS]
    if missing:
        raise InvalidInput(
            N_("The header row (row {row}) lacks these columns: {columns}."),
            row=header_index + 1,
            columns="、".join(missing),
        )
    rows = []
    for index in range(header_index + 1, len(table)):
        values = table[index]
        cells = {h: values[p] if p < len(values) else None for h, p in positions.items()}
        if not all(_blank(value) for value in cells.values()):
            rows.append(RawRow(number=index + 1, cells=cells))
    if not rows:
        raise InvalidInput(N_("The roster has no households under its header row."))
    return rows


def _header(cell: object) -> str:
    """A header as typed, without spaces, line breaks or the * that marks required columns."""
    return "".join(str(cell or "").split()).strip("*＊")


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _read_table(path: Path) -> list[list[object]]:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InvalidInput(N_("There is no file {file}."), file=str(path))
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix == ".csv":
        return _read_csv(path)
    raise InvalidInput(
        N_("Cannot read {file}: save the roster as an .xlsx or .csv file."), file=path.name
    )


UNREADABLE_XLSX = N_("Cannot open {file}: it is not a readable .xlsx workbook.")
UNREADABLE_CSV = N_("Cannot read {file}: it is not a readable CSV file.")


def _read_xlsx(path: Path) -> list[list[object]]:
    """Every row of the first sheet. A file that is not a workbook, or a damaged one (a zip
    of something else, a sheet cut short), is one clear sentence, whatever openpyxl, zipfile
    or the XML parser raised while reading it: none of its rows count."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # any failure to parse a user's file means "unreadable"
        raise InvalidInput(UNREADABLE_XLSX, file=path.name) from None
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some tools write a wrong size; read every row there is
        return [list(row) for row in sheet.iter_rows(min_row=1, values_only=True)]
    except Exception:  # a sheet's XML cut in half fails only while it is read
        raise InvalidInput(UNREADABLE_XLSX, file=path.name) from None
    finally:
        workbook.close()


def _read_csv(path: Path) -> list[list[object]]:
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
            return [list(row) for row in csv.reader(io.StringIO(text, newline=""))]
        except csv.Error:  # e.g. a cell longer than the csv module's limit: not a roster
            raise InvalidInput(UNREADABLE_CSV, file=path.name) from None
    raise InvalidInput(N_("Cannot read {file}: save it as CSV in UTF-8 or GBK."), file=path.name)


# The template's example row: a household in 大河村, with an ID number whose check digit fits.
EXAMPLE_ID_BODY = "34152519680315241"
EXAMPLE_ROW: dict[str, str | int] = {
    VILLAGE: "大河村",
    GROUP: "3组",
    NUMBER: "3415251030080015",
    HEAD_NAME: "王德明",
    ID_NUMBER: EXAMPLE_ID_BODY + id_check_character(EXAMPLE_ID_BODY),
    PHONE: "13856412873",
    MEMBERS: 4,
    CATEGORY: ROSTER_NAME_BY_CATEGORY[Category.LIFTED_MONITORED],
    INCOME: 5860,
    RISK_TYPES: "因病、缺劳动力",
    CONTACT_NAME: "李春华",
    CONTACT_PHONE: "13905641268",
    EXIT_YEAR: 2017,
    SOCIAL_SUPPORT: "低保",
    IDENTIFIED_ON: "2014-10-15",
}
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
