"""The town office reads the monthly coverage summary and exports the six forms in Telegram.

Everything goes through the real dispatcher (or the real outbox sender) to the Bot API
stand-in; the chart is decoded as a PNG and the workbooks are opened with openpyxl.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from bot.clock import FrozenClock, Month
from bot.core.delivery.kinds import MessageKind
from bot.core.policy import CLI_OPERATOR, Actor
from bot.core.reports.summaries import summary_for_month
from bot.domain.model import ContactChannel, Role
from bot.storage.models import Household, OutboxMessage
from bot.storage.uow import App
from bot.telegram.session import pacer_of
from scheduler.catchup import run_if_due
from scheduler.jobs import JOBS, run_job
from scheduler.sender import OutboxSender
from tests.e2e.conftest import RunningBot
from tests.form_tables import form_rows
from tests.telegram_api import BotMessage, FakeTelegram, StoredFile, TelegramGroup, TelegramUser
from tests.town_builder import TownBuilder

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FEBRUARY = Month(2026, 2)
FORM_TITLES = [
    "附件1：《大河村边缘户动态调整表格》",
    "附件2：《大河村脱贫监测户动态调整表格》",
    "附件3：《大河村边缘户摸底表》",
    "附件4：《大河村脱贫监测户摸底表》",
    "附件5：《大河村不享受政策脱贫户花名册》",
    "附件6：《大河村享受政策脱贫户花名册》",
]


@dataclass
class Town:
    builder: TownBuilder
    group: TelegramGroup
    director: TelegramUser  # 周主任, town office
    contact: TelegramUser  # 王建国, a contact person of 大河村, also in the group
    admin: TelegramUser  # 孙书记, 大河村's village admin
    wang: Actor


def local(clock: FrozenClock, day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=clock.tz)


@pytest.fixture
async def town(
    app: App,
    clock: FrozenClock,
    running_bot: RunningBot,
    town_office_group: TelegramGroup,
    make_user,  # type: ignore[no-untyped-def]
) -> Town:
    """Two villages on the list since January; in February three of their five households
    were contacted, by home visit, phone and WeChat."""
    builder = TownBuilder(app)
    director, contact, admin = make_user("周主任"), make_user("王建国"), make_user("孙书记")
    clock.set(local(clock, date(2026, 1, 15)))
    dahe, liushu = await builder.village("大河村"), await builder.village("柳树村")
    await builder.person("周主任", Role.TOWN_OFFICE, telegram_user_id=director.id)
    await builder.person("孙书记", Role.VILLAGE_ADMIN, dahe, telegram_user_id=admin.id)
    wang = await builder.person("王建国", Role.CONTACT, dahe, telegram_user_id=contact.id)
    li = await builder.person("李秀兰", Role.CONTACT, liushu)
    zhang = await builder.household(dahe, "张桂英", wang)
    chen = await builder.household(dahe, "陈德明", wang)
    await builder.household(dahe, "周玉珍", wang)
    zhao = await builder.household(liushu, "赵金山", li)
    await builder.household(liushu, "刘长林", li)
    clock.set(local(clock, date(2026, 2, 28), 18))
    await builder.contact(zhang, wang, date(2026, 2, 3), ContactChannel.HOME_VISIT)
    await builder.contact(chen, wang, date(2026, 2, 12), ContactChannel.PHONE)
    await builder.contact(zhao, li, date(2026, 2, 20), ContactChannel.WECHAT)
    clock.set(local(clock, date(2026, 3, 10)))
    return Town(builder, town_office_group, director, contact, admin, wang)


def workbook_of(document: StoredFile):  # type: ignore[no-untyped-def]
    return load_workbook(BytesIO(document.data))


def assert_phone_sized_png(photo: StoredFile) -> None:
    assert photo.data.startswith(PNG_SIGNATURE)
    image = Image.open(BytesIO(photo.data))
    image.load()
    assert image.format == "PNG"
    assert image.width == 1080 and 600 < image.height < 3000


async def three_parts(chat: TelegramGroup | TelegramUser) -> tuple[BotMessage, ...]:
    """The summary's message, chart and workbook, in that order."""
    return tuple([await chat.next_message() for _ in range(3)])


