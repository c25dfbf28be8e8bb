"""Checking the roster's rows (花名册校验): every cell of every row, then clashes between
rows. The result is either every row as a `RosterRow`, or `RosterRejected` listing every
problem with its row number, so the clerk fixes the whole file in one go."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from bot.core.dates import parse_day
from bot.core.roster.columns import (
    CATEGORY,
    CONTACT_NAME,
    CONTACT_PHONE,
    EXIT_YEAR,
    GROUP,
    HEAD_NAME,
    HEADERS,
    ID_NUMBER,
    IDENTIFIED_ON,
    INCOME,
    MEMBERS,
    NUMBER,
    OPTIONAL_COLUMNS,
    PHONE,
    RISK_TYPES,
    SOCIAL_SUPPORT,
    TOWN,
    VILLAGE,
    RawRow,
)
from bot.domain.model import CATEGORY_BY_ROSTER_NAME, ROSTER_NAME_BY_CATEGORY, Category
from bot.domain.text_rules import (
    CELL_MAX_CHARS,
    NAME_MAX_CHARS,
    SHORT_CODE_MAX_CHARS,
    clean_text,
)
from bot.domain.validation import (
    InvalidValue,
    normalise_id_number,
    normalise_phone,
    normalise_risk_types,
    normalise_social_support,
    parse_exit_year,
    parse_income,
    parse_members,
)
from bot.errors import DomainError, InvalidInput, render_message
from bot.i18n import N_, gettext

T = TypeVar("T")

# The longest text each column's database field holds; any other cell: CELL_MAX_CHARS.
MAX_LENGTH = {
    VILLAGE: NAME_MAX_CHARS,
    GROUP: SHORT_CODE_MAX_CHARS,
    NUMBER: SHORT_CODE_MAX_CHARS,
    HEAD_NAME: NAME_MAX_CHARS,
    CONTACT_NAME: NAME_MAX_CHARS,
}
# A spreadsheet keeps 15 significant digits of a number; longer digit strings must be text.
EXACT_DIGITS = 15
SCIENTIFIC = re.compile(r"\d(\.\d+)?[eE]\+?\d+")
REQUIRED_FIELD = N_("This must be filled in.")
TYPED_AS_NUMBER = N_(
    "This was typed as a number, so the spreadsheet has changed its last digits. Format the "
    "column {column} as text, type the numbers again, and import again."
)


ROW_PROBLEM = N_("Row {row}, {column}: {reason}")
FUTURE_DATE = N_("The date {day} is later than today.")
# The household's column for each column a roster may leave out (the six forms' data).
OPTIONAL_FIELDS = {
    EXIT_YEAR: "exit_year",
    SOCIAL_SUPPORT: "social_support",
    IDENTIFIED_ON: "identified_on",
}


@dataclass(frozen=True)
class RowProblem:
    """What is wrong with one cell: `row_number` as Excel shows it, the column's header, and
    the reason as a msgid with its parameters."""

    row_number: int
    column: str
    reason: str
    params: dict[str, Any] = field(default_factory=dict)

    def render(self) -> str:
        return render_message(self.reason, self.params)

    def line(self) -> str:
        """ "Row 5, 户主姓名: …", as the clerk reads it next to the spreadsheet."""
        return gettext(ROW_PROBLEM).format(
            row=self.row_number, column=self.column, reason=self.render()
        )


class RowsRejected(DomainError):
    """An uploaded spreadsheet has bad rows; `problems` lists every one of them, by row and
    column. Nothing was written."""

    def __init__(self, msgid: str, problems: list[RowProblem]) -> None:
        order = {header: index for index, header in enumerate(HEADERS)}
        self.problems = sorted(problems, key=lambda p: (p.row_number, order.get(p.column, 99)))
        super().__init__(msgid, rows=len({problem.row_number for problem in problems}))


class RosterRejected(RowsRejected):
    """The roster has bad rows; nothing was imported."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(
            N_("The roster was not imported and nothing was changed. Rows with problems: {rows}."),
            problems,
        )


