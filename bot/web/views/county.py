"""County (县级): the towns side by side for the month — coverage, open and overdue red
flags, removals awaiting the county's decision — with a chart, each town a link into its own
overview, households, flags and reports (`?town=<id>`, checked in bot/web/pages.py)."""

from __future__ import annotations

from aiohttp import web

from bot.core.policy import Actor
from bot.core.reports.county_board import county_board
from bot.web.pages import app_of, month_asked, render, signed_in

routes = web.RouteTableDef()


@routes.get("/web/county")
@signed_in
async def county(request: web.Request, actor: Actor) -> web.StreamResponse:
    found = await county_board(app_of(request), actor, month_asked(request))
    towns = found.towns
    return render(
        request,
        "county.html",
        page="county",
        b=found,
        chart={
            "towns": [row.coverage.name for row in towns],
            "contacted": [row.coverage.tally.contacted for row in towns],
            "uncontacted": [row.coverage.tally.uncontacted for row in towns],
        },
    )
