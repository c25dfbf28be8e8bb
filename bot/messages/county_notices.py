"""The towns side by side, as the county office receives it in Telegram: the message, the
chart as a photo and the workbook as a document (`/county`, the 🏙 button, and the 1st of
the month's county summary)."""

from __future__ import annotations

import asyncio
from datetime import date

from bot.clock import Month
from bot.core.coverage.county_escalations import LOW_COVERAGE
from bot.core.flags.removal import AWAITING_COUNTY
from bot.core.reports import summaries
from bot.core.reports.county import CountyCoverage, by_town, flag_with_town
from bot.documents.county_report import county_title, render_county
from bot.documents.summary_report import SummaryReport
from bot.domain.model import FlagStatus
from bot.i18n import gettext as _
from bot.messages.keyboards import FlagAction, FlagButton, inline_grid
from bot.messages.rendering import Attachment, FileKind, OutgoingMessage, split_text
from bot.messages.summary_notices import DRAWING, so_far_line
from bot.storage.models import OutboxMessage
from bot.storage.uow import UnitOfWork


async def county_messages(
    county: CountyCoverage, so_far: date | None = None
) -> list[OutgoingMessage]:
    """The text, the chart and the workbook, in the current language. `so_far`: the month is
    still running and these are its numbers up to that day."""
    report = await asyncio.to_thread(_render, county, so_far)
    lines = [] if so_far is None else [so_far_line(county.month, so_far), ""]
    texts = [OutgoingMessage(text) for text in split_text([*lines, report.text])]
    chart = Attachment(FileKind.PHOTO, f"towns-{county.month}.png", report.chart_png)
    workbook = Attachment(
        FileKind.DOCUMENT,
        _("{month} towns compared.xlsx").format(month=county.month),
        report.workbook_xlsx,
    )
    return [
        *texts,
        OutgoingMessage(county_title(county, so_far), attachment=chart),
        OutgoingMessage(
            _("📎 The spreadsheet: the county by town, then a sheet for each town."),
            attachment=workbook,
        ),
    ]


async def county_summary(
    uow: UnitOfWork, row: OutboxMessage, language: str
) -> list[OutgoingMessage]:
    """The 1st of the month's county summary: the towns side by side, as the month's summary
    was kept when it was sent to the towns."""
    summary = await summaries.sent_summary(uow, Month.parse(row.payload["month"]))
    if summary is None:
        return []
    return await county_messages(await by_town(uow, summary))


async def county_escalation(
    uow: UnitOfWork, row: OutboxMessage, language: str
) -> list[OutgoingMessage]:
    """A town's red flag unacknowledged too long (nothing to say once it is acknowledged), or
    a town below the coverage floor on the month's last day."""
    payload = row.payload
    if payload.get("reason") == LOW_COVERAGE:
        households = int(payload["households"])
        share = int(payload["contacted"]) / households if households else 0.0
        return [
            OutgoingMessage(
                _(
                    "⚠️ {town} has contacted {contacted} of {households} households this month "
                    "({coverage}), below {floor}, on the month's last day."
                ).format(
                    town=payload["town"],
                    contacted=payload["contacted"],
                    households=households,
                    coverage=f"{share:.0%}",
                    floor=f"{float(payload['floor']):.0%}",
                )
            )
        ]
    found = await flag_with_town(uow, int(payload["flag_id"]))
    awaiting = payload.get("reason") == AWAITING_COUNTY
    still = FlagStatus.REMOVAL_REQUESTED if awaiting else FlagStatus.RAISED
    if found is None or found[0].status != still:
        return []  # decided, acknowledged (or withdrawn) meanwhile
    flag, household, town = found
    if awaiting:
        text = _(
            "⚖️ {town} approved removing the red flag of {village} {name} ({reason}). "
            "Please record the county's decision (县级审定)."
        )
    else:
        text = _(
            "⚠️ A red flag in {town} has not been acknowledged by the town office for {hours} "
            "hours: {village} {name}: {reason}"
        )
    text = text.format(
        town=town,
        hours=payload.get("hours", 48),
        village=household.village.name,
        name=household.head_name,
        reason=flag.reason,
    )
    button = (_("Open the red flag"), FlagAction(action=FlagButton.OPEN, flag_id=flag.id))
    return [OutgoingMessage(text, reply_markup=inline_grid([button]))]


def _render(county: CountyCoverage, so_far: date | None) -> SummaryReport:
    with DRAWING:
        return render_county(county, so_far)
