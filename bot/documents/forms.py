"""The six forms (附件1–6) as print-ready .xlsx files, one per form and village: what the
core's `form_facts` returns, laid out by bot/core/reports/form_layout.py."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from pathlib import Path

from bot.core.policy import Actor
from bot.core.reports.form_layout import FORMS, FormSpec, HouseholdFacts, headers, row
from bot.core.reports.forms import form_facts
from bot.documents.spreadsheet import SpreadsheetFile
from bot.private_files import private_folder
from bot.storage.uow import App

UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\s]+')


async def export_forms(
    app: App, actor: Actor, village: str | None = None, *, out_dir: Path
) -> list[Path]:
    """Write the six forms for each village the actor may export; returns the files written."""
    villages, facts = await form_facts(app, actor, village)
    # Building and saving workbooks is slow, blocking work: keep the event loop free meanwhile.
    return await asyncio.to_thread(_write_forms, villages, facts, out_dir)


def _write_forms(
    villages: dict[int, str], facts: dict[int, list[HouseholdFacts]], out_dir: Path
) -> list[Path]:
    private_folder(out_dir)  # the forms hold full ID numbers: 0700, each file 0600
    written = []
    for village_id, village_name in villages.items():
        households = facts.get(village_id, [])
        for form in FORMS:
            path = out_dir / form_file_name(village_name, form)
            write_form(path, form, village_name, [h for h in households if form.lists(h)])
            written.append(path)
    return written


def form_file_name(village: str, form: FormSpec) -> str:
    return f"{UNSAFE_IN_FILE_NAMES.sub('_', village)}_附件{form.number}_{form.name}.xlsx"


def write_form(
    path: Path, form: FormSpec, village: str, households: Iterable[HouseholdFacts]
) -> None:
    """One form: the title merged over the table, the header repeated on every printed page."""
    file = SpreadsheetFile(path)
    sheet = file.sheet(form.name, header_width=10)
    columns = headers(form)
    sheet.title(1, form.title(village), len(columns))
    sheet.header(2, columns)
    ordered = sorted(households, key=lambda h: (h.group, h.head_name, h.number))
    sheet.rows(3, [row(form, serial, h) for serial, h in enumerate(ordered, start=1)])
    sheet.fit_columns()
    sheet.print_ready(header_row=2)
    file.close()
