"""The provincial platform's monthly red-flag list (省扶贫开发信息系统 红色标注): each row
names a household by 户编号 or 身份证号, with the reason (原因 / 预警原因).

Each matching household gets a flag with source "platform" (its alert goes through the
outbox); a household that already has an open platform flag is not flagged twice; rows that
match no household are reported with their row number. One transaction for the whole file;
a cell no flag may hold (a reason over NOTE_MAX_CHARS, a control character) refuses the whole
file, listing every such cell by row, before anything is flagged.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from bot.core.flags.raising import raise_flag
from bot.core.policy import Act, Actor, require, visible_households

# One reader of .xlsx/.csv (UTF-8 or GBK), and of headers, for every spreadsheet people upload.
from bot.core.roster.columns import HEADER_SEARCH_ROWS, ID_NUMBER, NUMBER, Table, header_text
from bot.core.roster.rows import RowProblem, RowsRejected
from bot.domain.model import OPEN_FLAG_STATUSES, FlagSource
from bot.domain.text_rules import SHORT_CODE_MAX_CHARS, clean_text
from bot.domain.validation import InvalidValue, normalise_id_number
from bot.errors import InvalidInput
from bot.i18n import N_
from bot.storage.batches import rows_in_batches
from bot.storage.models import Household, RedFlag
from bot.storage.uow import App, UnitOfWork

REASON_HEADERS = ("预警原因", "原因", "风险原因", "标注原因", "返贫致贫风险")
# A town's monthly list names a few of its 500–3,000 households; more rows is the wrong file
# (or a workbook inflated to freeze the bot), refused after reading that many (the reader,
# bot/documents/roster_sheet.py, is given this bound).
PLATFORM_LIST_MAX_ROWS = 20_000
# The platform's list sometimes leaves the reason empty; the flag still says where it came from.
DEFAULT_REASON = "省扶贫开发信息系统比对预警"


@dataclass(frozen=True)
class PlatformRow:
    row_number: int  # as the spreadsheet shows it
    value: str  # the 户编号 or 身份证号 given
    household: str | None = None  # the head's name, when it matched


@dataclass
class PlatformImportReport:
    flagged: list[PlatformRow] = field(default_factory=list)
    already_open: list[PlatformRow] = field(default_factory=list)
    unknown: list[PlatformRow] = field(default_factory=list)


@dataclass(frozen=True)
class _Line:
    row_number: int
    value: str  # as given: the 户编号, else the 身份证号
    number: str | None
    id_number: str | None  # normalised; None when missing or not a valid ID number
    reason: str


async def import_platform_flags(app: App, actor: Actor, table: Table) -> PlatformImportReport:
    """Flag the households the platform's list names (its rows as read from the file by
    bot/documents/roster_sheet.py; see the module's docstring)."""
    require(actor, Act.IMPORT_PLATFORM_LIST)
    # In a thread: checking a long list must not hold up every other person's answers.
    lines = await asyncio.to_thread(_read_lines, table, app.settings.note_max_chars)
    report = PlatformImportReport()
    size = app.settings.import_batch_size
    async with app.uow() as uow:
        by_number, by_id = await _households(uow, actor, lines, size)
        flagged_now: set[int] = set()
        known = [household.id for household in [*by_number.values(), *by_id.values()]]
        already = await _open_platform_flags(uow, known, size)
        for line in lines:
            household = by_number.get(line.number or "") or by_id.get(line.id_number or "")
            if household is None:
                report.unknown.append(PlatformRow(line.row_number, line.value))
                continue
            row = PlatformRow(line.row_number, line.value, household.head_name)
            if household.id in already or household.id in flagged_now:
                report.already_open.append(row)
                continue
            await raise_flag(uow, actor, household, FlagSource.PLATFORM, line.reason)
            flagged_now.add(household.id)
            report.flagged.append(row)
        await uow.commit()
    return report


