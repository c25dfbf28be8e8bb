"""The six forms (附件1–6) as print-ready .xlsx files, one per form and village: what the
core's `form_facts` returns, laid out by bot/core/reports/form_layout.py."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.core.policy import Actor
from bot.core.reports.form_layout import (
    FORMS,
    FormSpec,
    HouseholdFacts,
    centred_columns,
    headers,
    keeps_with_previous,
    row,
)
from bot.core.reports.forms import form_facts, towns_of
from bot.documents.spreadsheet import SpreadsheetFile, header_text
from bot.private_files import private_folder
from bot.storage.models import FIRST_TOWN_ID
from bot.storage.uow import App

UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\s]+')
TABLE_HEADER_ROW = 4  # above it: 附件N, the title, 填报单位 and 填报日期
SIGNATURE_BLANK = "　" * 8  # room to sign by hand


@dataclass(frozen=True)
class Filing:
    """Who files the forms and when: 填报单位 is the town and village, 填报日期 the export's
    local date."""

    town: str
    on: date
    # Each village's town, where the county has several (else `town` for every village).
    towns: dict[str, str] = field(default_factory=dict)

    def unit(self, village: str) -> str:
        return f"{self.towns.get(village, self.town)}{village}"

    @property
    def day(self) -> str:
        return f"{self.on.year}年{self.on.month}月{self.on.day}日"


async def export_forms(
    app: App, actor: Actor, village: str | None = None, *, out_dir: Path, town_id: int | None = None
) -> list[Path]:
    """Write the six forms for each village the actor may export (of one town, with
    `town_id`); returns the files written."""
    villages, facts = await form_facts(app, actor, village, town_id)
    # The first town is a single-town installation's: its name is the TOWN_NAME setting.
    towns = {
        villages[village_id]: name
        for village_id, (town, name) in (await towns_of(app, villages)).items()
        if town != FIRST_TOWN_ID
    }
    filing = Filing(app.settings.town_name.strip(), app.clock.today(), towns)
    # Building and saving workbooks is slow, blocking work: keep the event loop free meanwhile.
    return await asyncio.to_thread(_write_forms, villages, facts, filing, out_dir)


def _write_forms(
    villages: dict[int, str],
    facts: dict[int, list[HouseholdFacts]],
    filing: Filing,
    out_dir: Path,
) -> list[Path]:
    private_folder(out_dir)  # the forms hold full ID numbers: 0700, each file 0600
    written = []
    for village_id, village_name in villages.items():
        households = facts.get(village_id, [])
        for form in FORMS:
            path = out_dir / form_file_name(village_name, form)
            listed = [h for h in households if form.lists(h)]
            write_form(path, form, village_name, listed, filing)
            written.append(path)
    return written


def form_file_name(village: str, form: FormSpec) -> str:
    return f"{UNSAFE_IN_FILE_NAMES.sub('_', village)}_附件{form.number}_{form.name}.xlsx"


def write_form(
    path: Path,
    form: FormSpec,
    village: str,
    households: Iterable[HouseholdFacts],
    filing: Filing,
) -> None:
    """One form as the notice's 附件: 附件N, the title, 填报单位 and 填报日期 above the table,
    填表人 and 审核人 below it. Printed, it is A4 landscape, never shrunk below 9 pt: a wide
    form goes on over several pages, each repeating the header row and the identifying
    columns, with the title, 填报单位 and 填报日期 in the page header and 填表人, 审核人 and
    第 N 页 共 M 页 in the footer."""
    file = SpreadsheetFile(path)
    sheet = file.sheet(form.name, header_width=8)
    columns = headers(form)
    attachment = f"附件{form.number}"
    filed = f"填报单位：{filing.unit(village)}　　填报日期：{filing.day}"
    signatures = f"填表人：{SIGNATURE_BLANK}审核人：{SIGNATURE_BLANK}"
    sheet.caption(1, attachment, len(columns))
    sheet.title(2, form.heading(village), len(columns))
    sheet.caption(3, filed, len(columns))
    sheet.header(TABLE_HEADER_ROW, columns)
    ordered = sorted(households, key=lambda h: (h.group, h.head_name, h.number))
    first = TABLE_HEADER_ROW + 1
    rows = [row(form, serial, h) for serial, h in enumerate(ordered, start=1)]
    after = sheet.rows(first, rows, wrap=True, centred_columns=centred_columns(form))
    sheet.caption(after + 1, signatures, len(columns))  # a blank row apart
    sheet.print_in_pages(
        rows=(TABLE_HEADER_ROW, first + len(rows) - 1),
        widths=sheet.fit_columns(maximum=24),
        repeat_columns=form.identifying,
        keep_with_previous=keeps_with_previous(form),
        page_header=(
            f"&L&11{attachment}\n填报单位：{header_text(filing.unit(village))}"
            f'&C&"-,Bold"&16{header_text(form.heading(village))}'
            f"&R&11 \n填报日期：{filing.day}"
        ),
        page_footer=(
            f"&L&11填表人：{SIGNATURE_BLANK}&C&11第 &P 页 共 &N 页&R&11审核人：{SIGNATURE_BLANK}"
        ),
    )
    file.close()
