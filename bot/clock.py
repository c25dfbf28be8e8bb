"""The one clock. Logic asks it for "now" so tests can travel in time.

Timestamps are stored in UTC; calendar months are computed in the configured time zone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

# The years bangfu counts in. A year outside them is a typing slip (0001-01, 10000-01), and
# near year 1 or 9999 a month's bounds in the town's zone are not even valid datetimes.
FIRST_YEAR = 2000
LAST_YEAR = 2099
_MONTH = re.compile(r"(\d{4})-(\d{1,2})", re.ASCII)


@dataclass(frozen=True)
class Month:
    """A calendar month in the town's time zone."""

    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """ "2026-03" (or "2026-3", full-width digits too), a month of FIRST_YEAR to
        LAST_YEAR; ValueError for anything else."""
        match = _MONTH.fullmatch(unicodedata.normalize("NFKC", text).strip())
        if match is None:
            raise ValueError(text)
        result = cls(int(match[1]), int(match[2]))
        if not (FIRST_YEAR <= result.year <= LAST_YEAR and 1 <= result.month <= 12):
            raise ValueError(text)
        return result

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def utc_bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) of the month as UTC instants."""
        start = datetime.combine(self.first_day, datetime.min.time(), tz)
        end = datetime.combine(self.next().first_day, datetime.min.time(), tz)
        return start.astimezone(UTC), end.astimezone(UTC)


def days_left_in_month(today: date) -> int:
    """Days left to make this month's contacts, today included (the last day counts as 1)."""
    return (Month.of(today).last_day - today).days + 1


def local_minute(instant: datetime | None, tz: ZoneInfo) -> str:
    """An instant as the town reads it, to the minute in local time: "2026-03-10 18:00"."""
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M") if instant else "—"


class Clock:
    """Real time. Subclassed by tests (FrozenClock) to move through a month in seconds."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz

    def now(self) -> datetime:
        return datetime.now(UTC)

    def local_now(self) -> datetime:
        return self.now().astimezone(self.tz)

    def today(self) -> date:
        return self.local_now().date()

    def this_month(self) -> Month:
        return Month.of(self.today())

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.tz).date()


class FrozenClock(Clock):
    """A clock that only moves when told to; used by tests, `jobs run --at` and benchmarks."""

    def __init__(self, tz: ZoneInfo, at: datetime) -> None:
        super().__init__(tz)
        self._now = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, at: datetime) -> None:
        self._now = at.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)
