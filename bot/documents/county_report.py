"""The towns side by side for the county office (县级): a short message, a chart with one bar
per town, and a workbook with the county's sheet (a row per town) and one sheet per town (a
row per village). Rendered in the current language, with the monthly summary's own tables."""

from __future__ import annotations

from datetime import date

from bot.core.reports.county import CountyCoverage
from bot.documents.spreadsheet import SpreadsheetFile
from bot.documents.summary_chart import county_chart_png
from bot.documents.summary_report import (
    HEADER_WIDTH,
    SummaryReport,
    _heading,
    _tally_line,
    _tally_table,
    month_label,
    percent,
)
from bot.i18n import gettext as _


def county_title(county: CountyCoverage, so_far: date | None = None) -> str:
    title = _("The towns' contact coverage, {month}").format(month=month_label(county.month))
    if so_far is None:
        return title
    return _("{title} (up to {day})").format(title=title, day=so_far.isoformat())


def county_text(county: CountyCoverage) -> str:
    """The county's total, then every town, lowest coverage first."""
    total = county.county
    lines = [
        _("📊 The towns compared, {month}").format(month=month_label(county.month)),
        _("Whole county: {contacted} of {households} households contacted ({coverage}).").format(
            contacted=total.contacted, households=total.households, coverage=percent(total.coverage)
        ),
        _("Red flags: {new} new this month, {open} open.").format(
            new=total.flags_raised, open=total.flags_open
        ),
        "",
        _("By town (lowest first):"),
    ]
    towns = sorted(county.towns, key=lambda town: (town.tally.coverage or 0.0, town.name))
    lines += [
        _("{line}, {left} not contacted, {open} open red flags").format(
            line=_tally_line(town.name, town.tally),
            left=town.tally.uncontacted,
            open=town.tally.flags_open,
        )
        for town in towns
        if town.tally.households
    ]
    return "\n".join(lines)


def county_workbook(county: CountyCoverage) -> bytes:
    """The county's sheet (a row per town, the total last), then a sheet per town."""
    file = SpreadsheetFile()
    sheet = file.sheet(_("Whole county"), HEADER_WIDTH)
    row = _heading(sheet, county_title(county))
    towns = [(town.name, town.tally) for town in county.towns]
    _tally_table(sheet, row, _("Town"), towns, total=county.county)
    sheet.fit_columns()
    sheet.print_ready()
    for town in county.towns:
        sheet = file.sheet(town.name, HEADER_WIDTH)
        title = _("{town}, {month}").format(town=town.name, month=month_label(county.month))
        row = _heading(sheet, title)
        villages = [(village.name, village.tally) for village in town.villages]
        _tally_table(sheet, row, _("Village"), villages, total=town.tally)
        sheet.fit_columns()
        sheet.print_ready()
    return file.close()


def render_county(county: CountyCoverage, so_far: date | None = None) -> SummaryReport:
    """Text, chart and workbook, in the current language."""
    towns = [(town.name, town.tally) for town in county.towns]
    return SummaryReport(
        month=county.month,
        text=county_text(county),
        chart_png=county_chart_png(
            county.month, county_title(county, so_far), county.county, towns, so_far
        ),
        workbook_xlsx=county_workbook(county),
    )
