"""Overview (概览): the month's coverage, per village, the 12-month trend, who has not been
contacted, the open red flags by state, and contact persons to reassign from."""

from __future__ import annotations

from aiohttp import web

from bot.clock import Month
from bot.core.coverage.overview import FlagStage, TrendPoint, office_overview
from bot.core.policy import Actor
from bot.domain.model import Role
from bot.i18n import N_
from bot.web.pages import app_of, month_asked, render, signed_in

routes = web.RouteTableDef()

STAGE_LABELS = {
    FlagStage.RAISED: N_("Raised, not yet acknowledged"),
    FlagStage.ACKNOWLEDGED: N_("Acknowledged, measures under way"),
    FlagStage.REMOVAL_REQUESTED: N_("Removal requested"),
    FlagStage.TOWN_APPROVED: N_("Town approved, awaiting the county"),
}


@routes.get("/web/")
@signed_in
async def overview(request: web.Request, actor: Actor) -> web.StreamResponse:
    month = month_asked(request)
    found = await office_overview(app_of(request), actor, month)
    return render(
        request,
        "overview.html",
        page="overview",
        o=found,
        town_office=actor.role == Role.TOWN_OFFICE,
        stage_labels=STAGE_LABELS,
        trend_starts=_first_reported(found.trend),
        chart={
            "villages": [v.name for v in found.coverage.villages],
            "village_contacted": [v.tally.contacted for v in found.coverage.villages],
            "village_uncontacted": [v.tally.uncontacted for v in found.coverage.villages],
            "months": [str(point.month) for point in found.trend],
            "coverage": [
                None if point.coverage is None else round(point.coverage * 100, 1)
                for point in found.trend
            ],
        },
    )


@routes.get("/web")
async def without_slash(request: web.Request) -> web.StreamResponse:
    raise web.HTTPMovedPermanently("/web/")


def _first_reported(trend: list[TrendPoint]) -> Month | None:
    """The first month with numbers when earlier ones have none (before the first summary
    sent), so the page can say why the line starts late; None when every month has them."""
    if all(point.reported for point in trend):
        return None
    return next((point.month for point in trend if point.reported), None)
