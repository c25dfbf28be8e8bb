"""The overview answers "who has not been contacted this month": each village's uncontacted
households by name, linked, with the contact person they count for, as the bot's /summary
lists them (in its order); a village admin sees only their own village's."""

from __future__ import annotations

import re

from aiohttp.test_utils import TestClient

from bot.clock import Month
from bot.core.reports.summaries import summary_for_month
from bot.storage.uow import App
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
