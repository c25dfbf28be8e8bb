"""The monthly summary job: on the 1st at 08:00 the town office gets the month just ended,
kept as it was sent, queued once per recipient, caught up after downtime."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.clock import FrozenClock, Month
from bot.config import Settings
from bot.core.delivery.kinds import MessageKind
from bot.core.policy import CLI_OPERATOR, Actor
from bot.core.reports.summaries import summary_for_month
from bot.domain.model import ContactChannel, Role
from bot.messages.renderers import render
from bot.messages.rendering import Attachment, FileKind, OutgoingMessage
from bot.messages.summary_notices import summary_messages
from bot.storage.models import Household, OutboxMessage, Person
from bot.storage.summary_models import CoverageSnapshot
from bot.storage.uow import App, UnitOfWork
from scheduler.catchup import catch_up, run_if_due
from scheduler.jobs import JOBS, run_job
from scheduler.ladder import LadderJob, latest_moment, moments, next_moment
from tests.town_builder import TownBuilder

FEBRUARY = Month(2026, 2)
SUMMARY = JOBS[LadderJob.MONTHLY_SUMMARY]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def local(clock: FrozenClock, day: date, hour: int = 8, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=clock.tz)


async def february_town(app: App, clock: FrozenClock) -> TownBuilder:
    """Two villages on the list since January; in February three of four households were
    contacted (one twice), and two town-office people use the bot."""
    town = TownBuilder(app)
    clock.set(local(clock, date(2026, 1, 20), 10))
    dahe, liushu = await town.village("大河村"), await town.village("柳树村")
    wang = await town.person("王建国", Role.CONTACT, dahe, telegram_user_id=7001)
    li = await town.person("李秀兰", Role.CONTACT, liushu, telegram_user_id=7002)
    first = await town.household(dahe, "张桂英", wang)
    second = await town.household(dahe, "陈德明", wang)
    third = await town.household(liushu, "周玉珍", li)
    await town.household(liushu, "赵金山", li)
    await town.person("孙主任", Role.TOWN_OFFICE, telegram_user_id=7101)
    await town.person("钱干事", Role.TOWN_OFFICE, telegram_user_id=7102)
    await town.person("吴干事", Role.TOWN_OFFICE)  # not on Telegram: nothing to send to
    clock.set(local(clock, date(2026, 2, 27), 18))
    await town.contact(first, wang, date(2026, 2, 3), ContactChannel.HOME_VISIT)
    await town.contact(first, wang, date(2026, 2, 17), ContactChannel.PHONE)
    await town.contact(second, wang, date(2026, 2, 25), ContactChannel.WECHAT)
    await town.contact(third, li, date(2026, 2, 26), ContactChannel.HOME_VISIT)
    return town


async def summary_rows(app: App) -> list[OutboxMessage]:
    async with app.uow() as uow:
        query = select(OutboxMessage).where(OutboxMessage.kind == MessageKind.MONTHLY_SUMMARY)
        return list((await uow.session.execute(query.order_by(OutboxMessage.id))).scalars())


def test_the_summary_comes_on_the_first_at_eight_before_the_reminders(
    settings: Settings, clock: FrozenClock
) -> None:
    assert moments(LadderJob.MONTHLY_SUMMARY, settings, Month(2026, 4)) == [
        local(clock, date(2026, 4, 1))
    ]
    assert next_moment(LadderJob.MONTHLY_SUMMARY, settings, clock.now()) == local(
        clock, date(2026, 4, 1)
    )
    early = local(clock, date(2026, 4, 1), 7, 59)
    assert latest_moment(LadderJob.MONTHLY_SUMMARY, settings, early) is None
    # Reminders keep their own hour.
    assert moments(LadderJob.VILLAGE_LIST, settings, Month(2026, 4))[0].hour == 9


async def test_on_the_first_the_job_keeps_last_month_and_queues_it_once_per_town_office_person(
    app: App, clock: FrozenClock
) -> None:
    await february_town(app, clock)
    clock.set(local(clock, date(2026, 3, 1)))

    assert await run_if_due(app, SUMMARY) == 2
    rows = await summary_rows(app)
    async with app.uow() as uow:
        office = [(await _person(uow, name)).person_id for name in ("孙主任", "钱干事")]
    assert [row.recipient for row in rows] == [f"person:{person_id}" for person_id in office]
    assert [row.key for row in rows] == [f"summary:2026-02@person:{i}" for i in office]
    assert all(row.payload == {"month": "2026-02", "town_id": 1} for row in rows)
    async with app.uow() as uow:
        kept = (await uow.session.execute(select(CoverageSnapshot))).scalars().all()
    assert [snapshot.month for snapshot in kept] == ["2026-02"]
    assert kept[0].data["town"]["contacted"] == 3

    # The scheduler waking again, and an operator running it by hand: nothing new.
    clock.set(local(clock, date(2026, 3, 1), 8, 5))
    assert await run_if_due(app, SUMMARY) is None
    assert await run_job(app, SUMMARY, local(clock, date(2026, 3, 1))) == 0
    assert len(await summary_rows(app)) == 2


async def test_with_a_town_office_group_the_summary_goes_to_the_group_alone(
    app: App, clock: FrozenClock, settings: Settings
) -> None:
    await february_town(app, clock)
    settings.town_office_chat_id = -100777
    clock.set(local(clock, date(2026, 3, 1)))

    assert await run_if_due(app, SUMMARY) == 1
    assert [row.recipient for row in await summary_rows(app)] == ["chat:-100777"]


async def test_a_summary_missed_while_the_service_was_down_is_caught_up_once(
    app: App, clock: FrozenClock
) -> None:
    await february_town(app, clock)
    clock.set(local(clock, date(2026, 3, 3), 14))  # down from the 28th until the 3rd

    assert (await catch_up(app))["monthly_summary"] == 2
    assert "monthly_summary" not in await catch_up(app)
    async with app.uow() as uow:
        count = select(func.count(CoverageSnapshot.id))
        assert (await uow.session.execute(count)).scalar_one() == 1
    assert {row.payload["month"] for row in await summary_rows(app)} == {"2026-02"}


async def test_the_message_shows_the_month_as_kept_and_later_backdating_is_a_late_entry(
    app: App, clock: FrozenClock
) -> None:
    town = await february_town(app, clock)
    clock.set(local(clock, date(2026, 3, 1)))
    await run_if_due(app, SUMMARY)

    # On the 2nd, 赵金山's February phone call is logged at last.
    clock.set(local(clock, date(2026, 3, 2), 9))
    async with app.uow() as uow:
        zhao = await _household(uow, "赵金山")
        li = await _person(uow, "李秀兰")
    await town.contact(zhao, li, date(2026, 2, 27), ContactChannel.PHONE)

    async with app.uow() as uow:
        row = (await summary_rows(app))[0]
        parts = await render(uow, row, "zh")
    text, chart, workbook = parts
    assert "全镇：已联系 3/4 户" in text.text  # as sent, not 4/4
    assert chart.attachment is not None and chart.attachment.kind is FileKind.PHOTO
    assert chart.attachment.data.startswith(PNG_SIGNATURE)
    assert workbook.attachment is not None
    assert workbook.attachment.filename == "2026-02帮扶联系覆盖情况.xlsx"
    sheets = load_workbook(BytesIO(workbook.attachment.data)).sheetnames
    assert sheets == ["全镇", "大河村", "柳树村"]

    # March, asked for while it runs: the late entry is listed, by name.
    march = await summary_for_month(app, CLI_OPERATOR, Month(2026, 3))
    assert [late.household.head_name for late in march.late_entries] == ["赵金山"]
    text = (await summary_messages(march, clock.tz, so_far=clock.today()))[0].text
    assert text.startswith("⏳ 2026年3月还没有结束，下面是截至 2026-03-02 的情况。")
    assert "· 柳树村 赵金山（1组）：2026-02-27 电话，李秀兰 于 2026-03-02 补录" in text


def test_a_file_part_is_kept_on_the_row_and_read_back_byte_for_byte() -> None:
    part = OutgoingMessage(
        "附件3：《大河村边缘户摸底表》",
        attachment=Attachment(FileKind.DOCUMENT, "大河村_附件3.xlsx", bytes(range(256))),
    )
    assert OutgoingMessage.from_stored(part.stored()) == part
    assert "attachment" not in OutgoingMessage("好").stored()  # text rows keep their shape


async def test_the_summary_follows_the_readers_language(app: App, clock: FrozenClock) -> None:
    await february_town(app, clock)
    clock.set(local(clock, date(2026, 3, 1)))
    await run_if_due(app, SUMMARY)
    async with app.uow() as uow:
        parts = await render(uow, (await summary_rows(app))[0], "en")
    assert parts[0].text.startswith("📊 Monthly contact summary, 2/2026")
    assert parts[-1].attachment is not None
    assert parts[-1].attachment.filename == "2026-02 contact coverage.xlsx"


async def _household(uow: UnitOfWork, head_name: str) -> Household:
    query = select(Household).where(Household.head_name == head_name)
    return (await uow.session.execute(query)).scalar_one()


async def _person(uow: UnitOfWork, name: str) -> Actor:
    person = (await uow.session.execute(select(Person).where(Person.name == name))).scalar_one()
    return Actor(person.id, person.name, Role(person.role), person.village_id, person.town_id)