async def test_town_office_asks_for_last_months_summary_in_its_group(app: App, town: Town) -> None:
    expected = await summary_for_month(app, CLI_OPERATOR, FEBRUARY)

    await town.director.send("/summary", chat=town.group)

    text, chart, workbook = await three_parts(town.group)
    assert text.text.startswith("📊 2026年2月")
    assert "全镇：已联系 3/5 户，覆盖率 60%" in text.text
    assert "大河村 67%（2/3）" in text.text and "柳树村 50%（1/2）" in text.text
    assert chart.photo is not None and "2026年2月" in chart.text
    assert_phone_sized_png(chart.photo)
    assert workbook.document is not None
    assert workbook.document.filename == "2026-02帮扶联系覆盖情况.xlsx"
    book = workbook_of(workbook.document)
    assert book.sheetnames == ["全镇", "大河村", "柳树村"]
    totals = next(row for row in book["全镇"].iter_rows(values_only=True) if row[0] == "合计")
    assert totals[1:4] == (
        expected.town.households,
        expected.town.contacted,
        expected.town.uncontacted,
    )
    assert totals[1:4] == (5, 3, 2)
    await town.group.expect_no_message()


async def test_a_month_is_asked_for_as_people_write_it_and_the_running_month_says_so_far(
    town: Town,
) -> None:
    for typed in ("2026年2月", "2026.2", "2026/02", "2月"):
        await town.director.send(f"/summary {typed}", chat=town.group)
        text, chart, workbook = await three_parts(town.group)
        assert workbook.document is not None
        assert workbook.document.filename == "2026-02帮扶联系覆盖情况.xlsx", typed

    await town.director.send("/summary 2026年13月", chat=town.group)
    await town.group.expect("月份请按 YYYY-MM 填写（也可以写 2026年3月、2026.3 或 3月）")

    await town.director.send("/summary 2026-04", chat=town.group)
    await town.group.expect("2026-04 还没有开始")

    await town.director.send("/summary 3月")  # in private, too
    text, chart, workbook = await three_parts(town.director)
    assert text.text.startswith("⏳ 2026年3月还没有结束，下面是截至 2026-03-10 的情况。")
    assert chart.photo is not None and workbook.document is not None
    assert workbook.document.filename == "2026-03帮扶联系覆盖情况.xlsx"


async def test_contact_persons_and_village_admins_cannot_read_the_town_summary(
    town: Town,
) -> None:
    await town.contact.send("/summary", chat=town.group)  # the group is the town office's
    refusal = await town.group.expect("这个群里只有镇扶贫办的人可以操作")
    await town.group.expect_no_message()
    assert refusal.photo is None and refusal.document is None

    await town.contact.send("/summary")
    await town.contact.expect("只有镇扶贫办可以查看全镇月度汇总")
    await town.contact.send("/export forms 大河村")
    await town.contact.expect("只有镇扶贫办和村管理员可以导出附件表格")
    await town.admin.send("/summary")
    await town.admin.expect("只有镇扶贫办可以查看全镇月度汇总")
    await town.contact.expect_no_message()


async def test_reports_are_not_given_in_a_group_other_than_the_town_offices(
    town: Town,
    make_group,  # type: ignore[no-untyped-def]
) -> None:
    village_group = make_group("大河村两委")
    await town.director.send("/summary", chat=village_group)
    await village_group.expect("只发在镇扶贫办的群里")
    await town.director.send("/export forms 大河村", chat=village_group)
    await village_group.expect("只发在镇扶贫办的群里")
    await village_group.expect_no_message()


async def test_town_office_exports_a_villages_six_forms_as_documents(town: Town) -> None:
    await town.director.send("/export forms 大河村", chat=town.group)

    documents = [await town.group.next_message() for _ in FORM_TITLES]
    await town.group.expect_no_message()
    assert [message.text for message in documents] == FORM_TITLES
    for message in documents:
        assert message.document is not None and "大河村" in message.document.filename
    roster = workbook_of(documents[2].document).active  # type: ignore[arg-type]
    assert (roster["A1"].value, roster["A2"].value) == ("附件3", "大河村边缘户摸底表")
    rows = form_rows(roster)
    assert {row["户主姓名"] for row in rows} == {"张桂英", "陈德明", "周玉珍"}
    assert all("*" not in str(row["身份证号"]) for row in rows)  # full IDs for the town office


