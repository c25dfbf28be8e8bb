"""The red-flags board's columns: which flags have measures in place, which are closed lately,
and what each reader sees."""

from __future__ import annotations

from bot.clock import FrozenClock
from bot.core.flags.board import BoardColumn, flags_board
from bot.core.flags.county_decision import record_county_decision
from bot.core.flags.measures import add_measure, end_measure
from bot.core.flags.removal import request_removal, review_removal
from bot.domain.model import FlagStatus, Role
from bot.storage.uow import App
from tests.town_builder import TownBuilder


async def test_a_measure_puts_an_acknowledged_flag_in_the_measures_column_until_it_ends(
    app: App, clock: FrozenClock
) -> None:
    build = TownBuilder(app)
    village = await build.village("大河村")
    office = await build.person("周主任", Role.TOWN_OFFICE)
    household = await build.household(village, "张桂英")
    # a measure from before the flag is not an answer to it
    await add_measure(app, office, household.id, "water", "修水井", "村委会")
    clock.advance(hours=1)
    flag = await build.flag(household, "房屋漏雨", status=FlagStatus.ACKNOWLEDGED)

    board = await flags_board(app, office)
    assert [c.flag.id for c in board.columns[BoardColumn.ACKNOWLEDGED]] == [flag.id]

    clock.advance(hours=1)
    measure = await add_measure(app, office, household.id, "housing", "修屋顶", "村委会")
    board = await flags_board(app, office, stage="acknowledged")
    assert list(board.columns) == [BoardColumn.ACKNOWLEDGED, BoardColumn.MEASURES]
    card = board.columns[BoardColumn.MEASURES][0]
    assert card.flag.id == flag.id and card.measures == 1

    await end_measure(app, office, measure.id)
    board = await flags_board(app, office)
    assert [c.flag.id for c in board.columns[BoardColumn.ACKNOWLEDGED]] == [flag.id]


async def test_closed_flags_stay_on_the_board_for_30_days(app: App, clock: FrozenClock) -> None:
    build = TownBuilder(app)
    village = await build.village("大河村")
    office = await build.person("周主任", Role.TOWN_OFFICE)
    admin = await build.person("支书", Role.VILLAGE_ADMIN, village)
    flag = await build.flag(await build.household(village), "风险", FlagStatus.ACKNOWLEDGED)
    await request_removal(app, admin, flag.id, "已消除")
    await review_removal(app, office, flag.id, True)
    await record_county_decision(app, office, flag.id, clock.today(), "县扶发〔2026〕3号")

    board = await flags_board(app, admin, stage="closed")
    assert [c.flag.id for c in board.columns[BoardColumn.CLOSED]] == [flag.id]
    assert board.columns[BoardColumn.CLOSED][0].acts == []
    clock.advance(days=31)
    assert (await flags_board(app, office)).total == 0


async def test_a_village_admin_sees_only_their_village_and_no_town_office_acts(
    app: App,
) -> None:
    build = TownBuilder(app)
    dahe = await build.village("大河村")
    shimen = await build.village("石门村")
    admin = await build.person("支书", Role.VILLAGE_ADMIN, dahe)
    mine = await build.flag(await build.household(dahe), "大河村的风险")
    await build.flag(await build.household(shimen), "石门村的风险")

    board = await flags_board(app, admin)
    (card,) = board.columns[BoardColumn.RAISED]
    assert card.flag.id == mine.id
    assert "ack" not in card.acts and not card.deadline_settable
