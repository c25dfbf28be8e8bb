"""The forms' columns that used to be left empty get data: 脱贫年度, 低保/特困/残疾 and 原识别时间
from the roster (optional columns, checked like the others), 拟帮扶措施 from the measures
recorded in the bot (一户一方案)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.core.flags.measures import MeasureType, add_measure
from bot.core.policy import CLI_OPERATOR
from bot.core.roster.columns import HEADERS, OPTIONAL_COLUMNS
from bot.core.roster.importing import RosterRejected, import_roster
from bot.documents.forms import export_forms
from bot.documents.roster_sheet import read_roster
from bot.domain.model import Role
from bot.i18n import use_language
from bot.storage.models import Household
from bot.storage.uow import App
from tests.fixtures.rosters import household_row, write_csv, write_xlsx
from tests.form_tables import form_rows
from tests.town_builder import TownBuilder

OLD_HEADERS = [header for header in HEADERS if header not in OPTIONAL_COLUMNS]


async def households(app: App) -> dict[str, Household]:
    async with app.uow() as uow:
        found = (await uow.session.execute(select(Household))).scalars()
        return {household.head_name: household for household in found}


def form(paths: list[Path], number: int) -> list[dict[str, object]]:
    path = next(p for p in paths if f"_附件{number}_" in p.name)
    return form_rows(load_workbook(path).active)


async def test_the_roster_fills_exit_year_social_support_and_identification_date(
    app: App, tmp_path: Path
) -> None:
    rows = [
        household_row(1, 户主姓名="王德明", 类别="脱贫监测户", 脱贫年度="2018年"),
        household_row(2, 户主姓名="李桂英", **{"低保/特困/残疾": "残疾人、五保户"}),
        household_row(3, 户主姓名="张建国", 原识别时间=datetime(2019, 10, 15)),  # a date cell
        household_row(4, 户主姓名="刘秀兰", 原识别时间="2019年11月2日", **{"低保/特困/残疾": "无"}),
    ]
    await import_roster(app, CLI_OPERATOR, read_roster(write_xlsx(tmp_path / "r.xlsx", rows)))

    found = await households(app)
    assert found["王德明"].exit_year == 2018
    assert found["李桂英"].social_support == "特困、残疾"  # in the form's order
    assert found["张建国"].identified_on.isoformat() == "2019-10-15"
    assert found["刘秀兰"].identified_on.isoformat() == "2019-11-02"
    assert found["刘秀兰"].social_support is None


async def test_bad_values_in_the_new_columns_are_listed_by_row_and_nothing_is_imported(
    app: App, tmp_path: Path
) -> None:
    rows = [
        household_row(1, 脱贫年度="2030"),  # the test clock is in 2026
        household_row(2, **{"低保/特困/残疾": "低保、富裕"}),
        household_row(3, 原识别时间="2026-12-01"),
        household_row(4, 原识别时间="去年秋天"),
    ]
    with pytest.raises(RosterRejected) as rejected, use_language("zh"):
        await import_roster(app, CLI_OPERATOR, read_roster(write_csv(tmp_path / "r.csv", rows)))
    with use_language("zh"):
        lines = [problem.line() for problem in rejected.value.problems]
    assert lines == [
        "第 2 行，脱贫年度：脱贫年度应是 2013 到 2026 之间的年份，如“2018”，不能是“2030”。",
        "第 3 行，低保/特困/残疾：看不懂“富裕”。请填“低保”“特困”或“残疾”（几项都有用顿号“、”"
        "隔开），都没有填“无”。",
        "第 4 行，原识别时间：日期 2026-12-01 晚于今天。",
        "第 5 行，原识别时间：看不懂这个日期。请这样写：2026-03-05、3-5、3/5、3月5日 或 5日。",
    ]
    assert await households(app) == {}


async def test_an_older_roster_without_the_columns_keeps_what_the_households_have(
    app: App, tmp_path: Path
) -> None:
    row = household_row(1, 户主姓名="王德明", 脱贫年度="2017", **{"低保/特困/残疾": "低保"})
    await import_roster(app, CLI_OPERATOR, read_roster(write_csv(tmp_path / "new.csv", [row])))

    older = write_csv(tmp_path / "old.csv", [{**row, "家庭人口数": "4"}], headers=OLD_HEADERS)
    report = await import_roster(app, CLI_OPERATOR, read_roster(older))

    assert report.updated == 1
    kept = (await households(app))["王德明"]
    assert (kept.members, kept.exit_year, kept.social_support) == (4, 2017, "低保")
    # A roster that has the column but leaves it empty clears it, like every optional column.
    cleared = {**row, "脱贫年度": "", "低保/特困/残疾": ""}
    again = write_csv(tmp_path / "again.csv", [cleared])
    await import_roster(app, CLI_OPERATOR, read_roster(again))
    assert (await households(app))["王德明"].exit_year is None


async def test_the_forms_show_the_roster_data_and_the_measures_recorded_in_the_bot(
    app: App, tmp_path: Path
) -> None:
    rows = [
        household_row(1, 户主姓名="张桂英", **{"低保/特困/残疾": "低保、残疾"}),
        household_row(2, 户主姓名="刘德明", 类别="脱贫监测户", 脱贫年度="2016"),
        household_row(3, 户主姓名="陈玉珍", 类别="不享受政策脱贫户", 脱贫年度="2015"),
        household_row(4, 户主姓名="杨志强", 类别="享受政策脱贫户", 脱贫年度="2019"),
        household_row(5, 户主姓名="黄家富", 原识别时间="2019-10-15"),
    ]
    await import_roster(app, CLI_OPERATOR, read_roster(write_csv(tmp_path / "r.csv", rows)))
    found = await households(app)
    office = await TownBuilder(app).person("周主任", role=Role.TOWN_OFFICE)
    zhang = found["张桂英"].id
    await add_measure(app, office, zhang, MeasureType.HOUSING, "C级危房加固", "镇建设办")
    await add_measure(app, office, zhang, MeasureType.EMPLOYMENT, "村保洁公益岗", "村书记")
    await add_measure(app, office, found["刘德明"].id, MeasureType.DIBAO, "纳入低保", "民政专干")
    async with app.uow() as uow:  # 黄家富 left the list: he is on 附件1
        (await uow.session.get(Household, found["黄家富"].id)).status = "adjusted_out"
        await uow.commit()

    with use_language("en"):  # the forms are Chinese documents, whoever exports them
        paths = await export_forms(app, CLI_OPERATOR, "大河村", out_dir=tmp_path / "forms")

    (marginal,) = form(paths, 3)
    assert marginal["低保/特困/残疾"] == "低保、残疾"
    assert marginal["拟帮扶措施"] == "危房改造：C级危房加固；就业扶贫/公益岗位：村保洁公益岗"
    (monitored,) = form(paths, 4)
    assert (monitored["脱贫年度"], monitored["拟帮扶措施"]) == (2016, "农村低保：纳入低保")
    assert form(paths, 5)[0]["脱贫年度"] == 2015
    assert form(paths, 6)[0]["脱贫年度"] == 2019
    (adjusted,) = form(paths, 1)
    assert adjusted["原识别时间"].date().isoformat() == "2019-10-15"
