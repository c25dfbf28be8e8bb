"""The town office's monthly summary: the message, the chart, the workbook, and the snapshot
that keeps a sent month as it was."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook
from PIL import Image

from bot.clock import FrozenClock, Month
from bot.core.coverage.month_coverage import coverage_for_month
from bot.core.coverage.month_summary import MonthCoverage
from bot.core.policy import CLI_OPERATOR, Actor
from bot.core.reports.summaries import record_sent, summary_for_month
from bot.documents import summary_chart
from bot.documents.summary_report import render_report, summary_text, summary_workbook
from bot.domain.model import Role
from bot.errors import NotAllowed
from bot.i18n import use_language
from bot.storage.models import Contact
from bot.storage.uow import App
from bot.utf16 import utf16_len
from tests.month_data import FEBRUARY, MARCH, TZ, generate, insert


@pytest.fixture
async def february(app: App) -> MonthCoverage:
    await insert(app, generate())
    return await summary_for_month(app, CLI_OPERATOR, FEBRUARY)


async def test_town_office_reads_a_short_chinese_message_with_every_village(
    february: MonthCoverage,
) -> None:
    text = summary_text(february)
    town = february.town
    assert text.startswith("📊 2026年2月")
    assert f"已联系 {town.contacted}/{town.households} 户" in text
    for village in february.villages:
        share = f"{village.tally.contacted / village.tally.households:.0%}"
        assert (
            f"{village.name} {share}（{village.tally.contacted}/{village.tally.households}）"
            in text
        )
    assert f"⚠️ {town.uncontacted} 户没有联系：" in text and "名单见表格" not in text
    for village in february.villages:  # every uncontacted household named (31: one screen)
        for line in village.uncontacted:
            assert f"{line.head_name}（{line.group}）" in text
    assert f"{len(february.unassigned)} 户没有帮扶联系人" in text
    assert "刘玉珍" in text  # unreachable
    assert utf16_len(text) < 4096  # one Telegram message


async def test_summary_message_follows_the_readers_language(february: MonthCoverage) -> None:
    with use_language("en"):
        text = summary_text(february)
    assert text.startswith("📊 Monthly contact summary, 2/2026")
    assert f"{february.town.contacted} of {february.town.households} households" in text


async def test_chart_is_a_phone_sized_png_drawn_with_a_chinese_font(
    february: MonthCoverage,
) -> None:
    report = render_report(february, TZ)
    image = Image.open(BytesIO(report.chart_png))
    image.load()
    assert image.format == "PNG"
    assert image.width == 1080 and 600 < image.height < 3000
    assert len(image.convert("RGB").getcolors(maxcolors=100_000) or []) > 50  # not blank
    assert summary_chart.chinese_font_family() == "Noto Sans CJK SC"


async def test_chart_refuses_to_draw_boxes_without_a_chinese_font(
    february: MonthCoverage, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary_chart.chinese_font_family.cache_clear()
    monkeypatch.setattr(summary_chart, "CJK_FAMILIES", ("DejaVu Sans",))
    try:
        with pytest.raises(summary_chart.MissingCJKFont) as error:
            render_report(february, TZ)
        assert "fonts-noto-cjk" in error.value.render()
    finally:
        summary_chart.chinese_font_family.cache_clear()


async def test_workbook_has_a_town_sheet_and_one_per_village(february: MonthCoverage) -> None:
    workbook = load_workbook(BytesIO(summary_workbook(february, TZ)))
    assert workbook.sheetnames == ["全镇", "大河村", "柳树村", "桃园村", "石门村"]
    town = workbook["全镇"]
    assert town["A1"].value == "2026年2月帮扶联系覆盖情况"
    headers = [cell.value for cell in town[3]]
    assert headers[:7] == [
        "村",
        "应联系户数",
        "已联系",
        "未联系",
        "覆盖率",
        "入户走访户数",
        "入户走访占比",
    ]
    assert all(cell.font.b for cell in town[3] if cell.value)
    first = february.villages[0]
    row = [cell for cell in town[4]]
    assert row[0].value == first.name
    assert (row[1].value, row[2].value) == (first.tally.households, first.tally.contacted)
    assert row[4].value == pytest.approx(first.tally.coverage)
    assert row[4].number_format == "0.0%"
    total = [cell.value for cell in town[4 + len(february.villages)]]
    assert total[:3] == ["合计", february.town.households, february.town.contacted]
    assert town.column_dimensions["A"].width >= 8

    sheet = workbook[first.name]
    listed = {row[3] for row in sheet.iter_rows(values_only=True) if row and row[0] == first.name}
    assert {line.head_name for line in first.uncontacted} <= listed


async def test_a_sent_month_stays_as_it_was_and_late_entries_show_next_month(
    app: App, clock: FrozenClock
) -> None:
    await insert(app, generate())
    clock.set(datetime(2026, 3, 1, 8, 0, tzinfo=TZ))
    sent = await summary_for_month(app, CLI_OPERATOR, FEBRUARY)
    await record_sent(app, FEBRUARY, sent)

    clock.set(datetime(2026, 3, 12, 9, 0, tzinfo=TZ))
    missed = next(village.uncontacted[0] for village in sent.villages if village.uncontacted)
    late = await _log_backdated_contact(app, missed.household_id, day=date(2026, 2, 27))
    live = await coverage_for_month(app, CLI_OPERATOR, FEBRUARY)
    assert live.town.contacted == sent.town.contacted + 1
    assert await summary_for_month(app, CLI_OPERATOR, FEBRUARY) == sent
    # Recording February again (a retried job) keeps the first snapshot.
    again = await summary_for_month(app, CLI_OPERATOR, FEBRUARY)
    assert await record_sent(app, FEBRUARY, again) == sent

    clock.set(datetime(2026, 4, 1, 8, 0, tzinfo=TZ))
    march = await summary_for_month(app, CLI_OPERATOR, MARCH)
    assert late.id in {entry.contact_id for entry in march.late_entries}
    assert all(entry.occurred_on < date(2026, 3, 1) for entry in march.late_entries)
    assert "补录" in summary_text(march)
    await record_sent(app, MARCH, march)

    clock.set(datetime(2026, 5, 1, 8, 0, tzinfo=TZ))
    april = await summary_for_month(app, CLI_OPERATOR, Month(2026, 4))
    assert late.id not in {entry.contact_id for entry in april.late_entries}


async def test_only_the_town_office_reads_the_town_summary(app: App) -> None:
    admin = Actor(person_id=None, name="村支书", role=Role.VILLAGE_ADMIN, village_id=1)
    with pytest.raises(NotAllowed):
        await summary_for_month(app, admin, FEBRUARY)


async def _log_backdated_contact(app: App, household_id: int, day: date) -> Contact:
    async with app.uow() as uow:
        contact = Contact(
            household_id=household_id,
            person_id=1,
            occurred_on=day,
            entered_at=uow.clock.now(),
            channel="video",
            problems=[],
            events=[],
            status="active",
            draft_key="late-entry",
        )
        uow.session.add(contact)
        await uow.commit()
        return contact


async def test_a_month_with_nobody_to_contact_still_renders(app: App) -> None:
    empty = await summary_for_month(app, CLI_OPERATOR, FEBRUARY)
    report = render_report(empty, TZ)
    assert "0/0" in report.text
    assert Image.open(BytesIO(report.chart_png)).width == 1080
    assert load_workbook(BytesIO(report.workbook_xlsx)).sheetnames == ["全镇"]
