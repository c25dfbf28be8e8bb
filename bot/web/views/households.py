"""Households (农户): search by name, 户编号 or 身份证号 tail, filters, and a household's whole
record (card, contacts, flags with steps, measures, contact persons over time, audit trail)."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramAPIError
from aiohttp import web

from bot.core.households.office_list import HouseholdFilter, office_households
from bot.core.households.record import NO_PHOTO, contact_photo_id, household_record
from bot.core.policy import Actor
from bot.domain.model import Category, HouseholdStatus
from bot.errors import NotFound
from bot.web.audit import audit_lines
from bot.web.keys import BOT
from bot.web.pages import app_of, month_asked, render, signed_in
from bot.web.views.reach import out_of_reach_is_not_found

log = logging.getLogger(__name__)
routes = web.RouteTableDef()
YES_NO = {"yes": True, "no": False}


def _number(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 10 else None


def filter_asked(query: web.Request) -> HouseholdFilter:
    """The filter in the URL; anything unknown is ignored (the scope is the policy's)."""
    q = query.query
    status = q.get("status", HouseholdStatus.MONITORED)
    return HouseholdFilter(
        text=q.get("q", "")[:40],
        village_id=_number(q.get("village")),
        group=q.get("group", "")[:40],
        category=q.get("category", "") if q.get("category") in set(Category) else "",
        status=status if status in set(HouseholdStatus) else "",
        contacted=YES_NO.get(q.get("contacted", "")),
        flagged=YES_NO.get(q.get("flagged", "")),
        unassigned=q.get("unassigned") == "1",
    )


@routes.get("/web/households")
@signed_in
async def households(request: web.Request, actor: Actor) -> web.StreamResponse:
    wanted = filter_asked(request)
    month = month_asked(request)
    page = _number(request.query.get("page")) or 0
    found = await office_households(app_of(request), actor, wanted, month, page)
    return render(
        request,
        "households.html",
        page="households",
        found=found,
        wanted=wanted,
        month=month,
        is_current=month == app_of(request).clock.this_month(),
        categories=list(Category),
        statuses=list(HouseholdStatus),
        page_link=lambda number: _page_link(request, number),
    )


def _page_link(request: web.Request, number: int) -> str:
    return str(request.rel_url.update_query(page=str(number)))


@routes.get(r"/web/households/{household_id:\d{1,9}}")
@signed_in
@out_of_reach_is_not_found
async def household(request: web.Request, actor: Actor) -> web.StreamResponse:
    record = await household_record(app_of(request), actor, int(request.match_info["household_id"]))
    return render(request, "household.html", page="households", r=record, audit=audit_lines(record))


@routes.get(r"/web/contacts/{contact_id:\d{1,9}}/photo")
@signed_in
async def contact_photo(request: web.Request, actor: Actor) -> web.StreamResponse:
    """A home visit's photo, fetched from Telegram through the running bot."""
    app = app_of(request)
    file_id = await contact_photo_id(app, actor, int(request.match_info["contact_id"]))
    bot = request.app.get(BOT)
    if bot is None:
        raise NotFound(NO_PHOTO)
    try:
        photo = await bot.download(file_id)
    except TelegramAPIError:
        log.warning(
            "photo of contact %s not fetched from Telegram", request.match_info["contact_id"]
        )
        raise NotFound(NO_PHOTO) from None
    response = web.Response(body=photo.getvalue() if photo else b"", content_type="image/jpeg")
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response
