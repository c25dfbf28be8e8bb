"""One module per dashboard page, each with its `routes` (an aiohttp RouteTableDef)."""

from __future__ import annotations

from aiohttp import web

from bot.web.views import flags, overview, people

ROUTE_TABLES: tuple[web.RouteTableDef, ...] = (overview.routes, flags.routes, people.routes)
