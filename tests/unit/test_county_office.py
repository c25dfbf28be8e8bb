"""The county office's work on one installation: the towns side by side, the removals the
towns approved waiting for its decision (县级审定, recorded by the county office itself once
one of its people uses the bot), the platform list imported once and routed to each town,
and escalations that reach the county office and each town's own office only."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.core.coverage.county_escalations import queue_low_towns, queue_unseen_flags
from bot.core.delivery.kinds import MessageKind
from bot.core.flags import county_decision
from bot.core.flags import removal as flag_lifecycle
from bot.core.flags.acknowledgement import acknowledge
from bot.core.flags.platform_list import import_platform_flags
from bot.core.flags.raising import report_risk
from bot.core.flags.removal import FlagAct
from bot.core.policy import CLI_OPERATOR, Actor
from bot.core.reports.county import county_coverage
from bot.core.roster.importing import RosterRejected, import_roster
from bot.documents.county_report import county_text, county_workbook
from bot.documents.roster_sheet import read_roster
from bot.domain.model import FlagStatus, Role
from bot.errors import NotAllowed
from bot.i18n import use_language
from bot.storage.models import Household, OutboxMessage, RedFlag, Town, Village
from bot.storage.uow import App
from tests.fixtures.rosters import household_row, write_csv
from tests.town_builder import TownBuilder


@pytest.fixture
async def county(app: App) -> dict[str, Any]:
    """甲镇 (the first town): 河口村, two households, one contacted this month; 乙镇: 山前村,
    one household, not contacted. Each town has its office person on Telegram, and the
    county office one too."""
    build = TownBuilder(app)
    jia, yi = await build.town("本镇"), await build.town("乙镇")
    hekou, shanqian = await build.village("河口村", jia), await build.village("山前村", yi)
    wang = await build.person("王建华", village=hekou, telegram_user_id=5001)
    li = await build.person("李红梅", village=shanqian, telegram_user_id=5002)
    zhang = await build.household(hekou, "张桂英", wang)
    await build.household(hekou, "赵德明", wang)
    liu = await build.household(shanqian, "刘秀兰", li)
    await build.contact(zhang, wang, app.clock.today())
    return {
        "office_a": await build.person("周主任", Role.TOWN_OFFICE, town=jia, telegram_user_id=7001),
        "office_b": await build.person("吴主任", Role.TOWN_OFFICE, town=yi, telegram_user_id=7002),
        "admin_b": await build.person(
            "陈书记", Role.VILLAGE_ADMIN, shanqian, telegram_user_id=7003
        ),
        "county": await build.person("郑科长", Role.COUNTY_OFFICE, telegram_user_id=7009),
        "li": li,
        "zhang": zhang,
        "liu": liu,
        "build": build,
    }


async def rows_of(app: App, kind: str) -> list[OutboxMessage]:
    async with app.uow() as uow:
        query = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        return list((await uow.session.execute(query)).scalars())


async def test_the_county_office_sees_the_towns_side_by_side_in_text_and_workbook(
    app: App, county: dict[str, Any], tmp_path: Path
) -> None:
    compared = await county_coverage(app, county["county"], app.clock.this_month())

    assert [
        (town.name, town.tally.contacted, town.tally.households) for town in compared.towns
    ] == [
        ("乙镇", 0, 1),
        ("本镇", 1, 2),
    ]
    assert (compared.county.contacted, compared.county.households) == (1, 3)
    with use_language("zh"):
        text = county_text(compared)
        path = tmp_path / "towns.xlsx"
        path.write_bytes(county_workbook(compared))
    assert "全县：3 户中已联系 1 户（33%）" in text
    assert text.index("乙镇") < text.index("本镇")  # lowest coverage first
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["全县", "乙镇", "本镇"]
    cells = [[cell.value for cell in row] for row in workbook["全县"].iter_rows()]
    assert cells[3][:4] == ["乙镇", 1, 0, 1] and cells[4][:4] == ["本镇", 2, 1, 1]

    with pytest.raises(NotAllowed):
        await county_coverage(app, county["office_a"], app.clock.this_month())


async def test_once_the_county_office_uses_the_bot_it_records_the_county_decision_itself(
    app: App, county: dict[str, Any]
) -> None:
    office: Actor = county["office_b"]
    flag = await report_risk(app, county["li"], county["liu"].id, "突发大病，医疗费用高")
    await acknowledge(app, office, flag.id)
    await flag_lifecycle.request_removal(app, county["admin_b"], flag.id, "已纳入医疗救助")
    await flag_lifecycle.review_removal(app, office, flag.id, approve=True)

    # The county office is told, and finds it among the removals awaiting its decision.
    told = await rows_of(app, MessageKind.COUNTY_ESCALATION)
    assert [row.recipient for row in told] == [f"person:{county['county'].person_id}"]
    awaiting = await flag_lifecycle.open_flag_panels(app, county["county"], awaiting_county=True)
    assert [(panel.flag.id, panel.acts) for panel in awaiting] == [
        (flag.id, [FlagAct.COUNTY_DECISION])
    ]
    town_panel = await flag_lifecycle.flag_panel(app, office, flag.id)
    assert FlagAct.COUNTY_DECISION not in town_panel.acts
    with pytest.raises(NotAllowed):
        await county_decision.record_county_decision(
            app, office, flag.id, app.clock.today(), "霍政〔2026〕12号"
        )

    await county_decision.record_county_decision(
        app, county["county"], flag.id, app.clock.today(), "霍政〔2026〕12号"
    )
    async with app.uow() as uow:
        closed = await uow.session.get(RedFlag, flag.id)
    assert closed is not None and closed.status == FlagStatus.CLOSED
    assert closed.county_document == "霍政〔2026〕12号"


async def test_a_red_flag_alerts_its_own_towns_office_and_nobody_elses(
    app: App, county: dict[str, Any]
) -> None:
    await report_risk(app, county["li"], county["liu"].id, "房屋漏雨")

    alerts = await rows_of(app, MessageKind.FLAG_ALERT)
    assert [row.recipient for row in alerts] == [f"person:{county['office_b'].person_id}"]


async def test_the_county_imports_the_platform_list_once_and_each_town_gets_its_alerts(
    app: App, county: dict[str, Any]
) -> None:
    table = [
        ["户编号", "原因"],
        [county["zhang"].number, "收入骤降"],
        [county["liu"].number, "因病"],
    ]
    report = await import_platform_flags(app, county["county"], table)

    assert len(report.flagged) == 2 and report.unknown == []
    recipients = sorted(row.recipient for row in await rows_of(app, MessageKind.FLAG_ALERT))
    assert recipients == sorted(
        f"person:{county[office].person_id}" for office in ("office_a", "office_b")
    )


async def test_the_county_office_hears_of_a_flag_unseen_for_48_hours_and_of_a_low_town(
    app: App, county: dict[str, Any]
) -> None:
    flag = await county["build"].flag(county["liu"], "省平台比对预警")
    async with app.uow() as uow:
        assert await queue_unseen_flags(uow, app.settings, app.clock.now()) == 0
        later = app.clock.now() + timedelta(hours=49)
        assert await queue_unseen_flags(uow, app.settings, later) == 1
        assert await queue_unseen_flags(uow, app.settings, later) == 0  # once
        assert await queue_low_towns(uow, app.settings, app.clock.this_month()) == 2
        await uow.commit()
    rows = await rows_of(app, MessageKind.COUNTY_ESCALATION)
    assert {row.recipient for row in rows} == {f"person:{county['county'].person_id}"}
    assert rows[0].payload.get("flag_id") == flag.id
    assert sorted(row.payload.get("town", "") for row in rows) == ["", "乙镇", "本镇"]


async def test_the_operator_imports_a_county_roster_with_its_towns(
    app: App, tmp_path: Path
) -> None:
    rows = [
        household_row(1, 村="大河村", 乡镇="佛子岭镇"),
        household_row(
            2, 村="黄巢寺村", 乡镇="诸佛庵镇", 帮扶联系人="王志刚", 帮扶联系人电话="13905647788"
        ),
    ]
    await import_roster(app, CLI_OPERATOR, read_roster(write_csv(tmp_path / "r.csv", rows)))

    async with app.uow() as uow:
        found = await uow.session.execute(
            select(Village.name, Town.name).join(Town, Town.id == Village.town_id)
        )
        assert sorted(tuple(row) for row in found.all()) == [
            ("大河村", "佛子岭镇"),
            ("黄巢寺村", "诸佛庵镇"),
        ]
        households = (await uow.session.execute(select(Household))).scalars().all()
        assert len(households) == 2
    # A village named again under another town is refused, nothing changed.
    again = [household_row(3, 村="大河村", 乡镇="诸佛庵镇")]
    with pytest.raises(RosterRejected):
        await import_roster(app, CLI_OPERATOR, read_roster(write_csv(tmp_path / "s.csv", again)))
    # Without the 乡镇 column, a new village cannot be placed among several towns.
    unnamed = [household_row(4, 村="东冲村")]
    with pytest.raises(RosterRejected):
        await import_roster(app, CLI_OPERATOR, read_roster(write_csv(tmp_path / "t.csv", unnamed)))