@dataclass(frozen=True)
class RosterRow:
    """One checked row: a household and its contact person."""

    row_number: int
    village: str
    group_name: str
    number: str
    head_name: str
    id_number: str
    phone: str | None
    members: int
    category: Category
    income: Decimal | None
    risk_types: list[str]
    contact_name: str
    contact_phone: str
    # The optional columns the roster has (OPTIONAL_FIELDS), by the household's field name;
    # a column it lacks is not here, and leaves the household's value as it was.
    optional: dict[str, Any] = field(default_factory=dict)
    town: str | None = None  # 乡镇, when the roster has the column

    def household_fields(self) -> dict[str, Any]:
        """The household's columns as the roster gives them (the village aside)."""
        return {
            "group_name": self.group_name,
            "head_name": self.head_name,
            "id_number": self.id_number,
            "phone": self.phone,
            "members": self.members,
            "category": str(self.category),
            "income": self.income,
            "risk_types": self.risk_types,
            **self.optional,
        }


def check_rows(raw_rows: list[RawRow], today: date) -> list[RosterRow]:
    """Every row checked (`today`: the town's date, no date may be later), or
    RosterRejected listing every problem in the file."""
    problems: list[RowProblem] = []
    checked = [_check_row(raw, problems, today) for raw in raw_rows]
    problems += _clashes_between_rows([keys for _row, keys in checked])
    if problems:
        raise RosterRejected(problems)
    return [row for row, _keys in checked if row is not None]


@dataclass(frozen=True)
class _RowKeys:
    """What must not clash with another row; None where the cell itself was bad."""

    row_number: int
    number: str | None
    id_number: str | None
    contact_name: str | None
    contact_phone: str | None


class _Cells:
    """Reads one raw row's cells, noting a problem for each bad one."""

    def __init__(self, raw: RawRow, problems: list[RowProblem]) -> None:
        self.raw = raw
        self.problems = problems

    def note(self, header: str, reason: str, **params: Any) -> None:
        self.problems.append(RowProblem(self.raw.number, header, reason, params))

    def text(self, column: str, required: bool = False) -> str | None:
        """The cell as one line of text (the one rule of text_rules: no control characters,
        at most its column's length); None when blank or bad."""
        value = self.raw.cells.get(column)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        try:
            text = clean_text(
                "" if value is None else str(value),
                MAX_LENGTH.get(column, CELL_MAX_CHARS),
                one_line=True,
            )
        except InvalidValue as problem:
            self.note(column, problem.msgid, **problem.params)
            return None
        if not text:
            if required:
                self.note(column, REQUIRED_FIELD)
            return None
        return text

    def digits_as_text(
        self, column: str, required: bool = False, longest_number: int = EXACT_DIGITS
    ) -> str | None:
        """A long digit string (户编号, 身份证号): refused if the spreadsheet took it as a number
        with more than `longest_number` digits, or shows it as 3.41523E+17."""
        value = self.raw.cells.get(column)
        number_digits = len(str(int(value))) if isinstance(value, int | float) else 0
        if number_digits > longest_number or (
            isinstance(value, str) and SCIENTIFIC.fullmatch(value.strip())
        ):
            self.note(column, TYPED_AS_NUMBER, column=column)
            return None
        return self.text(column, required)

    def day(self, column: str, today: date) -> date | None:
        """A date: a spreadsheet's date cell, or typed as the one date parser reads it; not
        later than `today`."""
        value = self.raw.cells.get(column)
        if isinstance(value, datetime | date):
            day = value.date() if isinstance(value, datetime) else value
        else:
            text = self.text(column)
            if text is None:
                return None
            try:
                day = parse_day(text, today)
            except InvalidInput as problem:
                self.note(column, problem.msgid, **problem.params)
                return None
        if day > today:
            self.note(column, FUTURE_DATE, day=day.isoformat())
            return None
        return day

    def optional(self, today: date) -> dict[str, Any]:
        """The optional columns present in the roster, by the household's field name."""
        read = {
            EXIT_YEAR: lambda: self.convert(
                EXIT_YEAR, self.text(EXIT_YEAR), lambda text: parse_exit_year(text, today.year)
            ),
            SOCIAL_SUPPORT: lambda: self.convert(
                SOCIAL_SUPPORT, self.text(SOCIAL_SUPPORT), normalise_social_support
            ),
            IDENTIFIED_ON: lambda: self.day(IDENTIFIED_ON, today),
        }
        return {
            OPTIONAL_FIELDS[column]: read[column]()
            for column in OPTIONAL_COLUMNS
            if column in self.raw.cells and column in read
        }

    def convert(self, column: str, text: str | None, converter: Callable[[str], T]) -> T | None:
        if text is None:
            return None
        try:
            return converter(text)
        except InvalidValue as problem:
            self.note(column, problem.msgid, **problem.params)
            return None


