"""The provincial platform's monthly red-flag list becomes flags, once per household."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from bot.core.flags.platform_list import import_platform_flags
from bot.documents.roster_sheet import read_platform_list
from bot.domain.model import FlagSource, Role
from bot.errors import NotAllowed
from bot.storage.models import OutboxMessage, RedFlag
from bot.storage.uow import App
from tests.town_builder import TownBuilder


async def test_the_list_flags_households_by_number_or_id_reports_unknown_and_open_ones(
    app: App, tmp_path: Path
) -> None:
    town = TownBuilder(app)
    village = await town.village("河口村")
    office = await town.person("周主任", role=Role.TOWN_OFFICE, telegram_user_id=9001)
    zhang = await town.household(village, "张桂英")
    chen = await town.household(village, "陈德明")
    li = await town.household(village, "李长林")
    await town.flag(li, "上月平台预警")  # already open, from the platform

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["2026年2月 返贫致贫风险预警名单"])
    sheet.append(["序号", "户编号", "身份证号", "户主姓名", "预警原因"])
    sheet.append([1, zhang.number, None, "张桂英", "人均纯收入低于监测线"])
    sheet.append([2, None, chen.id_number, "陈德明", "大病支出较大"])
    sheet.append([3, "3415239999999999", None, "查无此户", "x"])
    sheet.append([4, li.number, None, "李长林", "收入骤减"])
    path = tmp_path / "预警名单.xlsx"
    workbook.save(path)

    report = await import_platform_flags(app, office, read_platform_list(path))

    assert [(r.row_number, r.household) for r in report.flagged] == [(3, "张桂英"), (4, "陈德明")]
    assert [(r.row_number, r.value) for r in report.unknown] == [(5, "3415239999999999")]
    assert [(r.row_number, r.household) for r in report.already_open] == [(6, "李长林")]
    async with app.uow() as uow:
        flags = (await uow.session.execute(select(RedFlag).order_by(RedFlag.id))).scalars().all()
        alerts = (
            (
                await uow.session.execute(
                    select(OutboxMessage).where(OutboxMessage.kind == "flag_alert")
                )
            )
            .scalars()
            .all()
        )
    assert [(f.household_id, f.source, f.reason) for f in flags[1:]] == [
        (zhang.id, FlagSource.PLATFORM, "人均纯收入低于监测线"),
        (chen.id, FlagSource.PLATFORM, "大病支出较大"),
    ]
    assert len(alerts) == 2


async def test_a_csv_list_naming_a_household_twice_flags_it_once(app: App, tmp_path: Path) -> None:
    town = TownBuilder(app)
    village = await town.village("河口村")
    office = await town.person("周主任", role=Role.TOWN_OFFICE)
    zhang = await town.household(village, "张桂英")
    path = tmp_path / "list.csv"
    with path.open("w", encoding="gb18030", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["户编号", "原因"])
        writer.writerow([zhang.number, "因病"])
        writer.writerow([zhang.number, "因病"])

    report = await import_platform_flags(app, office, read_platform_list(path))

    assert len(report.flagged) == 1 and [r.row_number for r in report.already_open] == [3]


async def test_only_the_town_office_imports_the_platform_list(app: App, tmp_path: Path) -> None:
    town = TownBuilder(app)
    village = await town.village("河口村")
    admin = await town.person("孙书记", Role.VILLAGE_ADMIN, village)
    path = tmp_path / "list.csv"
    path.write_text("户编号,原因\n1,x\n", encoding="utf-8")
    with pytest.raises(NotAllowed):
        await import_platform_flags(app, admin, read_platform_list(path))
