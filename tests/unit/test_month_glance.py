"""The overview's own count of a month (month_glance: village numbers and the first few
uncontacted households, asked of the database as the page shows them) equals what the whole
month's coverage (month_coverage) gives for the same month and scope, over the generated town
of tests/month_data.py: closed and running month, whole town and some villages, a few names
per village and all of them."""

from __future__ import annotations

from typing import Any

import pytest

from bot.clock import Month
from bot.core.coverage.month_coverage import month_coverage
from bot.core.coverage.month_glance import MonthGlance, glance_of, month_glance
from bot.storage.uow import App
from tests.month_data import FEBRUARY, MARCH, TZ, generate, insert


def shown(glance: MonthGlance) -> dict[str, Any]:
    """What the overview page shows of a glance."""
    return {
        "town": (glance.town.households, glance.town.contacted, glance.town.home_visited),
        "uncontacted": glance.uncontacted,
        "unassigned": glance.unassigned,
        "villages": [
            (
                village.village_id,
                village.name,
                village.tally.households,
                village.tally.contacted,
                village.tally.home_visited,
                village.uncontacted,
                village.first_uncontacted,
            )
            for village in glance.villages
        ],
    }


@pytest.mark.parametrize("seed", [7, 23])
@pytest.mark.parametrize("month", [FEBRUARY, MARCH], ids=str)
@pytest.mark.parametrize("scope", [None, {1, 3}], ids=["town", "two villages"])
async def test_the_glance_equals_the_months_coverage(
    app: App, seed: int, month: Month, scope: set[int] | None
) -> None:
    await insert(app, generate(seed=seed, households=120))
    async with app.uow() as uow:
        coverage = await month_coverage(uow, month, TZ, scope)
        for names_shown in (3, 1000):
            glance = await month_glance(uow, month, TZ, scope, names_shown)
            assert shown(glance) == shown(glance_of(coverage, names_shown))
            assert glance.computed_at == coverage.computed_at
    # A town worth comparing: villages with more uncontacted households than shown, each
    # listed with the person it counts for, and households without a contact person.
    assert any(len(village.uncontacted) > 3 for village in coverage.villages)
    assert any(line.contact_person for village in coverage.villages for line in village.uncontacted)
    assert coverage.unassigned
    first = next(village for village in glance.villages if village.uncontacted > 3)
    assert len(first.first_uncontacted) == first.uncontacted  # all of them, when asked
