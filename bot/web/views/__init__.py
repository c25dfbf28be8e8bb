"""One module per dashboard page, each with its `routes` (an aiohttp RouteTableDef)."""

from __future__ import annotations

from aiohttp import web

from bot.web.views import county, flags, households, overview, people, reports

ROUTE_TABLES: tuple[web.RouteTableDef, ...] = (
    overview.routes,
    households.routes,
    flags.routes,
    people.routes,
    reports.routes,
    county.routes,
)