def _check_row(
    raw: RawRow, problems: list[RowProblem], today: date
) -> tuple[RosterRow | None, _RowKeys]:
    cells = _Cells(raw, problems)
    before = len(problems)
    village = cells.text(VILLAGE, required=True)
    town = cells.text(TOWN)
    group_name = cells.text(GROUP) or ""
    number = cells.digits_as_text(NUMBER, required=True)
    head_name = cells.text(HEAD_NAME, required=True)
    # An ID number has 18 digits: as a number it has always lost some of them.
    id_text = cells.digits_as_text(ID_NUMBER, required=True, longest_number=0)
    id_number = cells.convert(ID_NUMBER, id_text, normalise_id_number)
    phone = cells.convert(PHONE, cells.text(PHONE), normalise_phone)
    members = cells.convert(MEMBERS, cells.text(MEMBERS, required=True), parse_members)
    category = cells.convert(CATEGORY, cells.text(CATEGORY, required=True), _category)
    income = cells.convert(INCOME, cells.text(INCOME), parse_income)
    risk_types = cells.convert(RISK_TYPES, cells.text(RISK_TYPES), normalise_risk_types) or []
    contact_name = cells.text(CONTACT_NAME, required=True)
    contact_phone = cells.convert(
        CONTACT_PHONE, cells.text(CONTACT_PHONE, required=True), normalise_phone
    )
    optional = cells.optional(today)
    keys = _RowKeys(raw.number, number, id_number, contact_name, contact_phone)
    if len(problems) > before:
        return None, keys
    assert village and number and head_name and id_number and members and category
    assert contact_name and contact_phone
    row = RosterRow(
        row_number=raw.number,
        village=village,
        group_name=group_name,
        number=number,
        head_name=head_name,
        id_number=id_number,
        phone=phone,
        members=members,
        category=category,
        income=income,
        risk_types=risk_types,
        contact_name=contact_name,
        contact_phone=contact_phone,
        optional=optional,
        town=town,
    )
    return row, keys


def _category(text: str) -> Category:
    category = CATEGORY_BY_ROSTER_NAME.get("".join(text.split()))
    if category is None:
        raise InvalidValue(
            N_("Unknown category {value}. Use one of: {allowed}."),
            value=text,
            allowed="、".join(ROSTER_NAME_BY_CATEGORY.values()),
        )
    return category


DUPLICATE_NUMBER = N_("Household number {number} is already on row {row}.")
DUPLICATE_ID_NUMBER = N_("This ID number is already on row {row}.")


def _clashes_between_rows(rows: list[_RowKeys]) -> list[RowProblem]:
    """The same household or ID number twice, or one phone given for two contact persons."""
    problems: list[RowProblem] = []
    first_with_number: dict[str, int] = {}
    first_with_id: dict[str, int] = {}
    name_by_phone: dict[str, tuple[str, int]] = {}
    for row in rows:
        # A value each row must have alone: the row it first stood in, the column, the rule.
        unique = (
            (row.number, first_with_number, NUMBER, DUPLICATE_NUMBER, {"number": row.number}),
            (row.id_number, first_with_id, ID_NUMBER, DUPLICATE_ID_NUMBER, {}),
        )
        for value, first_with, column, msgid, params in unique:
            if value is None:
                continue
            first = first_with.setdefault(value, row.row_number)
            if first != row.row_number:
                problems.append(RowProblem(row.row_number, column, msgid, {**params, "row": first}))
        if row.contact_name is not None and row.contact_phone is not None:
            name, first = name_by_phone.setdefault(
                row.contact_phone, (row.contact_name, row.row_number)
            )
            if name != row.contact_name:
                problems.append(
                    RowProblem(
                        row.row_number,
                        CONTACT_PHONE,
                        N_(
                            "Phone {phone} is given for {name} on row {row}: "
                            "one phone number belongs to one contact person."
                        ),
                        {"phone": row.contact_phone, "name": name, "row": first},
                    )
                )
    return problems
