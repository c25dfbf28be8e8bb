"""What each of the six forms (附件1–6 of the town's notice) shows, column by column.

The forms are official Chinese documents filed upward to the county, so their titles and
headers are fixed Chinese text, not translated for the reader. Columns rebuilt from DOMAIN.md
"The six forms". 脱贫年度, 低保/特困/残疾 and 原识别时间 come from the roster, 拟帮扶措施 from the
household's assistance plan; a column bangfu keeps no data for (乡镇审核, 单位 …) is present and
left empty: the village fills it in by hand rather than reading a guess.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bot.domain.model import Category, HouseholdStatus
from bot.domain.problems import official_problem_list
from bot.domain.validation import RISK_TYPE_BY_CODE  # 02xx are the kinds of disaster


@dataclass(frozen=True)
class StatusChange:
    """What the audit trail says about the household's leaving the monitoring list."""

    kind: str  # 调整类型
    reason: str | None = None
    meeting_date: str | None = None  # 会议记录日期
    town_review: str | None = None  # 乡镇审核
    county_decision: str | None = None  # 县级审定
    note: str | None = None


@dataclass
class HouseholdFacts:
    """One household with everything the forms show about it."""

    number: str  # 户编号
    group: str
    head_name: str
    id_number: str  # already masked unless the reader is the town office
    phone: str | None
    members: int
    category: str
    status: str
    income: Decimal | None
    income_measured_on: date | None
    risk_types: list[str]
    exit_year: int | None = None  # 脱贫年度
    social_support: str | None = None  # 低保/特困/残疾, e.g. "低保、残疾"
    identified_on: date | None = None  # 原识别时间
    planned_measures: str | None = None  # 拟帮扶措施: the assistance plan's active measures
    contact_names: str | None = None  # current contact person(s), 、-separated
    contact_phones: str | None = None
    last_contact_on: date | None = None
    last_contact_by: str | None = None
    last_problems: list[str] | None = None
    change: StatusChange | None = None


Value = Callable[[HouseholdFacts], Any]


@dataclass(frozen=True)
class Column:
    header: str
    value: Value | None = None  # None: no data for it yet, left for the village to fill
    # Printed on the same page as the column before it (致贫风险1–3, a name and its phone).
    with_previous: bool = False


@dataclass(frozen=True)
class FormSpec:
    number: int  # 附件 number in the notice
    name: str  # the title without the village, e.g. 边缘户摸底表
    category: Category
    statuses: tuple[HouseholdStatus, ...]
    columns: tuple[Column, ...]  # after the common ones

    def title(self, village: str) -> str:
        """The title as the notice cites it: 《XX村边缘户摸底表》."""
        return f"《{village}{self.name}》"

    def heading(self, village: str) -> str:
        """The title printed over the form: the notice's, without the quotation marks."""
        return f"{village}{self.name}"

    @property
    def numbered(self) -> bool:
        return NUMBER in self.columns

    @property
    def layout(self) -> tuple[Column, ...]:
        """Every column after 序号, in print order. The identifying columns come first so
        that every printed page repeats them: 户编号 moves up beside 户主姓名."""
        rest = tuple(column for column in self.columns if column is not NUMBER)
        return (*LEADING, *((NUMBER,) if self.numbered else ()), *PERSONAL, *rest)

    @property
    def identifying(self) -> int:
        """How many leading columns (序号, 组, 户主姓名, 户编号) each printed page repeats."""
        return 1 + len(LEADING) + self.numbered

    def lists(self, facts: HouseholdFacts) -> bool:
        return facts.category == self.category and facts.status in self.statuses


STATUS_CHANGE_KINDS = {
    HouseholdStatus.RISK_REMOVED: "风险消除",
    HouseholdStatus.ADJUSTED_OUT: "动态调整掉",
}


def risk_name(code: str) -> str:
    if code in RISK_TYPE_BY_CODE:
        return RISK_TYPE_BY_CODE[code]
    if len(code) == 4 and code.startswith("02") and code.isdigit():
        return RISK_TYPE_BY_CODE["02"]
    return code  # already written out in words by the roster


def nth_risk(n: int) -> Value:
    return lambda h: risk_name(h.risk_types[n]) if len(h.risk_types) > n else None


def risks(prefix: str) -> tuple[Column, ...]:
    """致贫风险1–3 (or 返贫风险1–3), kept together on one printed page."""
    return tuple(Column(f"{prefix}{n + 1}", nth_risk(n), with_previous=n > 0) for n in range(3))


def problems(h: HouseholdFacts) -> str | None:
    """The six guarantees as last found: the problems, "无" when all were fine, empty if never
    contacted."""
    if h.last_problems is None:
        return None
    return official_problem_list(h.last_problems) or "无"


def change(attribute: str) -> Value:
    return lambda h: getattr(h.change, attribute) if h.change else None


