"""Queueing messages: each row goes to one recipient and each key is queued once; texts are
split without cutting lines; the status an operator reads."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.core.delivery import outbox
from bot.core.delivery.outbox import (
    ChatAudience,
    OutboxStatus,
    PersonAudience,
    TownOffice,
    VillageAdmins,
    queue,
)
from bot.core.delivery.timing import in_quiet_hours, retry_delay
from bot.core.flags.raising import raise_flag
from bot.domain.model import FlagSource, Role
from bot.messages.keyboards import inline_grid
from bot.messages.rendering import Attachment, FileKind, OutgoingMessage, split_text
from bot.storage.models import OutboxMessage, Person, Village
from bot.storage.uow import App
from bot.utf16 import utf16_len
from tests.town_builder import TownBuilder

GROUP = -1001000000042


async def queue_now(app: App, audience, key: str = "note:1", **options) -> int:  # type: ignore[no-untyped-def]
    async with app.uow() as uow:
        added = await queue(uow, app.settings, audience, key, "note", {"n": 1}, **options)
        await uow.commit()
    return added


async def rows(app: App) -> list[OutboxMessage]:
    async with app.uow() as uow:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        return list((await uow.session.execute(query)).scalars())


async def test_a_message_for_a_person_is_one_row_keyed_by_that_person(app: App):
    town = TownBuilder(app)
    wang = await town.person("王建华", telegram_user_id=700001)

    assert await queue_now(app, PersonAudience(wang.person_id), "reminder:1") == 1

    [row] = await rows(app)
    assert (row.recipient, row.key) == (
        f"person:{wang.person_id}",
        f"reminder:1@person:{wang.person_id}",
    )
    assert (row.status, row.attempts, row.parts_sent, row.parts) == ("queued", 0, 0, None)
    assert row.not_before == app.clock.now()


async def test_the_town_office_is_its_group_when_one_is_configured(app: App):
    town = TownBuilder(app)
    await town.person("周主任", role=Role.TOWN_OFFICE, telegram_user_id=700002)
    app.settings.town_office_chat_id = GROUP

    assert await queue_now(app, TownOffice()) == 1

    [row] = await rows(app)
    assert row.recipient == f"chat:{GROUP}"


async def test_without_a_group_each_reachable_town_office_member_gets_their_own_row(app: App):
    town = TownBuilder(app)
    zhou = await town.person("周主任", role=Role.TOWN_OFFICE, telegram_user_id=700002)
    wu = await town.person("吴干事", role=Role.TOWN_OFFICE, telegram_user_id=700003)
    await town.person("未注册", role=Role.TOWN_OFFICE)  # no Telegram account yet
    gone = await town.person("已调走", role=Role.TOWN_OFFICE, telegram_user_id=700004)
    blocked = await town.person("屏蔽了", role=Role.TOWN_OFFICE, telegram_user_id=700005)
    await town.person("王建华", telegram_user_id=700006)  # a contact person: not the office
    async with app.uow() as uow:
        (await uow.session.get(Person, gone.person_id)).active = False  # type: ignore[union-attr]
        blocked_person = await uow.session.get(Person, blocked.person_id)
        blocked_person.unreachable_since = app.clock.now()  # type: ignore[union-attr]
        await uow.commit()

    assert await queue_now(app, TownOffice(), "flag:9:alert:0") == 2

    assert {row.recipient for row in await rows(app)} == {
        f"person:{zhou.person_id}",
        f"person:{wu.person_id}",
    }
    assert len({row.key for row in await rows(app)}) == 2


async def test_with_nobody_to_reach_yet_the_town_office_row_waits_as_one_row(app: App):
    assert await queue_now(app, TownOffice(), "flag:9:alert:0", urgent=True) == 1

    [row] = await rows(app)
    assert (row.recipient, row.key, row.urgent) == ("town_office", "flag:9:alert:0", True)


async def test_village_lists_go_to_the_village_admins_else_to_the_town_office(app: App):
    town = TownBuilder(app)
    hekou = await town.village("河口村")
    shanwang = await town.village("山王村")
    sun = await town.person("孙书记", role=Role.VILLAGE_ADMIN, village=hekou, telegram_user_id=1)
    await town.person("刘主任", role=Role.VILLAGE_ADMIN, village=shanwang)  # not on Telegram
    zhou = await town.person("周主任", role=Role.TOWN_OFFICE, telegram_user_id=2)

    await queue_now(app, VillageAdmins(hekou.id), "village_list:hekou")
    await queue_now(app, VillageAdmins(shanwang.id), "village_list:shanwang")

    assert [row.recipient for row in await rows(app)] == [
        f"person:{sun.person_id}",
        f"person:{zhou.person_id}",
    ]


async def test_queueing_a_key_again_adds_nothing_and_keeps_the_callers_transaction(app: App):
    town = TownBuilder(app)
    wang = await town.person("王建华", telegram_user_id=700001)
    await queue_now(app, PersonAudience(wang.person_id), "reminder:1")

    async with app.uow() as uow:
        again = await queue(
            uow, app.settings, PersonAudience(wang.person_id), "reminder:1", "note", {}
        )
        uow.session.add(Village(name="东冲村"))  # the caller's own work in the same transaction
        await uow.commit()

    assert again == 0
    assert len(await rows(app)) == 1
    async with app.uow() as uow:
        assert (await uow.session.execute(select(Village.name))).scalar_one() == "东冲村"


async def test_a_key_sent_to_some_town_office_members_is_not_queued_again_for_a_newcomer(app: App):
    town = TownBuilder(app)
    await town.person("周主任", role=Role.TOWN_OFFICE, telegram_user_id=2)
    await queue_now(app, TownOffice(), "town_list:2026-03:d31")
    await town.person("吴干事", role=Role.TOWN_OFFICE, telegram_user_id=3)

    assert await queue_now(app, TownOffice(), "town_list:2026-03:d31") == 0
    # A key that merely starts the same is another message.
    assert await queue_now(app, TownOffice(), "town_list:2026-03:d3") == 2


async def test_a_chat_audience_is_that_chat(app: App):
    assert await queue_now(app, ChatAudience(GROUP)) == 1
    [row] = await rows(app)
    assert row.recipient == f"chat:{GROUP}"


async def test_a_red_flag_alerts_every_town_office_member_urgently(app: App):
    town = TownBuilder(app)
    village = await town.village("河口村")
    zhou = await town.person("周主任", role=Role.TOWN_OFFICE, telegram_user_id=2)
    wu = await town.person("吴干事", role=Role.TOWN_OFFICE, telegram_user_id=3)
    wang = await town.person("王建华", village=village, telegram_user_id=4)
    household = await town.household(village, "张桂英", wang)

    async with app.uow() as uow:
        flag = await raise_flag(uow, wang, household, FlagSource.CONTACT_PERSON, "户主因病住院")
        await uow.commit()

    alerts = await rows(app)
    assert {row.recipient for row in alerts} == {
        f"person:{zhou.person_id}",
        f"person:{wu.person_id}",
    }
    assert all(row.kind == "flag_alert" and row.urgent for row in alerts)
    assert all(row.payload == {"flag_id": flag.id, "repeat": 0} for row in alerts)


async def test_a_town_office_row_is_fanned_out_once_someone_can_be_reached(app: App):
    await queue_now(app, TownOffice(), "flag:9:alert:0", urgent=True)
    async with app.uow() as uow:
        waiting = (await uow.session.execute(select(OutboxMessage))).scalar_one()
        assert await outbox.fan_out_town_office(uow, app.settings, waiting) == 0
        assert waiting.status == OutboxStatus.QUEUED

    zhou = await TownBuilder(app).person("周主任", role=Role.TOWN_OFFICE, telegram_user_id=2)
    async with app.uow() as uow:
        waiting = (await uow.session.execute(select(OutboxMessage))).scalar_one()
        assert await outbox.fan_out_town_office(uow, app.settings, waiting) == 1
        await uow.commit()

    forwarded, for_zhou = await rows(app)
    assert forwarded.status == OutboxStatus.FORWARDED
    assert (for_zhou.recipient, for_zhou.key) == (
        f"person:{zhou.person_id}",
        f"flag:9:alert:0@person:{zhou.person_id}",
    )
    assert for_zhou.urgent and for_zhou.status == OutboxStatus.QUEUED


async def test_status_counts_rows_and_names_the_oldest_waiting(app: App, clock: FrozenClock):
    town = TownBuilder(app)
    people = [await town.person(f"联系人{n}", telegram_user_id=800 + n) for n in range(4)]
    for number, person in enumerate(people):
        await queue_now(app, PersonAudience(person.person_id), f"reminder:{number}")
        clock.advance(minutes=5)
    async with app.uow() as uow:
        first, second, third, _ = (
            await uow.session.execute(select(OutboxMessage).order_by(OutboxMessage.id))
        ).scalars()
        first.status = OutboxStatus.SENT
        second.attempts = 2
        third.status = OutboxStatus.UNDELIVERABLE
        await uow.commit()

    found = await outbox.summary(app)

    assert found.counts["queued"] == 1
    assert found.counts["retrying"] == 1
    assert (found.counts["sent"], found.counts["undeliverable"], found.counts["failed"]) == (
        1,
        1,
        0,
    )
    assert found.oldest_waiting is not None
    assert found.oldest_waiting.key == f"reminder:1@person:{people[1].person_id}"


def test_long_lists_are_split_between_lines_under_the_limit():
    lines = [f"{n:04d} 张桂英（一组）" + "·" * (n % 37) for n in range(900)]

    texts = split_text(lines, limit=4096)

    assert len(texts) > 1
    assert all(utf16_len(text) <= 4096 for text in texts)
    assert [line for text in texts for line in text.split("\n")] == lines


def test_lines_with_emoji_are_measured_as_telegram_does_in_utf16_units():
    # 👤 and 🏘 are one Python character but two UTF-16 units: counted in characters, a
    # part filled to 4,096 is over Telegram's limit and refused.
    lines = [f"👤 王秀英{n:03d} (5)" if n % 2 else f"    张桂英{n:03d}（一组）" for n in range(900)]

    texts = split_text(lines)

    assert all(utf16_len(text) <= 4096 for text in texts)
    assert max(utf16_len(text) for text in texts) > 4000  # still as few parts as fit
    assert [line for text in texts for line in text.split("\n")] == lines


def test_a_short_list_is_one_text_and_a_line_longer_than_the_limit_is_wrapped_not_lost():
    assert split_text(["第一行", "第二行"]) == ["第一行\n第二行"]

    texts = split_text(["word " * 30], limit=50)

    assert all(len(text) <= 50 for text in texts)
    assert " ".join(" ".join(texts).split()) == " ".join(["word"] * 30)

    emoji = split_text(["🏘" * 30], limit=7)  # no space: cut between emoji, never inside one
    assert emoji == ["🏘🏘🏘"] * 10


def test_a_caption_too_long_for_a_file_goes_on_in_messages_after_it_with_the_keyboard():
    keyboard = inline_grid([("📋 详情", "flag:open:1:0")])
    workbook = Attachment(FileKind.DOCUMENT, "2026-02.xlsx", b"xlsx")
    lines = [f"🏘 村{n:03d}：覆盖率 80%" for n in range(200)]

    parts = OutgoingMessage("\n".join(lines), keyboard, workbook).split()

    assert parts[0].attachment == workbook and parts[0].reply_markup is None
    assert utf16_len(parts[0].text) <= 1024
    assert all(part.attachment is None and part.fits() for part in parts[1:])
    assert parts[-1].reply_markup == keyboard
    assert "\n".join(part.text for part in parts).split("\n") == lines


def test_a_part_refused_for_length_is_split_in_halves_until_too_short_to_be_the_reason():
    message = OutgoingMessage("\n".join(f"第{n}行" for n in range(600)))

    halves = message.smaller()

    half = utf16_len(message.text) // 2
    assert len(halves) >= 2 and all(utf16_len(part.text) <= half for part in halves)
    assert "\n".join(part.text for part in halves) == message.text
    assert OutgoingMessage("太短了").smaller() == []


def test_a_rendered_message_is_kept_on_the_row_and_read_back_the_same():
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="✅ 知道了", callback_data="flag:ack:3:0")]]
    )
    message = OutgoingMessage("🚩 红色预警", keyboard)

    assert OutgoingMessage.from_stored(message.stored()) == message
    assert OutgoingMessage.from_stored(OutgoingMessage("好").stored()) == OutgoingMessage("好")


def test_quiet_hours_run_from_nine_in_the_evening_to_eight_in_the_morning(app: App):
    tz = app.settings.tz

    def at(hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 3, 10, hour, minute, tzinfo=tz)

    assert not in_quiet_hours(app.settings, at(20, 59))
    assert in_quiet_hours(app.settings, at(21, 0))
    assert in_quiet_hours(app.settings, at(3))
    assert in_quiet_hours(app.settings, at(7, 59))
    assert not in_quiet_hours(app.settings, at(8, 0))


def test_retries_back_off_doubling_up_to_half_an_hour():
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert retry_delay(30) == timedelta(minutes=30)
