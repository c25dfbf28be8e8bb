"""A second town beside the `town` fixture's (the first town), and the county office: what
the county pages and the town isolation tests of the dashboard share."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.core.flags.acknowledgement import acknowledge
from bot.core.flags.removal import request_removal, review_removal
from bot.core.policy import Actor
from bot.domain.model import Role
from bot.storage.models import Household, RedFlag, Village
from bot.storage.uow import App
from tests.town_builder import TownBuilder
from tests.web.conftest import Town


@dataclass
class County:
    first: Town  # the `town` fixture's town (大河村, 石门村)
    office_b: Actor  # 青山镇's town office
    admin_b: Actor
    contact_b: Actor  # has not opened the bot yet: a new invitation link could be issued
    village_b: Village  # 青山村
    household_b: Household  # 钱多多, in 青山镇
    flag_b: RedFlag  # 青山镇's red flag, approved by its town: awaiting the county
    town_b_id: int
    county_office: Actor


@pytest.fixture(name="county")
async def county_fixture(app: App, town: Town) -> County:
    build = TownBuilder(app)
    qingshan = await build.town("青山镇")
    village = await build.village("青山村", qingshan)
    office_b = await build.person("吴镇长", Role.TOWN_OFFICE, town=qingshan, telegram_user_id=9101)
    admin_b = await build.person("青山村支书", Role.VILLAGE_ADMIN, village, telegram_user_id=9102)
    contact_b = await build.person("郑帮扶", Role.CONTACT, village)
    household = await build.household(village, "钱多多", contact_b)
    flag = await build.flag(household, "青山的风险")
    await acknowledge(app, office_b, flag.id)
    await request_removal(app, admin_b, flag.id, "风险已消除")
    await review_removal(app, office_b, flag.id, True)
    county_office = await build.person("县乡村振兴局", Role.COUNTY_OFFICE, telegram_user_id=9200)
    return County(
        town, office_b, admin_b, contact_b, village, household, flag, qingshan.id, county_office
    )
