"""The monthly coverage summary as the town office receives it: a short message, a chart and a
workbook with a sheet for the town and one per village. Rendered in the current language."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Month
from bot.core.coverage.month_summary import HouseholdLine, MonthCoverage, PersonCoverage, Tally
from bot.core.households.my_households import household_name
from bot.core.households.ordering import by_group_and_pinyin
from bot.documents.spreadsheet import SheetWriter, SpreadsheetFile
from bot.documents.summary_chart import coverage_chart_png
from bot.domain.model import ContactChannel
from bot.i18n import N_, join_list
from bot.i18n import gettext as _
from bot.private_files import private_folder, write_private

TEXT_VILLAGES = 20  # a town has 10–20; a longer list belongs in the workbook
TEXT_PERSONS = 5
UNCONTACTED_IN_TEXT = 60  # households named in the message: about one phone screen
CHANNELS = list(ContactChannel)
COUNT_HEADERS = (
    N_("Households to contact"),
    N_("Contacted"),
    N_("Not contacted"),
    N_("Coverage"),
    N_("Households visited at home"),
    N_("Home-visit share"),
)
FLAG_HEADERS = (
    N_("Red flags raised"),
    N_("Red flags acknowledged"),
    N_("Red flags closed"),
    N_("Red flags past deadline"),
)
TABLE_COLUMNS = 1 + len(COUNT_HEADERS) + len(CHANNELS) + len(FLAG_HEADERS)
PERCENT_COLUMNS = frozenset({4, 6})  # coverage, home-visit share
HEADER_WIDTH = 12  # longer headers wrap


@dataclass(frozen=True)
class SummaryReport:
    month: Month
    text: str
    chart_png: bytes
    workbook_xlsx: bytes

    def write(self, folder: Path) -> list[Path]:
        """Save the chart and the workbook (and the text) in `folder`; returns the paths.
        They name people and households: the files are 0600, a folder made for them 0700."""
        private_folder(folder)
        stem = f"coverage-{self.month}"
        files = {".txt": self.text.encode("utf-8"), ".png": self.chart_png}
        files[".xlsx"] = self.workbook_xlsx
        return [
            write_private(folder / f"{stem}{suffix}", content) for suffix, content in files.items()
        ]


def render_report(
    summary: MonthCoverage, tz: ZoneInfo, so_far: date | None = None
) -> SummaryReport:
    """Text, chart and workbook, in the current language; dates shown in the town's zone.
    `so_far`: the month is still running (the chart's colours follow its pace)."""
    return SummaryReport(
        month=summary.month,
        text=summary_text(summary),
        chart_png=coverage_chart_png(summary, chart_title(summary, so_far), so_far),
        workbook_xlsx=summary_workbook(summary, tz),
    )


def month_label(month: Month) -> str:
    return _("{month}/{year}").format(year=month.year, month=month.month)


def chart_title(summary: MonthCoverage, so_far: date | None = None) -> str:
    title = _("Contact coverage, {month}").format(month=month_label(summary.month))
    if so_far is None:
        return title
    return _("{title} (up to {day})").format(title=title, day=so_far.isoformat())


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share:.0%}"


def summary_text(summary: MonthCoverage) -> str:
    """The message for the town office: the town's numbers, each village, what needs action."""
    town = summary.town
    lines = [
        _("📊 Monthly contact summary, {month}").format(month=month_label(summary.month)),
        _("Whole town: {contacted} of {households} households contacted ({coverage}).").format(
            contacted=town.contacted, households=town.households, coverage=percent(town.coverage)
        ),
        _("Home visits: {visited} households ({share} of those contacted).").format(
            visited=town.home_visited, share=percent(town.home_visit_share)
        ),
    ]
    if town.contacts:
        lines.append(_("Contacts by channel: {channels}.").format(channels=_channels(town)))
    lines += ["", _("By village (lowest first):")]
    villages = sorted(
        (v for v in summary.villages if v.tally.households),
        key=lambda v: (v.tally.coverage or 0.0, v.name),
    )
    lines += [_tally_line(v.name, v.tally) for v in villages[:TEXT_VILLAGES]]
    if len(villages) > TEXT_VILLAGES:
        lines.append(
            _("… and {count} more villages, see the spreadsheet.").format(
                count=len(villages) - TEXT_VILLAGES
            )
        )
    behind = [p for p in summary.persons if p.tally.uncontacted]
    behind.sort(key=lambda p: (p.tally.coverage or 0.0, p.name))
    if behind:
        lines += ["", _("Contact persons with the most to catch up:")]
        lines += [_tally_line(p.name, p.tally) for p in behind[:TEXT_PERSONS]]
    lines.append("")
    lines += _action_lines(summary)
    return "\n".join(lines)