async def test_export_without_a_village_offers_buttons_and_an_unknown_village_lists_them(
    town: Town,
) -> None:
    await town.director.send("/export forms 大湖村", chat=town.group)
    answer = await town.group.expect("没有找到“大湖村”这个村")
    assert "可以导出的村：大河村、柳树村" in answer.text

    await town.director.send("/export", chat=town.group)
    offer = await town.group.expect("导出哪个村的六张表")
    assert offer.button_texts == ["📄 大河村", "📄 柳树村"]
    await town.director.press("📄 柳树村", offer, chat=town.group)
    documents = [await town.group.next_message() for _ in FORM_TITLES]
    assert documents[0].text == "附件1：《柳树村边缘户动态调整表格》"
    assert all(m.document and "柳树村" in m.document.filename for m in documents)


async def test_a_village_admin_exports_only_their_own_village_with_ids_masked(
    town: Town,
) -> None:
    await town.admin.send("/export")
    documents = [await town.admin.next_message() for _ in FORM_TITLES]
    assert [message.text for message in documents] == FORM_TITLES
    roster = workbook_of(documents[2].document).active  # type: ignore[arg-type]
    assert all("*" in str(row["身份证号"]) for row in form_rows(roster))

    await town.admin.send("/export forms 柳树村")
    await town.admin.expect("您只能导出本村的表格")  # forms.py: own village only
    await town.admin.expect_no_message()


async def test_on_the_first_at_eight_the_group_gets_last_months_summary_once_as_it_was_kept(
    app: App, clock: FrozenClock, running_bot: RunningBot, town: Town
) -> None:
    job = JOBS["monthly_summary"]
    clock.set(local(clock, date(2026, 3, 1), 8))

    assert await run_if_due(app, job) == 1
    assert await run_if_due(app, job) is None
    assert await run_job(app, job, clock.now()) == 0
    async with app.uow() as uow:
        rows = (
            await uow.session.execute(
                select(OutboxMessage).where(OutboxMessage.kind == MessageKind.MONTHLY_SUMMARY)
            )
        ).scalars()
        assert [row.recipient for row in rows] == [f"chat:{town.group.id}"]

    # Before it goes out, 王建国 logs a February home visit to 周玉珍 at last: the summary
    # goes out as it was kept, and the visit is a late entry in March's.
    clock.set(local(clock, date(2026, 3, 1), 9))
    zhou = await household_named(app, "周玉珍")
    await town.builder.contact(zhou, town.wang, date(2026, 2, 26), ContactChannel.HOME_VISIT)
    assert running_bot.bot is not None
    pacer_of(running_bot.bot).chat_limits = False  # content, not pacing
    sender = OutboxSender(app, running_bot.bot)
    assert await sender.drain_once() == 1

    text, chart, workbook = await three_parts(town.group)
    assert "全镇：已联系 3/5 户" in text.text
    assert chart.photo is not None
    assert_phone_sized_png(chart.photo)
    assert workbook.document is not None
    assert workbook_of(workbook.document).sheetnames == ["全镇", "大河村", "柳树村"]
    await town.group.expect_no_message()
    assert await sender.drain_once() == 0

    await town.director.send("/summary 2026-02", chat=town.group)
    again, _chart, _workbook = await three_parts(town.group)
    assert again.text == text.text
    await town.director.send("/summary 2026-03", chat=town.group)
    march, _chart, _workbook = await three_parts(town.group)
    assert "· 大河村 周玉珍（1组）：2026-02-26 入户走访，王建国 于 2026-03-01 补录" in march.text


async def household_named(app: App, head_name: str) -> Household:
    async with app.uow() as uow:
        query = select(Household).where(Household.head_name == head_name)
        return (await uow.session.execute(query)).scalar_one()


async def test_a_summary_cut_short_by_a_server_error_sends_only_what_is_left_on_retry(
    app: App, clock: FrozenClock, running_bot: RunningBot, town: Town, telegram: FakeTelegram
) -> None:
    clock.set(local(clock, date(2026, 3, 1), 8))
    await run_if_due(app, JOBS["monthly_summary"])
    assert running_bot.bot is not None
    pacer_of(running_bot.bot).chat_limits = False  # content, not pacing
    sender = OutboxSender(app, running_bot.bot)
    telegram.fail_next("sendDocument", 502, "Bad Gateway", chat_id=town.group.id)

    assert await sender.drain_once() == 0  # the text and the chart went; the workbook waits
    clock.set(local(clock, date(2026, 3, 1), 9))
    assert await sender.drain_once() == 1

    sent = town.group.read_all()
    assert [(m.photo is not None, m.document is not None) for m in sent] == [
        (False, False),
        (True, False),
        (False, True),
    ]
    assert sent[2].document is not None
    assert sent[2].document.filename == "2026-02帮扶联系覆盖情况.xlsx"
