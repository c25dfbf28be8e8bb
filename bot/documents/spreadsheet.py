"""What every .xlsx bangfu writes shares: text from users that no spreadsheet program runs as a
formula, column widths that fit Chinese text, bold headers, thin borders, percentages, dates,
and print settings for paper.

Files are written with XlsxWriter, which streams cells about three times faster than openpyxl
(a county's 1,500 forms take seconds, not half a minute); openpyxl still reads spreadsheets.
Every text goes through `write_string` (XlsxWriter's generic `write` would turn "=…" into a
formula and "http://…" into a link), and the workbook is opened with those conversions off.
A text that a spreadsheet program would read as a formula when someone edits the cell (it
starts with =, +, -, @ …) is stored exactly as typed, with the cell's "quote prefix" style
set: what Excel, WPS and LibreOffice do themselves for '=…, text for good, no ' shown.
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
# How wide a column prints: XlsxWriter's (and Excel's) pixels for a width in characters of the
# default font (Calibri 11: 7 pixels a digit, 5 of padding), at 96 pixels an inch.
DIGIT_PIXELS, CELL_PADDING, PIXELS_PER_INCH = 7, 5, 96
A4_LONG_SIDE_INCHES = 297 / 25.4
SIDE_MARGIN_INCHES = 0.3
# LibreOffice draws a column about 6 % wider than Excel does (measured from its PDFs): pages
# are planned for the wider one, with a little to spare for rounding.
WIDEST_RENDERING = 1.06
PAGE_WIDTH_SLACK = 0.98
# A wrapped Chinese text column may be narrowed to this to save a printed page (5 characters).
NARROWEST_WRAPPED = 12
# Printed at 90 %: the 11 pt text prints at 9.9 pt, at least the 9 pt a form filled in by hand
# needs, and a page holds a tenth more columns.
PRINT_SCALE = 90
# A wrapped row's height in points: a line of 11 pt Chinese text, and the cell's margin.
LINE_POINTS, ROW_PADDING_POINTS = 16, 4
INVALID_SHEET_CHARS = str.maketrans({char: "_" for char in "[]:*?/\\"})
_LOOKS: dict[str, dict[str, Any]] = {
    "cell": {"border": 1},
    "wrapped": {"border": 1, "text_wrap": True, "valign": "vcenter"},
    "centred": {"border": 1, "align": "center", "valign": "vcenter"},
    "bold": {"border": 1, "bold": True},
    "percent": {"border": 1, "num_format": PERCENT},
    "bold_percent": {"border": 1, "num_format": PERCENT, "bold": True},
    "date": {"border": 1, "num_format": "yyyy-mm-dd", "valign": "vcenter"},
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
        self.looks: dict[str, Format] = {}
        self._specs: dict[int, dict[str, Any]] = {}  # id of a look -> what it was made of
        self._quoted: dict[int, Format] = {}
        for name, spec in _LOOKS.items():
            self.look(name, **spec)
        self._names: set[str] = set()

    def look(self, name: str, **spec: Any) -> Format:
        """A cell format, made once per file."""
        if name not in self.looks:
            self.looks[name] = self.book.add_format(spec)
            self._specs[id(self.looks[name])] = spec
        return self.looks[name]

    def text_look(self, text: str, look: Format) -> Format:
        """`look`, or for a text a spreadsheet would take for a formula, `look` with the quote
        prefix (kept as text when edited, nothing shown)."""
        if not text.startswith(FORMULA_TRIGGERS):
            return look
        quoted = self._quoted.get(id(look))
        if quoted is None:
            quoted = self.book.add_format({**self._specs[id(look)], "quote_prefix": True})
            self._quoted[id(look)] = quoted
        return quoted

    def sheet(self, name: str, header_width: int = 40) -> SheetWriter:
        return SheetWriter(self, self.book.add_worksheet(self._unique(name)), header_width)

    def _unique(self, name: str) -> str:
        """A valid sheet name: at most 31 characters, none of []:*?/\\, unique ignoring case."""
        # Cut first, then trim: a name whose 31st character is ' must not end with it.
        base = name.translate(INVALID_SHEET_CHARS)[:31].strip("'") or "_"
        title, n = base, 2
        while title.casefold() in self._names:
            suffix = f"({n})"
            title, n = base[: 31 - len(suffix)].rstrip("'") + suffix, n + 1
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
        # Columns whose widest text is Chinese: a Chinese character is a little wider than
        # two digits, so they get a character more of room.
        self.chinese: set[int] = set()
        # Rows written with `wrap`: 0-based row → the widest text of each of its columns.
        self.wrapped: dict[int, dict[int, int]] = {}
        self.wrappable: set[int] = set()  # columns of wrapped Chinese text (it breaks anywhere)

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
        self.ws.write_string(row - 1, 0, text, self.file.text_look(text, look))

    def header(self, row: int, headers: Sequence[str]) -> None:
        look = self.looks["header"]
        for column, text in enumerate(headers):
            self.ws.write_string(row - 1, column, text, self.file.text_look(text, look))
            width = min(display_width(text), self.header_width)
            self._widest(column, width, text)
        if any(display_width(text) > self.header_width for text in headers):
            self.ws.set_row(row - 1, 48)  # room for three wrapped lines

    def rows(
        self,
        first_row: int,
        rows: Iterable[Sequence[Any]],
        percent_columns: Collection[int] = (),
        bold: bool = False,
        wrap: bool = False,
        centred_columns: Collection[int] = (),
    ) -> int:
        """Bordered rows from `first_row`; `percent_columns` and `centred_columns` are 0-based;
        `wrap`: long texts wrap inside their column (see `fit_columns`) instead of widening
        it. Returns the next free row."""
        plain = self.looks["wrapped" if wrap else "bold" if bold else "cell"]
        percent = self.looks["bold_percent" if bold else "percent"]
        centred = self.looks["centred"]
        dated, ws = self.looks["date"], self.ws
        row = first_row - 1
        for values in rows:
            for column, value in enumerate(values):
                look = percent if column in percent_columns else plain
                if column in centred_columns:
                    look = centred
                if value is None:
                    ws.write_blank(row, column, None, look)
                    continue
                if isinstance(value, str):
                    ws.write_string(row, column, value, self.file.text_look(value, look))
                    width = display_width(value)
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
                    text = str(value)
                    ws.write_string(row, column, text, self.file.text_look(text, look))
                    width = display_width(text)
                self._widest(column, width, value)
                if wrap:
                    self.wrapped.setdefault(row, {})[column] = width
                    if isinstance(value, str) and not value.isascii() and look is plain:
                        self.wrappable.add(column)
            row += 1
        return row + 1

    def _widest(self, column: int, width: int, value: object) -> None:
        if width >= self.widths[column]:
            chinese = isinstance(value, str) and not value.isascii()
            if chinese:
                self.chinese.add(column)
            elif width > self.widths[column]:
                self.chinese.discard(column)
            self.widths[column] = width

    def fit_columns(self, minimum: int = 6, maximum: int = 40) -> list[int]:
        """Set each column's width to its widest text, within bounds; returns the widths."""
        fitted = [
            max(minimum, min(maximum, self.widths[column] + 1 + (column in self.chinese)))
            for column in range(max(self.widths, default=-1) + 1)
        ]
        self._set_widths(fitted)
        return fitted

    def _set_widths(self, widths: list[int]) -> None:
        """Column widths, and rows high enough for their wrapped lines: spreadsheet programs
        do not all size them when they open a file, and a cut text would print cut."""
        for column, width in enumerate(widths):
            self.ws.set_column(column, column, width)
        room = [width - 1 - (column in self.chinese) for column, width in enumerate(widths)]
        for row, texts in self.wrapped.items():
            lines = max(
                (-(-width // max(1, room[column])) for column, width in texts.items()), default=1
            )
            self.ws.set_row(row, max(1, lines) * LINE_POINTS + ROW_PADDING_POINTS)

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

    def print_in_pages(
        self,
        *,
        rows: tuple[int, int],
        widths: Sequence[int],
        repeat_columns: int,
        keep_with_previous: Sequence[bool],
        page_header: str,
        page_footer: str,
    ) -> None:
        """A4 landscape at full size, never shrunk to fit: the columns are split into pages
        that each fit the paper's width (a column marked in `keep_with_previous` stays with the
        one before it), and every page repeats the table's header row (`rows[0]`) and its
        first `repeat_columns` columns. Only `rows` (first, last) print; the page header and
        footer (`&P`, `&N`: this page, all pages) carry what is above and below the table."""
        ws = self.ws
        ws.set_paper(A4)
        ws.set_landscape()
        ws.set_print_scale(PRINT_SCALE)
        ws.set_margins(left=SIDE_MARGIN_INCHES, right=SIDE_MARGIN_INCHES, top=1.0, bottom=0.8)
        ws.set_header(page_header, {"margin": 0.3})
        ws.set_footer(page_footer, {"margin": 0.3})
        ws.print_area(rows[0] - 1, 0, rows[1] - 1, len(widths) - 1)
        ws.repeat_rows(rows[0] - 1)
        if repeat_columns:
            ws.repeat_columns(0, repeat_columns - 1)
        ws.set_v_pagebreaks(self._fewest_pages(list(widths), repeat_columns, keep_with_previous))
        ws.freeze_panes(rows[0], repeat_columns)

    def _fewest_pages(
        self, widths: list[int], repeated: int, keep_with_previous: Sequence[bool]
    ) -> list[int]:
        """The columns that start a page. When the wrapped Chinese text columns, narrowed (to
        NARROWEST_WRAPPED at most), would need a page less, they are narrowed as little as
        that takes: a short 备注 alone on a page is a sheet wasted."""
        starts = page_starts(widths, repeated, keep_with_previous)
        for cap in range(max(widths, default=0) - 1, NARROWEST_WRAPPED - 1, -1):
            narrowed = [
                min(width, cap) if column in self.wrappable else width
                for column, width in enumerate(widths)
            ]
            fewer = page_starts(narrowed, repeated, keep_with_previous)
            if len(fewer) < len(starts):
                self._set_widths(narrowed)
                return fewer
        return starts


def column_pixels(width: float) -> int:
    """The pixels a column of `width` characters takes (XlsxWriter's own rounding)."""
    return int(width * DIGIT_PIXELS + 0.5) + CELL_PADDING


def page_starts(
    widths: Sequence[int], repeated: int, keep_with_previous: Sequence[bool]
) -> list[int]:
    """The 0-based columns that start a new printed page when each page repeats the first
    `repeated` columns: as many columns on a page as fit the width of A4 landscape."""
    paper = (A4_LONG_SIDE_INCHES - 2 * SIDE_MARGIN_INCHES) * PIXELS_PER_INCH * 100 / PRINT_SCALE
    paper *= PAGE_WIDTH_SLACK / WIDEST_RENDERING
    fixed = sum(column_pixels(width) for width in widths[:repeated])
    starts: list[int] = []
    used, page_start = fixed, repeated
    column = repeated
    while column < len(widths):
        end = column + 1  # the block of columns printed together
        while end < len(widths) and keep_with_previous[end]:
            end += 1
        block = sum(column_pixels(width) for width in widths[column:end])
        if used + block > paper and column > page_start:
            starts.append(column)
            used, page_start = fixed, column
        used += block
        column = end
    return starts


def header_text(text: str) -> str:
    """User text for a page header or footer, where "&" starts a code."""
    return text.replace("&", "&&")


def _naive(value: date) -> date:
    """Spreadsheets know no time zones; callers pass local times."""
    return value.replace(tzinfo=None) if isinstance(value, datetime) else value
