"""The overview answers "who has not been contacted this month": each village's uncontacted
households by name, linked, with the contact person they count for, as the bot's /summary
lists them (in its order); a village admin sees only their own village's. Its open red flags
by stage and past their deadline are those of the flags board."""

from __future__ import annotations

import re
from datetime import date

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.clock import Month
from bot.core.coverage.overview import FlagStage, flag_stage, office_overview
from bot.core.reports.summaries import summary_for_month
from bot.domain.model import OPEN_FLAG_STATUSES, FlagStatus
from bot.storage.models import RedFlag
from bot.storage.uow import App
from tests.town_builder import TownBuilder
from tests.web.conftest import Town, sign_in

NAME = re.compile(
    r'<li><a href="/web/households/(\d+)">([^<]+)</a> <span class="muted">([^<]+) · ([^<]+)</span>'
)
VILLAGE = re.compile(r"<summary><a [^>]+>([^<]+)</a> · (\d+)</summary>")


async def test_the_overview_lists_the_uncontacted_households_as_the_summary_does(
    client: TestClient, app: App, town: Town
) -> None:
    await sign_in(client, app, town.office)
    page = await (await client.get("/web/")).text()
    summary = await summary_for_month(app, town.office, Month(2026, 3))
    listed = [(int(i), head, group, person) for i, head, group, person in NAME.findall(page)]
    assert listed == [
        (line.household_id, line.head_name, line.group, line.contact_person)
        for village in summary.villages
        for line in village.uncontacted
    ]
    assert len(listed) == 4 and {person for *_, person in listed} == {"王帮扶"}
    assert VILLAGE.findall(page) == [("大河村", "2"), ("石门村", "2")]


async def test_a_village_admin_sees_only_their_villages_uncontacted_households(
    client: TestClient, app: App, town: Town
) -> None:
    await sign_in(client, app, town.admin)
    page = await (await client.get("/web/")).text()
    listed = {int(household_id) for household_id, *_ in NAME.findall(page)}
    assert listed == {town.dahe[1].id, town.dahe[2].id}
    assert VILLAGE.findall(page) == [("大河村", "2")]


async def test_the_open_flags_by_stage_and_past_deadline_are_the_boards(
    client: TestClient, app: App, town: Town
) -> None:
    build = TownBuilder(app)
    made = [
        (town.dahe[0], FlagStatus.RAISED, None, None),
        (town.dahe[1], FlagStatus.ACKNOWLEDGED, date(2026, 3, 1), None),  # past (10 March)
        (town.dahe[2], FlagStatus.ACKNOWLEDGED, date(2026, 3, 10), None),  # today: not past
        (town.dahe[0], FlagStatus.REMOVAL_REQUESTED, date(2026, 2, 1), None),
        (town.shimen[0], FlagStatus.REMOVAL_REQUESTED, None, app.clock.now()),  # town approved
        (town.shimen[1], FlagStatus.CLOSED, date(2026, 2, 1), None),  # not open
        (town.shimen[1], FlagStatus.WITHDRAWN, None, None),  # not open
    ]
    ids = [(await build.flag(household, "x", status)).id for household, status, *_ in made]
    async with app.uow() as uow:
        for flag_id, (*_, deadline, approved) in zip(ids, made, strict=True):
            flag = await uow.session.get(RedFlag, flag_id)
            assert flag is not None
            flag.deadline, flag.removal_approved_at = deadline, approved
        await uow.commit()
    async with app.uow() as uow:
        flags = list((await uow.session.scalars(select(RedFlag))).all())
    for actor, villages in ((town.office, None), (town.admin, {town.dahe[0].village_id})):
        shown = (await office_overview(app, actor, Month(2026, 3))).flags
        counted = [
            flag
            for flag in flags
            if flag.status in OPEN_FLAG_STATUSES
            and (villages is None or flag.household_id in {h.id for h in town.dahe})
        ]
        assert shown.by_stage == {
            stage: sum(flag_stage(flag) == stage for flag in counted) for stage in FlagStage.ORDER
        }
        assert shown.overdue == sum(
            flag.deadline is not None and flag.deadline < date(2026, 3, 10) for flag in counted
        )
    assert shown.by_stage == {  # the village admin's: 大河村's only
        "raised": 1,
        "acknowledged": 2,
        "removal_requested": 1,
        "town_approved": 0,
    }
    assert shown.overdue == 2
