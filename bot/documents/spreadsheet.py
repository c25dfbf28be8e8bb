"""What every .xlsx bangfu writes shares: text from users that no spreadsheet program runs as a
formula, column widths that fit Chinese text, bold headers, thin borders, percentages, dates,
and print settings for paper.

Files are written with XlsxWriter, which streams cells about three times faster than openpyxl
(a county's 1,500 forms take seconds, not half a minute); openpyxl still reads spreadsheets.
Every text goes through `write_string` (XlsxWriter's generic `write` would turn "=…" into a
formula and "http://…" into a link), and the workbook is opened with those conversions off.
Files written to a path are private (0600): the forms hold full ID numbers.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from bot.private_files import write_private

# A cell starting with one of these is a formula (or DDE call) to Excel, LibreOffice or WPS.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
# No text becomes a link, a formula or a number on its way into a cell, whichever method wrote
# it (a village called "http://…" or "external:…" stays a name).
WORKBOOK_OPTIONS = {
    "in_memory": True,
    "strings_to_urls": False,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
}
PERCENT = "0.0%"
A4 = 9
INVALID_SHEET_CHARS = str.maketrans({char: "_" for char in "[]:*?/\\"})
_LOOKS: dict[str, dict[str, Any]] = {
    "cell": {"border": 1},
    "bold": {"border": 1, "bold": True},
    "percent": {"border": 1, "num_format": PERCENT},
    "bold_percent": {"border": 1, "num_format": PERCENT, "bold": True},
    "date": {"border": 1, "num_format": "yyyy-mm-dd"},
    "header": {
        "border": 1,
        "bold": True,
        "bg_color": "#DDEBF7",
        "align": "center",
        "valign": "vcenter",
        "text_wrap": True,
    },
    "caption": {"bold": True},
}


def safe_text(value: str) -> str:
    """Text as typed by a user, defused: a leading ' keeps `=HYPERLINK(...)` plain text (also
    once the sheet is saved again as CSV, where cell types are lost)."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def display_width(text: str) -> int:
    """Columns a text needs: a Chinese character is as wide as two Latin ones."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


class SpreadsheetFile:
    """One .xlsx being written, to a path or (without one) to memory; `close()` finishes it."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._buffer = BytesIO()
        self.book = xlsxwriter.Workbook(self._buffer, WORKBOOK_OPTIONS)
        self.looks = {name: self.book.add_format(look) for name, look in _LOOKS.items()}
        self._names: set[str] = set()

    def look(self, name: str, **spec: Any) -> Format:
        """A cell format, made once per file."""
        if name not in self.looks:
            self.looks[name] = self.book.add_format(spec)
        return self.looks[name]

    def sheet(self, name: str, header_width: int = 40) -> SheetWriter:
        return SheetWriter(self, self.book.add_worksheet(self._unique(name)), header_width)

    def _unique(self, name: str) -> str:
        """A valid sheet name: at most 31 characters, none of []:*?/\\, unique ignoring case."""
        base = name.translate(INVALID_SHEET_CHARS).strip("'")[:31] or "_"
        title, n = base, 2
        while title.casefold() in self._names:
            suffix = f"({n})"
            title, n = base[: 31 - len(suffix)] + suffix, n + 1
        self._names.add(title.casefold())
        return title

    def close(self) -> bytes:
        """Finish the file and return its bytes; with a path, also save it there (0600: the
        forms hold ID numbers)."""
        self.book.close()
        data = self._buffer.getvalue()
        if self.path is not None:
            write_private(self.path, data)
        return data


class SheetWriter:
    """Writes one worksheet top to bottom (rows count from 1, as people read them),
    remembering how wide each column must be."""

    def __init__(self, file: SpreadsheetFile, ws: Worksheet, header_width: int) -> None:
        self.file = file
        self.ws = ws
        self.looks = file.looks
        self.header_width = header_width  # a longer header wraps instead of widening
        self.widths: dict[int, int] = defaultdict(int)

    def title(self, row: int, text: str, columns: int, size: int = 16) -> None:
        """A title across the table's columns (merged), centred and large."""
        title = self.file.look(
            f"title{size}", bold=True, font_size=size, align="center", valign="vcenter"
        )
        self._merged(row, text, columns, title)
        self.ws.set_row(row - 1, size * 2)

    def caption(self, row: int, text: str, columns: int) -> None:
        """A bold line above a table, merged across it so it does not widen the first column."""
        self._merged(row, text, columns, self.looks["caption"])

    def _merged(self, row: int, text: str, columns: int, look: Format) -> None:
        """`text` across the first `columns` cells of `row`. merge_range would write its data
        with XlsxWriter's generic write, which reads "http://…" as a link: the range is
        merged empty and the text written as a string."""
        if columns > 1:
            self.ws.merge_range(row - 1, 0, row - 1, columns - 1, "", look)
        self.ws.write_string(row - 1, 0, safe_text(text), look)

    def header(self, row: int, headers: Sequence[str]) -> None:
        look = self.looks["header"]
        for column, text in enumerate(headers):
            self.ws.write_string(row - 1, column, safe_text(text), look)
            width = min(display_width(text), self.header_width)
            self.widths[column] = max(self.widths[column], width)
        if any(display_width(text) > self.header_width for text in headers):
            self.ws.set_row(row - 1, 48)  # room for three wrapped lines

    def rows(
        self,
        first_row: int,
        rows: Iterable[Sequence[Any]],
        percent_columns: Collection[int] = (),
        bold: bool = False,
    ) -> int:
        """Bordered rows from `first_row`; `percent_columns` are 0-based. Returns the next
        free row."""
        plain = self.looks["bold" if bold else "cell"]
        percent = self.looks["bold_percent" if bold else "percent"]
        dated, ws, widths = self.looks["date"], self.ws, self.widths
        row = first_row - 1
        for values in rows:
            for column, value in enumerate(values):
                look = percent if column in percent_columns else plain
                if value is None:
                    ws.write_blank(row, column, None, look)
                    continue
                if isinstance(value, str):
                    text = safe_text(value)
                    ws.write_string(row, column, text, look)
                    width = display_width(text)
                elif isinstance(value, bool):
                    ws.write_boolean(row, column, value, look)
                    width = 5
                elif isinstance(value, int | float | Decimal):
                    ws.write_number(row, column, float(value), look)
                    width = 6 if look is percent else len(f"{value:g}")
                elif isinstance(value, datetime | date):
                    ws.write_datetime(row, column, _naive(value), dated)
                    width = 10
                else:
                    text = safe_text(str(value))
                    ws.write_string(row, column, text, look)
                    width = display_width(text)
                widths[column] = max(widths[column], width)
            row += 1
        return row + 1

    def fit_columns(self, minimum: int = 6, maximum: int = 40) -> None:
        for column, width in self.widths.items():
            self.ws.set_column(column, column, max(minimum, min(maximum, width + 2)))

    def print_ready(self, header_row: int | None = None) -> None:
        """A4 landscape, one page wide; a single table's header is repeated on every page and
        stays in view on screen."""
        ws = self.ws
        ws.set_paper(A4)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)  # one page wide, as many down as the rows need
        ws.center_horizontally()
        ws.set_margins(left=0.4, right=0.4)
        if header_row is not None:
            ws.repeat_rows(header_row - 1)
            ws.freeze_panes(header_row, 0)


def _naive(value: date) -> date:
    """Spreadsheets know no time zones; callers pass local times."""
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value
