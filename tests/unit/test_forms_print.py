"""The six forms print: each converted to PDF by LibreOffice is A4 landscape, at least 9 pt,
split into pages that each repeat the identifying columns, and carries 附件N, its title,
填报单位, 填报日期, 填表人, 审核人 and 第 N 页 共 M 页."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.core.policy import CLI_OPERATOR
from bot.core.reports.form_layout import FORMS, headers
from bot.documents.forms import export_forms
from bot.documents.spreadsheet import display_width, page_starts
from bot.domain.model import Category
from bot.storage.models import HouseholdChange
from bot.storage.uow import App
from tests.printed_pdf import is_a4_landscape, pages, print_to_pdf
from tests.town_builder import TownBuilder

MARGINAL_HOUSEHOLDS = 30  # more than one printed page tall
SMALLEST_READABLE_POINTS = 9
LONG_REASON = "家庭主要劳动力外出务工收入稳定，两不愁三保障一安全均有保障，经村两委会议研究同意调整"


@pytest.fixture
async def village(app: App) -> dict[str, list[str]]:
    """大河村 with a household in every form; returns each form's households' ID numbers."""
    app.settings.town_name = "佛子岭镇"
    build = TownBuilder(app)
    dahe = await build.village("大河村")
    wang = await build.person("王建国", village=dahe)
    listed: dict[int, list[str]] = {n: [] for n in range(1, 7)}
    for n in range(MARGINAL_HOUSEHOLDS):
        household = await build.household(
            dahe, None, wang, f"{n % 5 + 1}组", risk_types=["01", "0203", "07"][: n % 4]
        )
        listed[3].append(household.id_number)
        if n % 3 == 0:
            await build.contact(household, wang, date(2026, 3, 2), problems=["housing"])
    kinds = [
        (1, Category.MARGINAL, "adjusted_out"),
        (2, Category.LIFTED_MONITORED, "risk_removed"),
        (4, Category.LIFTED_MONITORED, "monitored"),
        (5, Category.LIFTED_NO_POLICY, "monitored"),
        (6, Category.LIFTED_POLICY, "monitored"),
    ]
    for form, category, status in kinds:
        household = await build.household(dahe, None, wang, category=category, status=status)
        listed[form].append(household.id_number)
        if status != "monitored":
            async with app.uow() as uow:
                uow.session.add(
                    HouseholdChange(
                        household_id=household.id,
                        kind="adjusted_out",
                        old_value="monitored",
                        new_value=status,
                        reason=LONG_REASON,
                        meeting_on=date(2026, 3, 5),
                        actor_id=None,
                        actor_label="cli",
                        at=uow.clock.now(),
                    )
                )
                await uow.commit()
    return {str(n): ids for n, ids in listed.items()}


async def test_each_form_prints_on_a4_landscape_readable_with_its_heading_on_every_page(
    app: App, village: dict[str, list[str]], tmp_path: Path
) -> None:
    paths = await export_forms(app, CLI_OPERATOR, "大河村", out_dir=tmp_path / "forms")
    pdfs = print_to_pdf(paths, tmp_path)
    for form, path in zip(FORMS, paths, strict=True):
        printed = pages(pdfs[path.stem])
        across = len(load_workbook(path).active.col_breaks.brk) + 1  # pages side by side
        tall = 2 if form.number == 3 else 1  # 30 households take two pages down
        assert len(printed) == across * tall, (form.name, len(printed))
        assert across > 1 or form.number != 4  # 23 columns go on over pages
        for number, page in enumerate(printed, start=1):
            where = f"附件{form.number} page {number}"
            assert is_a4_landscape(page), (where, page.width, page.height)
            assert page.smallest_font >= SMALLEST_READABLE_POINTS, (where, page.smallest_font)
            for line in (
                f"附件{form.number}",
                f"大河村{form.name}",  # the Chinese prints as Chinese, not as empty boxes
                "填报单位：佛子岭镇大河村",
                "填报日期：2026年3月10日",
                "填表人：",
                "审核人：",
                f"第 {number} 页 共 {len(printed)} 页",
                "户主姓名",  # the identifying columns, repeated on every page
            ):
                assert line in page.text, (where, line)
            assert ("户编号" in page.text) == form.numbered, where
        text = "\n".join(page.text for page in printed)
        for id_number in village[str(form.number)]:
            assert text.count(id_number) == 1, (form.name, id_number)  # printed whole, once
        unwrapped = [header for header in headers(form) if display_width(header) <= 8]
        assert [header for header in unwrapped if header not in text] == [], form.name


def test_columns_printed_together_are_never_split_across_pages() -> None:
    widths = [6, 6, 10, *([20] * 12)]
    together = [False] * len(widths)
    together[8] = together[9] = True  # like 致贫风险1–3
    starts = page_starts(widths, 3, together)
    assert starts and not any(together[start] for start in starts)
    bounds = [3, *starts, len(widths)]
    for first, end in itertools.pairwise(bounds):  # each page, with the repeated columns
        assert page_starts(widths[:3] + widths[first:end], 3, [False] * (3 + end - first)) == []
