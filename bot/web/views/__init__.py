"""One module per dashboard page, each with its `routes` (an aiohttp RouteTableDef)."""

from __future__ import annotations

from aiohttp import web

from bot.web.views import households, overview, reports

ROUTE_TABLES: tuple[web.RouteTableDef, ...] = (
    overview.routes,
    households.routes,
    reports.routes,
)