def _action_lines(summary: MonthCoverage) -> list[str]:
    town = summary.town
    lines = []
    if town.uncontacted:
        lines += _uncontacted_lines(summary)
    else:
        lines.append(_("✅ Every household was contacted in the month."))
    if summary.unassigned:
        lines.append(
            _("👤 {count} households have no contact person: please assign one.").format(
                count=len(summary.unassigned)
            )
        )
    if summary.unreachable:
        lines.append(
            _("📵 Contact persons the bot cannot reach: {names}.").format(
                names=join_list(p.name for p in summary.unreachable)
            )
        )
    lines.append(
        _(
            "🚩 Red flags: {raised} raised, {acknowledged} acknowledged, {closed} closed, "
            "{overdue} past deadline."
        ).format(
            raised=town.flags_raised,
            acknowledged=town.flags_acknowledged,
            closed=town.flags_closed,
            overdue=town.flags_past_deadline,
        )
    )
    if summary.late_entries:
        lines.append(
            _(
                "📝 {count} contacts were entered late for months already reported; "
                "see the spreadsheet."
            ).format(count=len(summary.late_entries))
        )
    return lines


def _uncontacted_lines(summary: MonthCoverage) -> list[str]:
    """The households not contacted, by village and group, up to about one phone screen;
    the workbook has them all."""
    lines = [_("⚠️ {count} households were not contacted:").format(count=summary.town.uncontacted)]
    named = 0
    for village in summary.villages:
        if not village.uncontacted or named >= UNCONTACTED_IN_TEXT:
            continue
        shown = by_group_and_pinyin(_Named(line) for line in village.uncontacted)
        shown = shown[: UNCONTACTED_IN_TEXT - named]
        named += len(shown)
        names = join_list(household_name(entry) for entry in shown)
        lines.append(
            _("🏘 {village} ({count}): {households}").format(
                village=village.name, count=len(village.uncontacted), households=names
            )
        )
    if summary.uncontacted_count > named:
        lines.append(
            _("… and {count} more, see the spreadsheet.").format(
                count=summary.uncontacted_count - named
            )
        )
    return lines


@dataclass(frozen=True)
class _Named:
    """A summary's household line under the names the ordering and labels read."""

    line: HouseholdLine

    @property
    def head_name(self) -> str:
        return self.line.head_name

    @property
    def group_name(self) -> str:
        return self.line.group


def _tally_line(name: str, tally: Tally) -> str:
    return _("{name} {coverage} ({contacted}/{households})").format(
        name=name,
        coverage=percent(tally.coverage),
        contacted=tally.contacted,
        households=tally.households,
    )


def _channels(tally: Tally) -> str:
    return join_list(
        _("{channel} {count}").format(channel=channel.label, count=tally.by_channel[channel])
        for channel in CHANNELS
        if tally.by_channel.get(channel)
    )


def summary_workbook(summary: MonthCoverage, tz: ZoneInfo) -> bytes:
    """A sheet for the whole town, then one per village."""
    file = SpreadsheetFile()
    _town_sheet(file.sheet(_("Whole town"), HEADER_WIDTH), summary, tz)
    for village in summary.villages:
        sheet = file.sheet(village.name, HEADER_WIDTH)
        title = _("{village}, {month}").format(
            village=village.name, month=month_label(summary.month)
        )
        row = _heading(sheet, title)
        row = _tally_table(sheet, row, _("Village"), [(village.name, village.tally)])
        row = _person_table(sheet, row, village.persons)
        row = _household_table(sheet, row, _("Households not contacted"), village.uncontacted)
        _household_table(sheet, row, _("Households without a contact person"), village.unassigned)
        sheet.fit_columns()
        sheet.print_ready()
    return file.close()


