"""Reports (报表): the month's coverage summary (as sent, once it was: frozen), its workbook,
and the six forms (附件1–6) per village as .xlsx, or every village's as one .zip."""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from aiohttp import web

from bot.clock import Month
from bot.core.coverage.overview import month_report
from bot.core.policy import Actor
from bot.core.reports.form_layout import FORMS
from bot.core.reports.forms import exportable_villages
from bot.core.reports.summaries import sent_months, summary_for_month
from bot.documents.forms_archive import forms_zip, one_form
from bot.documents.summary_report import summary_workbook
from bot.errors import NotFound
from bot.i18n import N_
from bot.web.pages import app_of, month_asked, render, signed_in

routes = web.RouteTableDef()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NO_SUCH_VILLAGE = N_("There is no such village among yours.")
MONTHS_LISTED = 12


def download(name: str, body: bytes, content_type: str) -> web.Response:
    """A file to save, its (Chinese) name encoded as RFC 6266 asks."""
    response = web.Response(body=body, content_type=content_type)
    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.get("/web/reports")
@signed_in
async def reports(request: web.Request, actor: Actor) -> web.StreamResponse:
    app = app_of(request)
    month = month_asked(request)
    coverage, frozen = await month_report(app, actor, month)
    sent = await sent_months(app)
    months, listed = [], app.clock.this_month()
    for _ in range(MONTHS_LISTED):
        months.append((listed, str(listed) in sent))
        listed = listed.previous()
    return render(
        request,
        "reports.html",
        page="reports",
        month=month,
        coverage=coverage,
        frozen=frozen,
        months=months,
        villages=await exportable_villages(app, actor),
        forms=FORMS,
        town_office=actor.office,  # the summary is an office's (a town's, the county's)
    )


@routes.get("/web/reports/summary.xlsx")
@signed_in
async def summary_file(request: web.Request, actor: Actor) -> web.StreamResponse:
    app = app_of(request)
    month: Month = month_asked(request)
    summary = await summary_for_month(app, actor, month)  # the town office's, as /summary
    body = await asyncio.to_thread(summary_workbook, summary, app.settings.tz)
    return download(f"走访覆盖率_{month}.xlsx", body, XLSX)


@routes.get(r"/web/reports/forms/{village_id:\d{1,9}}/{number:\d}.xlsx")
@signed_in
async def form_file(request: web.Request, actor: Actor) -> web.StreamResponse:
    app = app_of(request)
    villages = await exportable_villages(app, actor)
    village = villages.get(int(request.match_info["village_id"]))
    if village is None:
        raise NotFound(NO_SUCH_VILLAGE)
    name, body = await one_form(app, actor, village, int(request.match_info["number"]))
    return download(name, body, XLSX)


@routes.get("/web/reports/forms.zip")
@signed_in
async def forms_archive(request: web.Request, actor: Actor) -> web.StreamResponse:
    app = app_of(request)
    body = await forms_zip(app, actor)
    return download(f"六张表_{app.clock.today().isoformat()}.zip", body, "application/zip")
