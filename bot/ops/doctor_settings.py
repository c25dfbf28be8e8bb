"""`bangfu doctor`'s checks of what the settings choose: the time zone months follow, and the
database connections each process keeps."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.i18n import gettext as _
from bot.ops.doctor import Finding, ok, warn
from bot.storage.db import POOL_AT_LEAST, pool_sizes


def check_time_zone(settings: Settings, now: datetime) -> Finding:
    local = now.astimezone(settings.tz)
    return ok(
        _("Time zone {zone}: it is {time} there now (months and reminders follow it).").format(
            zone=settings.timezone, time=local.strftime("%Y-%m-%d %H:%M")
        )
    )


def check_pool(settings: Settings) -> list[Finding]:
    """The database connections each process keeps, and may open in a rush (nothing to say
    of an in-memory SQLite database: one connection, whatever the settings)."""
    sizes = pool_sizes(settings.database_url, settings.db_pool_size, settings.db_max_overflow)
    if not sizes:
        return []
    kept, most = sizes["pool_size"], sizes["pool_size"] + sizes["max_overflow"]
    if most >= POOL_AT_LEAST:
        said = _("Database connections per process: {kept} kept open, {most} at most.")
        return [ok(said.format(kept=kept, most=most))]
    said = _(
        "Database connections per process: {kept} kept open, {most} at most. Under {least}, "
        "an update may wait 30 s for one in a rush and fail."
    )
    fix = _("Set DB_POOL_SIZE and DB_MAX_OVERFLOW to {least} or more together.")
    return [
        warn(
            said.format(kept=kept, most=most, least=POOL_AT_LEAST),
            fix.format(least=POOL_AT_LEAST),
        )
    ]
