"""The roster's columns (花名册的列): their headers, which are required, what each one means,
the other names older rosters use for them; and finding the rows of a roster in a table read
from any file (`roster_rows`). Reading files and writing the template are in
bot/documents/roster_sheet.py.

The header row is the first row with 户编号, so a title above it is fine; the columns may come
in any order and extra columns are ignored. Cells keep their raw values, because a number
typed into the 身份证号 column has already lost digits and must be refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.model import ROSTER_NAME_BY_CATEGORY, Category
from bot.domain.validation import COVID_RISK, RISK_TYPE_BY_CODE, id_check_character
from bot.errors import InvalidInput
from bot.i18n import N_

Table = list[list[object]]  # a sheet's rows as read, every cell's raw value

TOWN = "乡镇"
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
    RosterColumn(MEMBERS, True, 12, "家庭人口数，1 到 99 之间的整数。"),
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
    RosterColumn(
        TOWN,
        False,
        12,
        "村所属的乡镇，如“佛子岭镇”。全县一个系统时填写；只有一个乡镇的可以不要这一列。"
        "镇扶贫办导入时只能填本镇。",
        may_be_absent=True,
    ),
)
HEADERS = tuple(column.header for column in COLUMNS)
OPTIONAL_COLUMNS = frozenset(column.header for column in COLUMNS if column.may_be_absent)
REQUIRED = tuple(column.header for column in COLUMNS if column.required)

# Headers other rosters use for the same column (from the six forms and older templates).
HEADER_ALIASES: dict[str, str] = {
    "镇": TOWN,
    "乡镇名称": TOWN,
    "所属乡镇": TOWN,
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
    TOWN: "",  # blank: the importing town office's own town (or the county's only one)
}


@dataclass(frozen=True)
class RawRow:
    number: int  # the row number Excel shows
    cells: dict[str, object]  # header -> raw cell value (str from CSV; str/int/float/... from xlsx)


def roster_rows(table: Table) -> list[RawRow]:
    """The data rows under the header, without blank rows. Problems of the whole table (no
    header, missing columns, no rows) are refused here with InvalidInput."""
    header_index = next(
        (i for i, row in enumerate(table[:HEADER_SEARCH_ROWS]) if NUMBER in map(header_text, row)),
        None,
    )
    if header_index is None:
        raise InvalidInput(
            N_("No header row found: one of the first rows must have the column {column}."),
            column=NUMBER,
        )
    positions: dict[str, int] = {}
    for position, cell in enumerate(table[header_index]):
        header = header_text(cell)
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
        if not all(blank(value) for value in cells.values()):
            rows.append(RawRow(number=index + 1, cells=cells))
    if not rows:
        raise InvalidInput(N_("The roster has no households under its header row."))
    return rows


def header_text(cell: object) -> str:
    """A header as typed, without spaces, line breaks or the * that marks required columns."""
    return "".join(str(cell or "").split()).strip("*＊")


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
