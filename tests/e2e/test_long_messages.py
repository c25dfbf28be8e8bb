"""Nothing is refused for length: long lists reach the town office and the villages whole, in
order, through the real sender and the Bot API stand-in, which counts UTF-16 units and
enforces Telegram's limits as Telegram does."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable
from datetime import datetime

import pytest
from aiogram import Bot
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup
from sqlalchemy import insert, select

from bot.clock import FrozenClock, Month
from bot.config import Settings
from bot.core.coverage import reminders
from bot.core.delivery.kinds import MessageKind
from bot.core.delivery.outbox import ChatAudience, OutboxStatus, queue
from bot.core.households.my_households import household_name
from bot.domain.model import Category, Role
from bot.messages.keyboards import inline_grid
from bot.messages.renderers import RENDERERS
from bot.messages.rendering import OutgoingMessage
from bot.storage.models import Assignment, Household, OutboxMessage, Person, Village
from bot.storage.uow import App
from bot.telegram.app import build_bot
from bot.telegram.limits import TEXT_LIMIT
from bot.utf16 import utf16_len
from scheduler.sender import OutboxSender
from tests.fast_clock import FastClock
from tests.telegram_api import FakeTelegram, TelegramGroup
from tests.town_builder import GIVEN_NAMES, SURNAMES

MARCH = Month(2026, 3)
VILLAGES = 13
HOUSEHOLDS = 3000
BIG_VILLAGE_HOUSEHOLDS = 900  # the first village: its own list is long too
PER_CONTACT_PERSON = 5
LONG_NOTE = "test_long_note"  # a kind only these tests queue: its parts are in the payload


async def long_note(uow, row: OutboxMessage, language: str) -> list[OutgoingMessage]:  # type: ignore[no-untyped-def]
    return [OutgoingMessage(text) for text in row.payload["parts"]]


WITH_LONG_NOTES = {**RENDERERS, LONG_NOTE: long_note}


@pytest.fixture
def fast() -> FastClock:
    return FastClock(10)  # a group's 17 messages a minute pass in six seconds


@pytest.fixture
async def bot(settings: Settings, telegram: FakeTelegram, fast: FastClock) -> AsyncIterator[Bot]:
    """The bot as `bangfu run` builds it, pacing on the fast clock the stand-in enforces."""
    fast.enforce_limits(telegram)
    bot = build_bot(settings, pacer=fast.pacer())
    yield bot
    await bot.session.close()


async def seed_town(app: App) -> dict[int, int]:
    """13 villages, 3,000 monitored households none contacted this month, 5 to a contact
    person; returns each village's Telegram chat of its admin, by village id."""
    now = app.clock.now()
    admins: dict[int, int] = {}
    async with app.uow() as uow:
        villages = [Village(name=f"{SURNAMES[n]}家{'冲岭河山'[n % 4]}村") for n in range(VILLAGES)]
        uow.session.add_all(villages)
        await uow.session.flush()
        sizes = [BIG_VILLAGE_HOUSEHOLDS] + [
            (HOUSEHOLDS - BIG_VILLAGE_HOUSEHOLDS) // (VILLAGES - 1)
        ] * (VILLAGES - 1)
        sizes[-1] += HOUSEHOLDS - sum(sizes)
        serial = 0
        for village, size in zip(villages, sizes, strict=True):
            admins[village.id] = 800_000_000 + village.id
            people = [
                {
                    "name": _name(serial + n, "联系"),
                    "role": Role.CONTACT,
                    "village_id": village.id,
                    "active": True,
                    "created_at": now,
                }
                for n in range(size // PER_CONTACT_PERSON)
            ]
            people.append(
                {
                    "name": f"{village.name}管理员",
                    "role": Role.VILLAGE_ADMIN,
                    "village_id": village.id,
                    "telegram_user_id": admins[village.id],
                    "active": True,
                    "created_at": now,
                }
            )
            person_ids = (
                await uow.session.execute(
                    insert(Person).returning(Person.id, sort_by_parameter_order=True), people
                )
            ).scalars()
            households = [
                {
                    "number": f"T{serial + n:07d}",
                    "village_id": village.id,
                    "group_name": f"{1 + n % 9}组",
                    "head_name": _name(serial + n, ""),
                    "id_number": f"341523197001{serial + n:06d}",
                    "members": 3,
                    "category": Category.MARGINAL,
                    "risk_types": [],
                    "status": "monitored",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(size)
            ]
            household_ids = (
                await uow.session.execute(
                    insert(Household).returning(Household.id, sort_by_parameter_order=True),
                    households,
                )
            ).scalars()
            contact_ids = list(person_ids)[:-1]
            await uow.session.execute(
                insert(Assignment),
                [
                    {
                        "household_id": household_id,
                        "person_id": contact_ids[n // PER_CONTACT_PERSON],
                        "started_at": now,
                    }
                    for n, household_id in enumerate(household_ids)
                ],
            )
            serial += size
        await uow.commit()
    return admins


def _name(serial: int, middle: str) -> str:
    return f"{SURNAMES[serial % 20]}{middle}{GIVEN_NAMES[serial // 20 % 10]}{serial}"


async def all_rows(app: App) -> list[OutboxMessage]:
    async with app.uow() as uow:
        return list((await uow.session.execute(select(OutboxMessage))).scalars())


async def test_3000_uncontacted_households_reach_the_town_office_and_villages_whole_and_in_order(
    app: App,
    telegram: FakeTelegram,
    bot: Bot,
    clock: FrozenClock,
    town_office_group: TelegramGroup,
):
    telegram.unknown_chat_error = False  # the village admins' chats
    admins = await seed_town(app)
    clock.set(datetime(2026, 3, 31, 9, 0, tzinfo=clock.tz))  # the last day: the town list
    async with app.uow() as uow:
        await reminders.queue_town_list(uow, app.settings, MARCH, "d31")
        await reminders.queue_village_lists(uow, app.settings, MARCH, "d31")
        await uow.commit()

    await OutboxSender(app, bot, renderers=WITH_LONG_NOTES).drain_once()

    rows = await all_rows(app)
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    assert len(rows) == 1 + VILLAGES
    town = [message.text for message in town_office_group.messages]
    assert len(town) > 5 and all(utf16_len(text) <= TEXT_LIMIT for text in town)
    # Every part arrived, in order: the lines read are the list's lines (Telegram trims the
    # indent of a part's first line).
    [town_row] = [row for row in rows if row.kind == MessageKind.TOWN_LIST]
    assert _lines(town) == _lines(part["text"] for part in town_row.parts or [])
    assert _lines(town)[0].startswith("📋 全镇本月还有 3000 户没有联系")
    assert sum(line.startswith("🏘 ") for line in _lines(town)) == VILLAGES
    assert sum(line.startswith("👤 ") for line in _lines(town)) == HOUSEHOLDS // PER_CONTACT_PERSON
    households = await _household_names(app)
    assert sorted(_names_in(town)) == sorted(
        name for names in households.values() for name in names
    )
    for village_id, chat_id in admins.items():
        texts = [message.text for message in telegram.messages_to(chat_id)]
        assert sorted(_names_in(texts)) == sorted(households[village_id])
    assert len(telegram.messages_to(admins[min(admins)])) > 1  # the big village's list
    assert telegram.retry_after_count == 0


async def _household_names(app: App) -> dict[int, list[str]]:
    names: dict[int, list[str]] = {}
    async with app.uow() as uow:
        for household in (await uow.session.execute(select(Household))).scalars():
            names.setdefault(household.village_id, []).append(household_name(household))
    return names


def _lines(texts: Iterable[str]) -> list[str]:
    return [line.strip() for line in "\n".join(texts).split("\n")]


def _names_in(texts: list[str]) -> list[str]:
    """The households named in a list, in the order a reader meets them."""
    return re.findall(r"[^、\s]+（\d组）", "\n".join(texts))


async def test_a_part_telegram_still_refuses_as_too_long_is_split_smaller_and_arrives(
    app: App, telegram: FakeTelegram, bot: Bot, make_user
):
    user = make_user("周主任")
    lines = [f"👤 联系人{n:03d} (5)" for n in range(300)]
    first, second = "\n".join(lines[:150]), "\n".join(lines[150:])
    async with app.uow() as uow:
        await queue(
            uow, app.settings, ChatAudience(user.id), "long", LONG_NOTE, {"parts": [first, second]}
        )
        await uow.commit()
    # Telegram counts this part differently than we do: it refuses it, once.
    sent_before = len(telegram.sends)
    real_send = telegram.flood.record

    def refuse_the_second_part(chat_id: int, method: str) -> None:
        real_send(chat_id, method)
        if len(telegram.sends) == sent_before + 1:
            telegram.fail_next("sendMessage", 400, "Bad Request: message is too long")

    telegram.flood.record = refuse_the_second_part  # type: ignore[method-assign]

    await OutboxSender(app, bot, renderers=WITH_LONG_NOTES).drain_once()

    [row] = await all_rows(app)
    assert row.status == OutboxStatus.SENT
    assert row.parts is not None and len(row.parts) > 2 and row.parts_sent == len(row.parts)
    assert row.parts[0]["text"] == first  # the part already sent is kept as it was
    received = [message.text for message in user.messages]
    assert len(received) == len(row.parts) and _lines(received) == lines


async def test_parts_stored_too_long_before_an_upgrade_are_split_before_sending(
    app: App, telegram: FakeTelegram, bot: Bot, make_user
):
    user = make_user("周主任")
    lines = [f"👤 联系{n:03d} (5)" for n in range(341)]
    text = "\n".join(lines)
    assert len(text) <= TEXT_LIMIT < utf16_len(text)  # the old splitter counted characters
    async with app.uow() as uow:
        await queue(uow, app.settings, ChatAudience(user.id), "old", LONG_NOTE, {"parts": []})
        row = (await uow.session.execute(select(OutboxMessage))).scalar_one()
        row.parts = [
            {"text": "第一部分", "reply_markup": None},
            {"text": text, "reply_markup": None},
        ]
        row.parts_sent = 1  # the first part went out before the upgrade
        await uow.commit()

    await OutboxSender(app, bot, renderers=WITH_LONG_NOTES).drain_once()

    [row] = await all_rows(app)
    assert (row.status, row.parts_sent) == (OutboxStatus.SENT, 3)
    assert _lines(message.text for message in user.messages) == lines


# The bot's session is the last safety net for every handler: nothing is refused for length.


def village_lines(count: int) -> list[str]:
    return [f"🏘 大河村 {n:04d}：👤 王秀英、李德明、张桂英" for n in range(count)]


def details_keyboard() -> InlineKeyboardMarkup:
    return inline_grid([("📋 详情", "flag:open:1:0")])


async def test_a_reply_over_the_limit_arrives_in_parts_with_the_keyboard_on_the_last(
    bot: Bot, make_user
):
    user = make_user("周主任")
    lines = village_lines(300)

    sent = await bot.send_message(user.id, "\n".join(lines), reply_markup=details_keyboard())

    parts = user.messages
    assert len(parts) > 1 and _lines(part.text for part in parts) == lines
    assert [bool(part.buttons) for part in parts] == [False] * (len(parts) - 1) + [True]
    assert sent.message_id == parts[-1].message_id


async def test_an_edit_over_the_limit_edits_in_the_first_part_and_sends_the_rest(
    bot: Bot, make_user
):
    user = make_user("周主任")
    first = await bot.send_message(user.id, "正在准备……", reply_markup=details_keyboard())
    lines = village_lines(300)

    await bot.edit_message_text(
        "\n".join(lines),
        chat_id=user.id,
        message_id=first.message_id,
        reply_markup=details_keyboard(),
    )

    parts = user.messages
    assert parts[0].message_id == first.message_id and parts[0].edited
    assert _lines(part.text for part in parts) == lines
    assert [bool(part.buttons) for part in parts] == [False] * (len(parts) - 1) + [True]


async def test_a_caption_over_1024_units_goes_with_the_file_cut_short_and_the_rest_after_it(
    bot: Bot, make_user
):
    user = make_user("周主任")
    lines = village_lines(60)  # about 2,000 units
    workbook = BufferedInputFile(b"PK\x03\x04 workbook", "2026-02帮扶联系覆盖情况.xlsx")

    await bot.send_document(user.id, workbook, caption="\n".join(lines))

    document, *rest = user.messages
    assert document.document is not None and utf16_len(document.text) <= 1024
    assert rest and _lines(part.text for part in [document, *rest]) == lines


async def test_a_button_answer_over_200_units_is_shortened_not_refused(
    bot: Bot, telegram: FakeTelegram, make_user
):
    user = make_user("周主任")
    telegram.callback_queries["q1"] = user.id  # a press waiting for its answer

    await bot.answer_callback_query("q1", text="🏘" * 150, show_alert=True)

    [answer] = user.answers
    assert answer.text is not None and answer.text.endswith("…")
    assert utf16_len(answer.text) <= 200


async def test_a_button_label_over_64_units_is_shortened(bot: Bot, make_user):
    user = make_user("周主任")
    household = "张" + "🏘" * 100 + "（一组）"
    keyboard = inline_grid([("✍️ " + household, "hh:log:1"), ("✍️ 李德明（二组）", "hh:log:2")])

    await bot.send_message(user.id, "本月还有 2 户没有联系", reply_markup=keyboard)

    [message] = user.messages
    long_label, short_label = message.button_texts
    assert long_label.startswith("✍️ 张🏘") and long_label.endswith("…")
    assert utf16_len(long_label) <= 64
    assert short_label == "✍️ 李德明（二组）"
