"""When the outbox may send (送达时间): reminders wait out the quiet hours, urgent alerts do
not; a failed try is retried later and later, at most every 30 minutes."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import Settings

RETRY_FIRST = timedelta(seconds=5)
RETRY_LONGEST = timedelta(minutes=30)


def in_quiet_hours(settings: Settings, instant: datetime) -> bool:
    """Whether `instant` falls in the quiet hours (town time; e.g. 21:00–08:00)."""
    hour = instant.astimezone(settings.tz).hour
    start, end = settings.quiet_hours_start, settings.quiet_hours_end
    if start == end:
        return False
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def retry_delay(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … doubling per failed try, at most 30 minutes."""
    return min(RETRY_FIRST * 2 ** max(attempts - 1, 0), RETRY_LONGEST)
