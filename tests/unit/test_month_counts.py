"""The month's coverage counted in SQL (bot/core/coverage/month_counts.py) against a
straightforward count, household by household, over the same generated town (households
added and adjusted out around the month, reassignments, a stand-in, two people at once,
withdrawn, backdated and several contacts, see tests/month_data.py), for a closed month and
the running one, for the whole town and for some of its villages, and for several towns."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import pytest

from bot.clock import Month
from bot.core.coverage.month_counts import (
    held_by_person,
    households_by_person,
    month_window,
    unassigned_households,
    uncontacted_households,
    village_counts,
)
from bot.storage.uow import App
from tests.month_data import FEBRUARY, MARCH, TZ, Generated, generate, insert


@dataclass
class PerHousehold:
    """The numbers, counted one household at a time."""

    cells: dict[tuple[int, int], tuple[int, int, int]] = field(default_factory=dict)
    channels: dict[tuple[int, int], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    uncontacted: set[tuple[int, int]] = field(default_factory=set)  # (household, person)
    unassigned: set[int] = field(default_factory=set)
    held: Counter[int] = field(default_factory=Counter)  # person → households held as of


def count_each(
    data: Generated, month: Month, now: datetime, villages: set[int] | None
) -> PerHousehold:
    start, end = month.utc_bounds(TZ)
    as_of = min(end, now)
    out = PerHousehold()
    tallies: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for household in data.households:
        due = (
            household.status == "monitored"
            and household.created_at < end
            and (villages is None or household.village_id in villages)
        )
        if not due:
            continue
        overlapping = [
            a
            for a in data.assignments
            if a.household_id == household.id
            and a.started_at < end
            and (a.ended_at is None or a.ended_at > start)
        ]
        holders = {
            a.person_id
            for a in overlapping
            if a.started_at <= as_of and (a.ended_at is None or a.ended_at > as_of)
        }
        out.held.update(holders)
        if not holders:
            out.unassigned.add(household.id)
        if not overlapping:
            continue
        # The assignment open at the month's end (the later one of two); else the latest.
        at_end = [a for a in overlapping if a.ended_at is None or a.ended_at >= end]
        person = max(at_end or overlapping, key=lambda a: (a.started_at, a.id)).person_id
        contacts = [
            c
            for c in data.contacts
            if c.household_id == household.id
            and c.status == "active"
            and month.first_day <= c.occurred_on <= month.last_day
        ]
        key = (household.village_id, person)
        tallies[key][0] += 1
        if contacts:
            tallies[key][1] += 1
            tallies[key][2] += any(c.channel == "home_visit" for c in contacts)
            out.channels[key].update(c.channel for c in contacts)
        else:
            out.uncontacted.add((household.id, person))
    out.cells = {key: (h, c, v) for key, (h, c, v) in tallies.items()}
    return out


@pytest.mark.parametrize("seed", [7, 11, 23])
@pytest.mark.parametrize("month", [FEBRUARY, MARCH], ids=str)
@pytest.mark.parametrize("scope", [None, {1, 3}], ids=["town", "two villages"])
async def test_the_sql_counts_equal_a_count_household_by_household(
    app: App, seed: int, month: Month, scope: set[int] | None
) -> None:
    data = generate(seed=seed, households=120)
    await insert(app, data)
    expected = count_each(data, month, app.clock.now(), scope)
    assert sum(h for h, _c, _v in expected.cells.values()) > 20  # a town, not an empty one
    assert expected.uncontacted and expected.unassigned

    async with app.uow() as uow:
        window = month_window(uow, month, TZ, scope)
        cells = await households_by_person(uow, window)
        by_village = await village_counts(uow, window)
        uncontacted = await uncontacted_households(uow, window)
        unassigned = await unassigned_households(uow, window)
        held = await held_by_person(uow, window)

    got = {(c.village_id, c.person_id): (c.households, c.contacted, c.home_visited) for c in cells}
    assert got == expected.cells
    channels = {(c.village_id, c.person_id): Counter(c.by_channel) for c in cells}
    assert {k: v for k, v in channels.items() if v} == dict(expected.channels)
    villages: Counter[int] = Counter()
    contacted: Counter[int] = Counter()
    for (village, _person), (households, done, _home) in expected.cells.items():
        villages[village] += households
        contacted[village] += done
    assert by_village == {v: (villages[v], contacted[v]) for v in villages}
    assert {(row.id, row.person_id) for row in uncontacted} == expected.uncontacted
    assert {row.id for row in unassigned} == expected.unassigned
    assert held == dict(expected.held)