def _read_lines(table: Table, reason_limit: int) -> list[_Line]:
    """The rows naming a household. Every cell is checked by the one text rule first (no
    control characters; a reason at most `reason_limit` characters): one bad cell refuses
    the whole list, with every problem by row number, before anything is flagged."""
    header_index = next(
        (
            index
            for index, row in enumerate(table[:HEADER_SEARCH_ROWS])
            if {NUMBER, ID_NUMBER} & {header_text(cell) for cell in row}
        ),
        None,
    )
    if header_index is None:
        raise InvalidInput(
            N_("No header row found: one of the first rows must have the column {column}."),
            column=f"{NUMBER} / {ID_NUMBER}",
        )
    headers = [header_text(cell) for cell in table[header_index]]
    position = {header: index for index, header in reversed(list(enumerate(headers)))}
    reason_header = next((h for h in REASON_HEADERS if h in position), None)
    problems: list[RowProblem] = []
    lines = []
    for index in range(header_index + 1, len(table)):
        row = _Row(index + 1, table[index], position, problems)
        number = row.cell(NUMBER, SHORT_CODE_MAX_CHARS, one_line=True)
        id_text = row.cell(ID_NUMBER, SHORT_CODE_MAX_CHARS, one_line=True)
        reason = row.cell(reason_header, reason_limit) if reason_header else ""
        if number or id_text:
            lines.append(
                _Line(
                    index + 1,
                    number or id_text,
                    number or None,
                    _id_number(id_text),
                    reason or DEFAULT_REASON,
                )
            )
    if problems:
        raise PlatformListRejected(problems)
    if not lines:
        raise InvalidInput(N_("The list has no rows under its header row."))
    return lines


class PlatformListRejected(RowsRejected):
    """The list has cells no flag may hold (a control character, a reason over the limit);
    nothing was flagged."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(
            N_("The list was not imported and nothing was flagged. Rows with problems: {rows}."),
            problems,
        )


@dataclass
class _Row:
    """Reads one row's cells by header, noting a problem for each bad one."""

    number: int  # as the spreadsheet shows it
    values: list[object]
    position: dict[str, int]
    problems: list[RowProblem]

    def cell(self, header: str, limit: int, *, one_line: bool = False) -> str:
        column = self.position.get(header)
        if column is None or column >= len(self.values) or self.values[column] is None:
            return ""
        value = self.values[column]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        try:
            return clean_text(str(value), limit, one_line=one_line)
        except InvalidValue as problem:
            self.problems.append(RowProblem(self.number, header, problem.msgid, problem.params))
            return ""


def _id_number(text: str) -> str | None:
    if not text:
        return None
    try:
        return normalise_id_number(text)
    except InvalidValue:
        return None


async def _households(
    uow: UnitOfWork, actor: Actor, lines: list[_Line], size: int
) -> tuple[dict[str, Household], dict[str, Household]]:
    """The households the rows name, among those the actor may read: a town office's list
    flags its own town's (another town's rows read as unknown); the county's, any town's,
    each alert going to that town's office."""
    numbers = [line.number for line in lines if line.number]
    id_numbers = [line.id_number for line in lines if line.id_number]
    return (
        await _households_by(uow, actor, Household.number, numbers, size),
        await _households_by(uow, actor, Household.id_number, id_numbers, size),
    )


async def _households_by(
    uow: UnitOfWork,
    actor: Actor,
    column: InstrumentedAttribute[str],
    values: list[str],
    size: int,
) -> dict[str, Household]:
    found = await rows_in_batches(
        uow.session,
        lambda batch: visible_households(actor).where(column.in_(batch)),
        values,
        size,
    )
    return {getattr(household, column.key): household for (household,) in found}


async def _open_platform_flags(uow: UnitOfWork, household_ids: list[int], size: int) -> set[int]:
    found = await rows_in_batches(
        uow.session,
        lambda batch: select(RedFlag.household_id).where(
            RedFlag.household_id.in_(batch),
            RedFlag.source == FlagSource.PLATFORM,
            RedFlag.status.in_(OPEN_FLAG_STATUSES),
        ),
        household_ids,
        size,
    )
    return {household_id for (household_id,) in found}
