"""The six forms (附件1–6): who may export them, what each lists, and that they print well."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from bot.core.policy import CLI_OPERATOR, Actor
from bot.documents.forms import export_forms
from bot.domain.model import Category, ContactChannel, Role
from bot.errors import NotAllowed, NotFound
from bot.storage.models import HouseholdChange
from bot.storage.uow import App
from tests.form_tables import form_rows
from tests.town_builder import TownBuilder

# The identifying columns first (each printed page repeats them), then the person's details.
COMMON = ["序号", "组", "户主姓名", "身份证号", "联系电话", "家庭人口数"]
NUMBERED = ["序号", "组", "户主姓名", "户编号", "身份证号", "联系电话", "家庭人口数"]


@pytest.fixture
async def town(app: App) -> dict[str, object]:
    """Two villages; 大河村 has a household of every kind, 柳树村 one marginal household."""
    build = TownBuilder(app)
    dahe, liushu = await build.village("大河村"), await build.village("柳树村")
    wang = await build.person("王建国", village=dahe)
    li = await build.person("李秀兰", village=liushu)
    admin = await build.person("村支书", role=Role.VILLAGE_ADMIN, village=dahe)
    h = {
        "marginal": await build.household(
            dahe, "张桂英", wang, "2组", risk_types=["01", "0203"], id_number="341523195001010014"
        ),
        "marginal_tricky": await build.household(
            dahe, '=HYPERLINK("http://evil","点我")', wang, "1组", phone="+8613855640001"
        ),
        "monitored_lifted": await build.household(
            dahe, "刘德明", wang, category=Category.LIFTED_MONITORED, risk_types=["因学"]
        ),
        "no_policy": await build.household(
            dahe, "陈玉珍", wang, category=Category.LIFTED_NO_POLICY
        ),
        "policy": await build.household(dahe, "杨志强", wang, category=Category.LIFTED_POLICY),
        "adjusted_out": await build.household(dahe, "黄家富", status="adjusted_out"),
        "risk_removed": await build.household(
            dahe, "赵春花", category=Category.LIFTED_MONITORED, status="risk_removed"
        ),
        "other_village": await build.household(liushu, "孙长林", li),
    }
    await build.contact(h["marginal"], wang, date(2026, 2, 3), ContactChannel.PHONE)
    await build.contact(h["marginal"], wang, date(2026, 3, 5), problems=["housing", "water"])
    await build.contact(h["marginal"], wang, date(2026, 3, 8), status="withdrawn")
    async with app.uow() as uow:
        uow.session.add(
            _meeting_record(uow, h["adjusted_out"].id, "adjusted_out", "收入稳定超过监测线")
        )
        await uow.commit()
    return {"households": h, "admin": admin, "contact": wang}


def _meeting_record(uow, household_id: int, kind: str, reason: str) -> HouseholdChange:  # type: ignore[no-untyped-def]
    return HouseholdChange(
        household_id=household_id,
        kind=kind,
        old_value="monitored",
        new_value=kind,
        reason=reason,
        meeting_on=date(2026, 3, 5),
        actor_id=None,
        actor_label="cli",
        at=uow.clock.now(),
    )


def _sheet(path: Path) -> Worksheet:
    ws = load_workbook(path).active
    assert ws is not None
    return ws


def _rows(ws: Worksheet) -> list[dict[str, object]]:
    return form_rows(ws)


def _by_name(paths: list[Path], village: str, number: int) -> Path:
    return next(p for p in paths if p.name.startswith(f"{village}_附件{number}_"))


async def test_town_office_exports_six_print_ready_forms_per_village(
    app: App, town, tmp_path: Path
) -> None:
    paths = await export_forms(app, CLI_OPERATOR, out_dir=tmp_path)
    assert len(paths) == 12 and all(path.exists() for path in paths)
    ws = _sheet(_by_name(paths, "大河村", 3))
    assert (ws["A1"].value, ws["A2"].value) == ("附件3", "大河村边缘户摸底表")
    assert ws["A3"].value == "填报单位：大河村　　填报日期：2026年3月10日"
    assert any(str(merged).startswith("A2:") for merged in ws.merged_cells.ranges)
    headers = [cell.value for cell in ws[4]]
    assert headers[:6] == COMMON
    assert [cell.value for cell in _sheet(_by_name(paths, "大河村", 4))[4]][:7] == NUMBERED
    assert {"年人均纯收入（元）", "致贫风险1", "两不愁三保障一安全问题", "低保/特困/残疾"} <= set(
        headers
    )
    assert {"帮扶联系人", "联系人电话", "摸底人", "摸底日期", "备注"} <= set(headers)
    assert ws["A4"].font.b and ws["A5"].border.left.style == "thin"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    # Printed at full size over several pages, each repeating the header row and the
    # identifying columns; above and below the table, the page header and footer.
    assert not ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.scale == 90
    assert ws.print_title_rows == "$4:$4" and ws.print_title_cols == "$A:$C"
    assert len(ws.col_breaks.brk) == 1
    assert "第 &P 页 共 &N 页" in ws.oddFooter.center.text
    assert ws.oddFooter.left.text.startswith("填表人")
    assert ws.oddFooter.right.text.startswith("审核人")
    assert ws.oddHeader.center.text == "大河村边缘户摸底表"
    assert ws.column_dimensions["D"].width >= 18  # a whole 身份证号 shows

    rows = _rows(ws)
    assert [row["序号"] for row in rows] == [1, 2]
    zhang = next(row for row in rows if row["户主姓名"] == "张桂英")
    assert zhang["身份证号"] == "341523195001010014"  # full: the town office exports
    assert zhang["组"] == "2组" and zhang["家庭人口数"] == 3
    assert (zhang["致贫风险1"], zhang["致贫风险2"], zhang["致贫风险3"]) == ("因病", "因灾", None)
    assert zhang["帮扶联系人"] == "王建国" and zhang["摸底人"] == "王建国"
    # The latest active contact; the withdrawn one of 8 March does not count.
    assert zhang["摸底日期"].date() == date(2026, 3, 5)
    assert zhang["两不愁三保障一安全问题"] == "住房安全无保障、饮水安全无保障"
    assert zhang["年人均纯收入（元）"] == 5200
    assert zhang["低保/特困/残疾"] is None  # no data yet: left for the village to fill


async def test_text_from_users_never_becomes_a_formula(app: App, town, tmp_path: Path) -> None:
    paths = await export_forms(app, CLI_OPERATOR, "大河村", out_dir=tmp_path)
    ws = _sheet(_by_name(paths, "大河村", 3))
    tricky = next(row for row in ws.iter_rows(min_row=5) if "HYPERLINK" in str(row[2].value))
    assert tricky[2].value == '=HYPERLINK("http://evil","点我")'
    assert tricky[2].data_type == "s" and tricky[2].quotePrefix
    assert tricky[4].value == "+8613855640001" and tricky[4].quotePrefix


async def test_each_form_lists_its_own_households(app: App, town, tmp_path: Path) -> None:
    paths = await export_forms(app, CLI_OPERATOR, "大河村", out_dir=tmp_path)
    assert len(paths) == 6
    names = {
        n: [r["户主姓名"] for r in _rows(_sheet(_by_name(paths, "大河村", n)))] for n in range(1, 7)
    }
    assert names[1] == ["黄家富"]
    assert names[2] == ["赵春花"]
    assert names[4] == ["刘德明"]
    assert names[5] == ["陈玉珍"]
    assert names[6] == ["杨志强"]
    assert names[3] == ['=HYPERLINK("http://evil","点我")', "张桂英"]  # by 组
    assert "孙长林" not in [name for listed in names.values() for name in listed]

    adjusted = _rows(_sheet(_by_name(paths, "大河村", 1)))[0]
    assert adjusted["调整类型"] == "动态调整掉"
    assert adjusted["调整原因"] == "收入稳定超过监测线"
    assert adjusted["会议记录日期"] == "2026-03-05"
    assert adjusted["原识别时间"] is None and adjusted["县级审定"] is None
    removed = _rows(_sheet(_by_name(paths, "大河村", 2)))[0]
    assert removed["调整类型"] == "风险消除" and removed["户编号"]
    assert "是否整户无劳动能力" in removed

    lifted = _rows(_sheet(_by_name(paths, "大河村", 4)))[0]
    assert lifted["返贫风险1"] == "因学" and lifted["脱贫年度"] is None
    no_policy = _rows(_sheet(_by_name(paths, "大河村", 5)))[0]
    assert no_policy["是否监测对象"] == "是" and no_policy["帮扶联系人"] == "王建国"
    policy = _rows(_sheet(_by_name(paths, "大河村", 6)))[0]
    assert policy["帮扶责任人"] == "王建国" and policy["电话"].startswith("1390564")
    assert _sheet(_by_name(paths, "大河村", 6))["A2"].value == "大河村享受政策脱贫户花名册"


async def test_village_admin_exports_own_village_with_masked_id_numbers(
    app: App, town, tmp_path: Path
) -> None:
    admin: Actor = town["admin"]
    paths = await export_forms(app, admin, out_dir=tmp_path)
    assert len(paths) == 6 and all(path.name.startswith("大河村_") for path in paths)
    rows = _rows(_sheet(_by_name(paths, "大河村", 3)))
    zhang = next(row for row in rows if row["户主姓名"] == "张桂英")
    assert zhang["身份证号"] == "3415**********0014"
    with pytest.raises(NotAllowed):
        await export_forms(app, admin, "柳树村", out_dir=tmp_path / "other")
    assert not (tmp_path / "other").exists()


async def test_contact_person_may_not_export_and_unknown_village_is_named(
    app: App, town, tmp_path: Path
) -> None:
    with pytest.raises(NotAllowed):
        await export_forms(app, town["contact"], out_dir=tmp_path)
    with pytest.raises(NotFound) as error:
        await export_forms(app, CLI_OPERATOR, "不存在村", out_dir=tmp_path)
    assert "不存在村" in error.value.render()


async def test_other_meeting_records_do_not_confuse_the_adjustment(
    app: App, town, tmp_path: Path
) -> None:
    household = town["households"]["adjusted_out"]
    async with app.uow() as uow:
        uow.session.add(_meeting_record(uow, household.id, "category", "类别调整"))
        await uow.commit()
    paths = await export_forms(app, CLI_OPERATOR, "大河村", out_dir=tmp_path)
    adjusted = _rows(_sheet(_by_name(paths, "大河村", 1)))[0]
    assert adjusted["调整原因"] == "收入稳定超过监测线"
