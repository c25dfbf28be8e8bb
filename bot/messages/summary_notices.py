"""How the monthly coverage summary reaches the town office in Telegram: the message, the
chart as a photo and the workbook as a document (three parts, each one Telegram call).

The scheduler's row is rendered from the summary *as it was kept* when the job ran, so a
re-send after a restart shows exactly what was recorded. `/summary` in the chat
(bot/handlers/reports/summary_and_forms.py) sends the same three parts.
"""

from __future__ import annotations

import asyncio
import threading
from datetime import date
from zoneinfo import ZoneInfo

from bot.clock import Month
from bot.core.coverage.month_summary import LateEntry, MonthCoverage
from bot.core.reports import summaries
from bot.documents.summary_report import SummaryReport, chart_title, month_label, render_report
from bot.domain.model import ContactChannel
from bot.i18n import gettext as _
from bot.messages.rendering import Attachment, FileKind, OutgoingMessage, split_text
from bot.storage.models import FIRST_TOWN_ID, OutboxMessage
from bot.storage.uow import UnitOfWork

LATE_ENTRIES_IN_TEXT = 10  # the workbook lists them all
# matplotlib's rc_context changes process-wide settings (the CJK font): one drawing at a time,
# or a /summary and the scheduler's send could draw each other's chart in the wrong font.
DRAWING = threading.Lock()


def summary_key(month: Month, town_id: int = FIRST_TOWN_ID) -> str:
    """Outbox key: one summary per month and town, whoever the office's recipients are (the
    first town keeps the key a single-town installation always had)."""
    return f"summary:{month}" if town_id == FIRST_TOWN_ID else f"summary:{month}:town{town_id}"


def workbook_name(month: Month) -> str:
    """The workbook's file name, e.g. 2026-02帮扶联系覆盖情况.xlsx."""
    return _("{month} contact coverage.xlsx").format(month=month)


async def summary_messages(
    summary: MonthCoverage, tz: ZoneInfo, so_far: date | None = None
) -> list[OutgoingMessage]:
    """The text, the chart and the workbook, in the current language. `so_far`: the month is
    still running and these are its numbers up to that day."""
    # Drawing and building the workbook take a moment of CPU: keep the event loop free.
    # (The thread inherits the current language: asyncio.to_thread copies context variables.)
    report = await asyncio.to_thread(_render, summary, tz, so_far)
    lines = [] if so_far is None else [so_far_line(summary.month, so_far), ""]
    lines += [report.text, *_late_entry_lines(summary.late_entries, tz)]
    texts = [OutgoingMessage(text) for text in split_text(lines)]
    chart = Attachment(FileKind.PHOTO, f"coverage-{summary.month}.png", report.chart_png)
    workbook = Attachment(FileKind.DOCUMENT, workbook_name(summary.month), report.workbook_xlsx)
    return [
        *texts,
        OutgoingMessage(chart_title(summary, so_far), attachment=chart),
        OutgoingMessage(
            _("📎 The spreadsheet: the whole town, then a sheet for each village."),
            attachment=workbook,
        ),
    ]


def _render(summary: MonthCoverage, tz: ZoneInfo, so_far: date | None) -> SummaryReport:
    with DRAWING:
        return render_report(summary, tz, so_far)


def so_far_line(month: Month, today: date) -> str:
    return _("⏳ {month} is not over yet: these are the numbers so far, up to {day}.").format(
        month=month_label(month), day=today.isoformat()
    )


def _late_entry_lines(entries: list[LateEntry], tz: ZoneInfo) -> list[str]:
    if not entries:
        return []
    lines = ["", _("Entered late (the months they belong to were already reported):")]
    for entry in entries[:LATE_ENTRIES_IN_TEXT]:
        household = entry.household
        who = household.head_name
        if household.group:
            who = f"{who}（{household.group}）"
        lines.append(
            _("· {village} {household}: {channel} on {day}, entered {entered} by {name}").format(
                village=household.village,
                household=who,
                channel=ContactChannel(entry.channel).label,
                day=entry.occurred_on.isoformat(),
                entered=entry.entered_at.astimezone(tz).date().isoformat(),
                name=entry.logged_by,
            )
        )
    hidden = len(entries) - LATE_ENTRIES_IN_TEXT
    if hidden > 0:
        lines.append(_("… and {count} more, see the spreadsheet.").format(count=hidden))
    return lines


async def monthly_summary(
    uow: UnitOfWork, row: OutboxMessage, language: str
) -> list[OutgoingMessage]:
    summary = await summaries.sent_summary(uow, Month.parse(row.payload["month"]))
    if summary is None:  # kept in the same transaction as the row: only if someone removed it
        return []
    town_id = row.payload.get("town_id")  # none on rows queued before towns: the whole
    if town_id is not None:
        summary = summary.narrowed(await summaries.villages_of_town(uow, int(town_id)))
    return await summary_messages(summary, uow.clock.tz)
