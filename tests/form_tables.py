"""Reads the table of an exported form (附件1–6) back: its header row and its household rows."""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from bot.documents.forms import TABLE_HEADER_ROW


def form_rows(ws: Worksheet) -> list[dict[str, object]]:
    """Each household row as header → value, down to the blank row above 填表人."""
    headers = [cell.value for cell in ws[TABLE_HEADER_ROW]]
    rows = []
    for values in ws.iter_rows(min_row=TABLE_HEADER_ROW + 1, values_only=True):
        if values[0] is None:
            break
        rows.append(dict(zip(headers, values, strict=True)))
    return rows