def _town_sheet(sheet: SheetWriter, summary: MonthCoverage, tz: ZoneInfo) -> None:
    row = _heading(sheet, chart_title(summary))
    villages = [(v.name, v.tally) for v in summary.villages]
    row = _tally_table(sheet, row, _("Village"), villages, total=summary.town)
    row = _person_table(sheet, row, summary.persons)
    row = _household_table(sheet, row, _("Households without a contact person"), summary.unassigned)
    row = _section(
        sheet,
        row,
        _("Contact persons the bot cannot reach"),
        [_("Name"), _("Phone"), _("Unreachable since"), _("Households held")],
        [
            (p.name, p.phone, p.since.astimezone(tz).date(), p.households)
            for p in summary.unreachable
        ],
    )
    _section(
        sheet,
        row,
        _("Contacts entered late for months already reported"),
        [
            _("Village"),
            _("Group"),
            _("Head of household"),
            _("Contact date"),
            _("Entered on"),
            _("Channel"),
            _("Entered by"),
        ],
        [
            (
                late.household.village,
                late.household.group,
                late.household.head_name,
                late.occurred_on,
                late.entered_at.astimezone(tz).date(),
                ContactChannel(late.channel).label,
                late.logged_by,
            )
            for late in summary.late_entries
        ],
    )
    sheet.fit_columns()
    sheet.print_ready()


def _heading(sheet: SheetWriter, title: str) -> int:
    sheet.title(1, title, columns=TABLE_COLUMNS)
    return 3


def _tally_headers(first: str) -> list[str]:
    return [
        first,
        *(_(header) for header in COUNT_HEADERS),
        *(_("{channel} (contacts)").format(channel=channel.label) for channel in CHANNELS),
        *(_(header) for header in FLAG_HEADERS),
    ]


def _tally_cells(name: str, tally: Tally) -> list[Any]:
    return [
        name,
        tally.households,
        tally.contacted,
        tally.uncontacted,
        tally.coverage,
        tally.home_visited,
        tally.home_visit_share,
        *(tally.by_channel.get(channel, 0) for channel in CHANNELS),
        tally.flags_raised,
        tally.flags_acknowledged,
        tally.flags_closed,
        tally.flags_past_deadline,
    ]


def _tally_table(
    sheet: SheetWriter,
    row: int,
    first: str,
    rows: Sequence[tuple[str, Tally]],
    total: Tally | None = None,
) -> int:
    sheet.header(row, _tally_headers(first))
    row = sheet.rows(row + 1, [_tally_cells(n, t) for n, t in rows], PERCENT_COLUMNS)
    if total is not None:
        row = sheet.rows(row, [_tally_cells(_("Total"), total)], PERCENT_COLUMNS, bold=True)
    return row + 1


def _person_table(sheet: SheetWriter, row: int, persons: Sequence[PersonCoverage]) -> int:
    return _tally_table(sheet, row, _("Contact person"), [(p.name, p.tally) for p in persons])


def _household_table(
    sheet: SheetWriter, row: int, title: str, lines: Sequence[HouseholdLine]
) -> int:
    return _section(
        sheet,
        row,
        title,
        [
            _("Village"),
            _("Group"),
            _("Household number"),
            _("Head of household"),
            _("Contact person"),
        ],
        [(h.village, h.group, h.number, h.head_name, h.contact_person) for h in lines],
    )


def _section(
    sheet: SheetWriter, row: int, title: str, headers: list[str], rows: Sequence[Sequence[Any]]
) -> int:
    """A titled table; with no rows, the title says "none" so the reader knows it was checked."""
    caption = _("{title} ({count})").format(title=title, count=len(rows))
    sheet.caption(row, caption, columns=max(len(headers), 2))
    if not rows:
        return row + 2
    sheet.header(row + 1, headers)
    return sheet.rows(row + 2, rows) + 1
