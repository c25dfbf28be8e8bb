"""The one parser for a day a person types (输入日期): every form that asks for a date uses it;
and `parse_month`, for a month (/summary, `bangfu summary --month`).

People type dates the way their phone keyboard makes easy, so these all mean 5 March 2026
(when today is in 2026): 2026-03-05, 2026/3/5, 2026.3.5, 3-5, 3/5, 3.5, 3月5日, 3月5号,
2026年3月5日, and — for a day of the current month — 5日 or 5号. Full-width digits and
punctuation from Chinese keyboards (２０２６／３／５) are read like their ASCII twins, and
今天/昨天/前天 (today/yesterday) are understood too.

A month likewise: 2026-03, 2026-3, 2026/03, 2026.3, 2026年3月, and 3月 (or 3月份) for that
month of this year.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from bot.clock import FIRST_YEAR, LAST_YEAR, Month
from bot.errors import InvalidInput
from bot.i18n import N_

UNREADABLE_DAY = N_(
    "I could not read that date. Please write it like 2026-03-05, 3-5, 3/5, 3月5日 or 5日."
)
NO_SUCH_DAY = N_("There is no such day: {text}.")
BAD_MONTH = N_(
    "Write the month as YYYY-MM (2026年3月, 2026.3 and 3月 work too), from {first} to {last}, "
    "for example 2026-02."
)

_SEPARATED = re.compile(
    r"(?:(?P<year>\d{4})\s*[-/.]\s*)?(?P<month>\d{1,2})\s*[-/.]\s*(?P<day>\d{1,2})"
)
_CHINESE = re.compile(
    r"(?:(?P<year>\d{4})\s*年\s*)?(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*[日号]?"
)
_YEAR_MONTH = re.compile(r"(?P<year>\d{4})\s*(?:[-/.]|年)\s*(?P<month>\d{1,2})\s*(?:月份?)?")
_MONTH_ONLY = re.compile(r"(?P<month>\d{1,2})\s*月份?")
_DAY_ONLY = re.compile(r"(?P<day>\d{1,2})\s*[日号]")
_RELATIVE = {"今天": 0, "今日": 0, "today": 0, "昨天": 1, "昨日": 1, "yesterday": 1, "前天": 2}


def parse_day(text: str, today: date) -> date:
    """The calendar day `text` names, read relative to `today` (the town's local date).

    Without a year, the year that puts the day nearest to today is meant: on 5 January,
    "12-30" is last December's 30th, while on 10 March "3-15" is this March (and so a future
    day, which the caller refuses). Raises InvalidInput listing the accepted forms.
    """
    cleaned = unicodedata.normalize("NFKC", text).strip().lower().rstrip("。.")
    if cleaned in _RELATIVE:
        return today - timedelta(days=_RELATIVE[cleaned])
    for pattern in (_SEPARATED, _CHINESE):
        match = pattern.fullmatch(cleaned)
        if match:
            month, day = int(match["month"]), int(match["day"])
            if match["year"]:
                return _make_day(int(match["year"]), month, day, text)
            return _nearest(month, day, today, text)
    match = _DAY_ONLY.fullmatch(cleaned)
    if match:
        return _make_day(today.year, today.month, int(match["day"]), text)
    raise InvalidInput(UNREADABLE_DAY)


def _make_day(year: int, month: int, day: int, text: str) -> date:
    try:
        if not FIRST_YEAR <= year <= LAST_YEAR:  # 0001-03-05 is a slip, not a meeting date
            raise ValueError(year)
        return date(year, month, day)
    except ValueError:
        raise InvalidInput(NO_SUCH_DAY, text=text.strip()) from None


def parse_month(text: str, today: date) -> Month:
    """A month a person or the operator typed (/summary 2026年3月, --month 2026-03), in any
    of the forms the module's docstring lists; a month without a year is in `today`'s year.
    Anything but a month of FIRST_YEAR to LAST_YEAR is refused with the format and the
    range."""
    cleaned = unicodedata.normalize("NFKC", text).strip().rstrip("。.")
    year_month = _YEAR_MONTH.fullmatch(cleaned)
    month_only = _MONTH_ONLY.fullmatch(cleaned)
    if year_month:
        year, month = int(year_month["year"]), int(year_month["month"])
    elif month_only:
        year, month = today.year, int(month_only["month"])
    else:
        year, month = 0, 0
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        raise InvalidInput(BAD_MONTH, first=f"{FIRST_YEAR}-01", last=f"{LAST_YEAR}-12")
    return Month(year, month)


def _nearest(month: int, day: int, today: date, text: str) -> date:
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue  # 29 February exists only in some of the years
    if not candidates:
        raise InvalidInput(NO_SUCH_DAY, text=text.strip())
    return min(candidates, key=lambda candidate: abs((candidate - today).days))
