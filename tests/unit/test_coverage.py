"""The monthly coverage numbers, checked against a count by hand over a generated month."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from bot.clock import Month
from bot.core.coverage.month_coverage import coverage_for_month
from bot.core.coverage.month_summary import MonthCoverage, Tally, summary_from_json, summary_to_json
from bot.core.policy import CLI_OPERATOR, Actor
from bot.domain.model import Role
from bot.errors import NotAllowed
from bot.storage.uow import App
from tests.month_data import FEBRUARY, MARCH, Expected, count_by_hand, generate, insert


async def _summary_and_count(app: App, month: Month) -> tuple[MonthCoverage, Expected]:
    data = generate()
    await insert(app, data)
    summary = await coverage_for_month(app, CLI_OPERATOR, month)
    return summary, count_by_hand(data, month, app.clock.now())


@pytest.fixture
async def february(app: App) -> tuple[MonthCoverage, Expected]:
    """February 2026 seen on 10 March: a closed month."""
    return await _summary_and_count(app, FEBRUARY)


@pytest.fixture(params=[FEBRUARY, MARCH], ids=str)
async def any_month(app: App, request: pytest.FixtureRequest) -> tuple[MonthCoverage, Expected]:
    """A closed month, and the month in progress (counted up to now)."""
    return await _summary_and_count(app, request.param)


def _flag_counts(tally: Tally) -> Counter[str]:
    return +Counter(
        raised=tally.flags_raised,
        acknowledged=tally.flags_acknowledged,
        closed=tally.flags_closed,
        past_deadline=tally.flags_past_deadline,
    )


async def test_town_office_summary_matches_a_count_by_hand_for_every_village(any_month) -> None:
    summary, expected = any_month
    assert summary.town.households == sum(expected.households.values()) > 30
    assert summary.town.contacted == sum(expected.contacted.values()) > 0
    assert summary.town.uncontacted > 0
    assert [village.name for village in summary.villages] == sorted(
        ["大河村", "柳树村", "石门村", "桃园村"]
    )
    for village in summary.villages:
        vid = village.village_id
        mine = [key for key in expected.households if key[0] == vid]
        assert village.tally.households == sum(expected.households[key] for key in mine)
        assert village.tally.contacted == sum(expected.contacted[key] for key in mine)
        assert village.tally.home_visited == sum(expected.home_visited[key] for key in mine)
        channels = sum((expected.channels[key] for key in mine), Counter())
        assert Counter(village.tally.by_channel) == channels
        assert {line.household_id for line in village.uncontacted} == expected.uncontacted[vid]
        assert _flag_counts(village.tally) == +expected.flags[vid]
        for person in village.persons:
            key = (vid, person.person_id)
            assert (person.tally.households, person.tally.contacted) == (
                expected.households[key],
                expected.contacted[key],
            )


async def test_each_contact_person_counts_the_households_they_hold_at_month_end(
    any_month,
) -> None:
    summary, expected = any_month
    by_person: Counter[int] = Counter()
    contacted: Counter[int] = Counter()
    for (_village, person), count in expected.households.items():
        by_person[person] += count
        contacted[person] += expected.contacted[(_village, person)]
    assert {p.person_id: p.tally.households for p in summary.persons} == dict(by_person)
    assert {p.person_id: p.tally.contacted for p in summary.persons} == dict(contacted)
    for person in summary.persons:
        assert _flag_counts(person.tally) == +expected.person_flags[person.person_id]
    # Reassigned households count once: the town's total is the number of distinct households.
    assert sum(p.tally.households for p in summary.persons) == summary.town.households


async def test_all_channels_appear_and_home_visit_share_counts_households(february) -> None:
    summary, _expected = february
    assert set(summary.town.by_channel) == {"home_visit", "phone", "sms", "wechat", "video"}
    assert summary.town.home_visit_share == summary.town.home_visited / summary.town.contacted
    assert summary.town.contacts >= summary.town.contacted


async def test_unassigned_households_and_unreachable_contact_persons_are_listed(
    any_month,
) -> None:
    summary, expected = any_month
    assert {line.household_id for line in summary.unassigned} == expected.unassigned
    assert expected.unassigned
    assert {person.person_id for person in summary.unreachable} == expected.unreachable == {4}


async def test_withdrawn_contact_does_not_count_and_backdated_one_does(app: App) -> None:
    from tests.month_data import Contact, at

    data = generate(seed=11, households=8)
    household = data.households[0]  # whole_month pattern
    household.status, household.created_at = "monitored", at(date(2025, 11, 1))
    data.contacts = [c for c in data.contacts if c.household_id != household.id]
    data.contacts.append(
        Contact(
            household_id=household.id,
            person_id=1,
            occurred_on=date(2026, 2, 3),
            entered_at=at(date(2026, 2, 3)),
            channel="phone",
            problems=[],
            events=[],
            status="withdrawn",
            draft_key="withdrawn-one",
        )
    )
    await insert(app, data)
    first = await coverage_for_month(app, CLI_OPERATOR, FEBRUARY)
    village = next(v for v in first.villages if v.village_id == household.village_id)
    assert household.id in {line.household_id for line in village.uncontacted}

    async with app.uow() as uow:
        uow.session.add(
            Contact(
                household_id=household.id,
                person_id=1,
                occurred_on=date(2026, 2, 27),  # entered in March: backdated
                entered_at=at(date(2026, 3, 9)),
                channel="wechat",
                problems=[],
                events=[],
                status="active",
                draft_key="backdated-one",
            )
        )
        await uow.commit()
    second = await coverage_for_month(app, CLI_OPERATOR, FEBRUARY)
    assert second.town.contacted == first.town.contacted + 1
    assert second.town.by_channel["wechat"] == first.town.by_channel.get("wechat", 0) + 1


async def test_village_admin_reads_only_their_village_and_contact_person_is_refused(
    app: App,
) -> None:
    data = generate()
    await insert(app, data)
    admin = Actor(person_id=None, name="村支书", role=Role.VILLAGE_ADMIN, village_id=2)
    own = await coverage_for_month(app, admin, FEBRUARY)
    assert [village.village_id for village in own.villages] == [2]
    assert {line.village for line in own.unassigned} <= {"柳树村"}
    with pytest.raises(NotAllowed):
        await coverage_for_month(app, admin, FEBRUARY, village_ids=[1])
    contact = Actor(person_id=1, name="王建国", role=Role.CONTACT)
    with pytest.raises(NotAllowed):
        await coverage_for_month(app, contact, FEBRUARY)


async def test_summary_survives_a_round_trip_through_json(february) -> None:
    summary, _expected = february
    assert summary_from_json(summary_to_json(summary)) == summary


async def test_red_flags_still_open_at_the_months_end_are_counted(app: App, clock) -> None:  # type: ignore[no-untyped-def]
    from datetime import datetime

    from bot.storage.models import RedFlag
    from tests.town_builder import TownBuilder

    def day(month: int, number: int) -> datetime:
        return datetime(2026, month, number, 10, tzinfo=clock.tz)

    builder = TownBuilder(app)
    clock.set(day(1, 20))
    village = await builder.village("大河村")
    wang = await builder.person("王建国", Role.CONTACT, village)
    homes = [
        await builder.household(village, name, wang) for name in ("张桂英", "陈德明", "周玉珍")
    ]
    flags = [await builder.flag(home, "因病") for home in homes]
    async with app.uow() as uow:
        for flag, closed_on in ((flags[1], day(2, 10)), (flags[2], day(3, 5))):
            row = await uow.session.get(RedFlag, flag.id)
            assert row is not None
            row.status, row.closed_at = "closed", closed_on
        await uow.commit()
    clock.set(day(3, 10))

    february = await coverage_for_month(app, CLI_OPERATOR, FEBRUARY)
    assert february.town.flags_open == 2  # 张桂英's, and 周玉珍's closed only in March
    march = await coverage_for_month(app, CLI_OPERATOR, MARCH)
    assert (march.town.flags_open, march.town.flags_raised) == (1, 0)