SERIAL = "序号"
LEADING = (Column("组", lambda h: h.group), Column("户主姓名", lambda h: h.head_name))
PERSONAL = (
    Column("身份证号", lambda h: h.id_number),
    Column("联系电话", lambda h: h.phone),
    Column("家庭人口数", lambda h: h.members),
)
NUMBER = Column("户编号", lambda h: h.number)
INCOME = Column("年人均纯收入（元）", lambda h: h.income)
INCOME_DATE = Column("收入测算日期", lambda h: h.income_measured_on, with_previous=True)
PROBLEMS = Column("两不愁三保障一安全问题", problems)
CONTACT = Column("帮扶联系人", lambda h: h.contact_names)
CONTACT_PHONE = Column("联系人电话", lambda h: h.contact_phones, with_previous=True)
SURVEY = (
    Column("摸底人", lambda h: h.last_contact_by),
    Column("摸底日期", lambda h: h.last_contact_on, with_previous=True),
)
NOTE = Column("备注")
EXIT_YEAR = Column("脱贫年度", lambda h: h.exit_year)
SOCIAL_SUPPORT = Column("低保/特困/残疾", lambda h: h.social_support)
PLANNED_MEASURES = Column("拟帮扶措施", lambda h: h.planned_measures)
ADJUSTMENT = (
    Column("原识别时间", lambda h: h.identified_on),
    Column("调整类型", change("kind")),
    Column("调整原因", change("reason")),
    INCOME,
    Column("会议记录日期", change("meeting_date")),
    Column("乡镇审核", change("town_review")),
    Column("县级审定", change("county_decision")),
)
LEFT_MONITORING = (HouseholdStatus.RISK_REMOVED, HouseholdStatus.ADJUSTED_OUT)
ON_ROSTER = (HouseholdStatus.MONITORED, HouseholdStatus.RISK_REMOVED)

FORMS: tuple[FormSpec, ...] = (
    FormSpec(
        1,
        "边缘户动态调整表格",
        Category.MARGINAL,
        LEFT_MONITORING,
        (*ADJUSTMENT, Column("备注", change("note"))),
    ),
    FormSpec(
        2,
        "脱贫监测户动态调整表格",
        Category.LIFTED_MONITORED,
        LEFT_MONITORING,
        (NUMBER, *ADJUSTMENT, Column("是否整户无劳动能力"), Column("备注", change("note"))),
    ),
    FormSpec(
        3,
        "边缘户摸底表",
        Category.MARGINAL,
        (HouseholdStatus.MONITORED,),
        (
            INCOME,
            INCOME_DATE,
            *risks("致贫风险"),
            PROBLEMS,
            SOCIAL_SUPPORT,
            PLANNED_MEASURES,
            CONTACT,
            CONTACT_PHONE,
            *SURVEY,
            NOTE,
        ),
    ),
    FormSpec(
        4,
        "脱贫监测户摸底表",
        Category.LIFTED_MONITORED,
        (HouseholdStatus.MONITORED,),
        (
            NUMBER,
            EXIT_YEAR,
            Column("原致贫原因"),
            INCOME,
            INCOME_DATE,
            *risks("返贫风险"),
            PROBLEMS,
            SOCIAL_SUPPORT,
            Column("已享受帮扶措施"),
            PLANNED_MEASURES,
            CONTACT,
            CONTACT_PHONE,
            *SURVEY,
            NOTE,
        ),
    ),
    FormSpec(
        5,
        "不享受政策脱贫户花名册",
        Category.LIFTED_NO_POLICY,
        ON_ROSTER,
        (
            NUMBER,
            EXIT_YEAR,
            Column("不享受政策年度"),
            INCOME,
            Column(
                "是否监测对象", lambda h: "是" if h.status == HouseholdStatus.MONITORED else "否"
            ),
            CONTACT,
            NOTE,
        ),
    ),
    FormSpec(
        6,
        "享受政策脱贫户花名册",
        Category.LIFTED_POLICY,
        ON_ROSTER,
        (
            NUMBER,
            EXIT_YEAR,
            INCOME,
            Column("享受政策明细"),
            Column("帮扶责任人", lambda h: h.contact_names),
            Column("单位"),
            Column("电话", lambda h: h.contact_phones, with_previous=True),
            NOTE,
        ),
    ),
)


def headers(form: FormSpec) -> list[str]:
    return [SERIAL, *(column.header for column in form.layout)]


def row(form: FormSpec, serial: int, h: HouseholdFacts) -> list[Any]:
    return [serial, *(column.value(h) if column.value else None for column in form.layout)]


CENTRED = ("组", "家庭人口数", "脱贫年度", "是否监测对象")  # short values, centred like 序号


def centred_columns(form: FormSpec) -> list[int]:
    """The 0-based columns whose short values print centred: 序号 and CENTRED."""
    return [0, *(n for n, column in enumerate(form.layout, start=1) if column.header in CENTRED)]


def keeps_with_previous(form: FormSpec) -> list[bool]:
    """Per printed column (序号 first): whether it must share a page with the one before."""
    return [False, *(column.with_previous for column in form.layout)]
