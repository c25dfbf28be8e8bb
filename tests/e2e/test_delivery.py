"""Delivery through the Bot API stand-in: the real sender, the real aiohttp session, Telegram's
answers (429 with retry_after, 500, 403, 400 chat not found) and its flood limits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime

import pytest
from aiogram import Bot
from sqlalchemy import select

from bot.clock import FrozenClock, Month
from bot.config import Settings
from bot.core.coverage import reminders
from bot.core.delivery.outbox import ChatAudience, OutboxStatus, queue
from bot.core.flags.raising import raise_flag
from bot.core.policy import Actor
from bot.domain.model import FlagSource, Role
from bot.messages.renderers import RENDERERS
from bot.messages.rendering import OutgoingMessage
from bot.storage.models import Household, OutboxMessage, Person
from bot.storage.uow import App
from bot.telegram.app import build_bot
from scheduler.sender import OutboxSender
from tests.telegram_api import FakeTelegram, TelegramGroup, TelegramUser

MARCH = Month(2026, 3)
NOTE = "test_note"  # a kind only these tests queue: its text is in the payload


async def note(uow, row: OutboxMessage, language: str) -> list[OutgoingMessage]:  # type: ignore[no-untyped-def]
    return [OutgoingMessage(text) for text in row.payload["parts"]]


WITH_NOTES = {**RENDERERS, NOTE: note}


@pytest.fixture
async def bot(settings: Settings) -> AsyncIterator[Bot]:
    bot = build_bot(settings)
    yield bot
    await bot.session.close()


@pytest.fixture
def sender(app: App, bot: Bot) -> OutboxSender:
    return OutboxSender(app, bot, renderers=WITH_NOTES)


ContactPerson = Callable[..., Awaitable[Person]]


@pytest.fixture
def contact_person(register_person, add_household, assign) -> ContactPerson:  # type: ignore[no-untyped-def]
    """A contact person holding one household not yet contacted this month."""

    async def make(name: str, user: TelegramUser | None = None, **fields: object) -> Person:
        person = await register_person(name, Role.CONTACT, "河口村", telegram_user=user, **fields)
        await assign(await add_household(f"{name}的农户", village="河口村"), person)
        return person

    return make


async def queue_digests(app: App) -> int:
    async with app.uow() as uow:
        queued = await reminders.queue_contact_digests(uow, app.settings, MARCH, "d20")
        await uow.commit()
    return queued


async def queue_notes(app: App, chat_ids: list[int], parts: list[str]) -> None:
    async with app.uow() as uow:
        for chat_id in chat_ids:
            await queue(
                uow, app.settings, ChatAudience(chat_id), f"note:{chat_id}", NOTE, {"parts": parts}
            )
        await uow.commit()


async def outbox_rows(app: App) -> list[OutboxMessage]:
    async with app.uow() as uow:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        return list((await uow.session.execute(query)).scalars())


async def person(app: App, person_id: int) -> Person:
    async with app.uow() as uow:
        found = await uow.session.get(Person, person_id)
        assert found is not None
        return found


async def test_a_reminder_refused_with_429_waits_and_is_shown_once(
    app: App, telegram: FakeTelegram, sender: OutboxSender, make_user, contact_person
):
    user = make_user("王秀英")
    await contact_person("王秀英", user)
    await queue_digests(app)
    telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)

    assert await sender.drain_once() == 1

    assert telegram.retry_after_count == 1
    [digest] = user.messages
    assert "本月还有 1 户没有联系" in digest.text
    [row] = await outbox_rows(app)
    assert (row.status, row.attempts, row.parts_sent) == (OutboxStatus.SENT, 0, 1)


async def test_a_server_error_is_tried_again_later_and_the_message_arrives_once(
    app: App,
    telegram: FakeTelegram,
    sender: OutboxSender,
    clock: FrozenClock,
    make_user,
    contact_person,
):
    user = make_user("李德明")
    await contact_person("李德明", user)
    await queue_digests(app)
    telegram.fail_next("sendMessage", 500, "Internal Server Error")

    assert await sender.drain_once() == 0
    [row] = await outbox_rows(app)
    assert (row.status, row.attempts) == (OutboxStatus.QUEUED, 1)
    assert row.not_before > clock.now() and "Internal Server Error" in (row.last_error or "")
    assert user.messages == []

    clock.advance(seconds=10)
    assert await sender.drain_once() == 1
    assert len(user.messages) == 1
    [row] = await outbox_rows(app)
    assert row.status == OutboxStatus.SENT


async def test_people_the_bot_cannot_reach_are_marked_and_the_town_office_told_once(
    app: App,
    telegram: FakeTelegram,
    sender: OutboxSender,
    clock: FrozenClock,
    make_user,
    contact_person,
    town_office_group: TelegramGroup,
):
    blocked_user, li_user, zhao_user = make_user("王建华"), make_user("李秀兰"), make_user("赵金山")
    blocked = await contact_person("王建华", blocked_user)
    await contact_person("李秀兰", li_user)
    await contact_person("赵金山", zhao_user)
    # 孙: a Telegram id Telegram never saw a /start from; 钱: no Telegram account at all.
    ghost = make_user("孙志强")
    telegram.chats.pop(ghost.id)  # Telegram knows no chat with them
    never_started = await contact_person("孙志强", ghost)
    no_account = await contact_person("钱春花")
    telegram.block(blocked_user.id)
    assert await queue_digests(app) == 5

    await sender.drain_once()

    assert len(li_user.messages) == len(zhao_user.messages) == 1
    rows = {row.recipient: row for row in await outbox_rows(app)}
    for refused in (blocked, never_started, no_account):
        assert rows[f"person:{refused.id}"].status == OutboxStatus.UNDELIVERABLE
        assert (await person(app, refused.id)).unreachable_since == clock.now()
    told = [message.text for message in town_office_group.messages]
    assert len(told) == 3
    for name in ("王建华", "孙志强"):
        [notice] = [text for text in told if name in text]
        assert "收不到机器人的消息" in notice and "名下有 1 户" in notice
    # Without a Telegram account the town office is offered a new link to forward.
    [notice] = [m for m in town_office_group.messages if "钱春花" in m.text]
    assert "还没有打开邀请链接" in notice.text and "bangfu" not in notice.text
    assert notice.button_texts == ["🔗 生成新邀请链接"]

    # The daily people check finds the same people, and tells nobody again.
    async with app.uow() as uow:
        again = await reminders.queue_people_to_reassign(uow, app.settings, MARCH, clock.now())
        await uow.commit()
    assert again == 0
    await sender.drain_once()
    assert len(town_office_group.messages) == 3


async def test_a_person_who_opens_the_bot_again_is_reachable_again(
    app: App,
    telegram: FakeTelegram,
    sender: OutboxSender,
    clock: FrozenClock,
    make_user,
    contact_person,
):
    user = make_user("王建华")
    wang = await contact_person("王建华", user)
    telegram.block(user.id)
    await queue_digests(app)
    await sender.drain_once()
    assert (await person(app, wang.id)).unreachable_since is not None

    telegram.unblock(user.id)
    await queue_notes(app, [user.id], ["王建华，您好"])
    await sender.drain_once()

    assert [message.text for message in user.messages] == ["王建华，您好"]
    assert (await person(app, wang.id)).unreachable_since is None


async def test_quiet_hours_hold_a_reminder_until_morning_but_not_a_red_flag_alert(
    app: App,
    sender: OutboxSender,
    clock: FrozenClock,
    make_user,
    contact_person,
    town_office_group: TelegramGroup,
):
    user = make_user("王秀英")
    wang = await contact_person("王秀英", user)
    clock.set(datetime(2026, 3, 10, 22, 30, tzinfo=clock.tz))
    await queue_digests(app)
    async with app.uow() as uow:
        household = (await uow.session.execute(select(Household))).scalar_one()
        actor = Actor(wang.id, wang.name, Role.CONTACT, wang.village_id)
        await raise_flag(uow, actor, household, FlagSource.CONTACT_PERSON, "户主突发重病住院")
        await uow.commit()

    await sender.drain_once()

    [alert] = town_office_group.messages
    assert "🚩 红色预警" in alert.text and "户主突发重病住院" in alert.text
    assert alert.buttons
    assert user.messages == []

    clock.set(datetime(2026, 3, 11, 7, 59, tzinfo=clock.tz))
    await sender.drain_once()
    assert user.messages == []
    clock.set(datetime(2026, 3, 11, 8, 0, tzinfo=clock.tz))
    await sender.drain_once()
    assert len(user.messages) == 1


async def test_an_alert_raised_before_the_town_office_joined_reaches_the_first_who_does(
    app: App, sender: OutboxSender, clock: FrozenClock, make_user, contact_person, register_person
):
    wang = await contact_person("王秀英", make_user("王秀英"))
    async with app.uow() as uow:
        household = (await uow.session.execute(select(Household))).scalar_one()
        actor = Actor(wang.id, wang.name, Role.CONTACT, wang.village_id)
        await raise_flag(uow, actor, household, FlagSource.CONTACT_PERSON, "房屋漏雨")
        await uow.commit()

    assert await sender.drain_once() == 0
    [waiting] = await outbox_rows(app)
    assert (waiting.recipient, waiting.status) == ("town_office", OutboxStatus.QUEUED)

    office_user = make_user("周主任")
    await register_person("周主任", Role.TOWN_OFFICE, telegram_user=office_user)
    clock.advance(minutes=10)
    await sender.drain_once()

    [alert] = office_user.messages
    assert "房屋漏雨" in alert.text
    assert [row.status for row in await outbox_rows(app)] == [
        OutboxStatus.FORWARDED,
        OutboxStatus.SENT,
    ]


async def test_a_message_in_parts_resumes_after_a_failure_without_repeating_a_part(
    app: App,
    telegram: FakeTelegram,
    bot: Bot,
    sender: OutboxSender,
    clock: FrozenClock,
    make_user,
    monkeypatch: pytest.MonkeyPatch,
):
    user = make_user("周主任")
    await queue_notes(app, [user.id], ["第一部分", "第二部分", "第三部分"])
    real_send = bot.send_message
    calls = 0

    async def second_part_hits_a_server_error(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 2:
            telegram.fail_next("sendMessage", 502, "Bad Gateway")
        return await real_send(*args, **kwargs)

    monkeypatch.setattr(bot, "send_message", second_part_hits_a_server_error)
    await sender.drain_once()
    [row] = await outbox_rows(app)
    assert (row.status, row.parts_sent, row.attempts) == (OutboxStatus.QUEUED, 1, 1)
    # The rendering is kept: what the first try began is what the retry finishes.
    async with app.uow() as uow:
        stored = await uow.session.get(OutboxMessage, row.id)
        stored.payload = {"parts": ["改过的", "改过的", "改过的"]}  # type: ignore[union-attr]
        await uow.commit()

    clock.advance(minutes=1)
    await sender.drain_once()

    assert [message.text for message in user.messages] == ["第一部分", "第二部分", "第三部分"]
    [row] = await outbox_rows(app)
    assert (row.status, row.parts_sent) == (OutboxStatus.SENT, 3)


async def test_restarting_the_sender_mid_wave_loses_and_doubles_nothing(
    app: App, telegram: FakeTelegram, settings: Settings
):
    telegram.unknown_chat_error = False
    chats = list(range(900_001, 900_151))
    await queue_notes(app, chats, ["本月走访提醒"])

    first_bot = build_bot(settings)
    first = OutboxSender(app, first_bot, renderers=WITH_NOTES)
    await first.start()
    await telegram.wait_for_sends(40, timeout=30)
    await first.stop()
    await first_bot.session.close()
    sent_before_restart = len(telegram.sends)

    second_bot = build_bot(settings)
    await OutboxSender(app, second_bot, renderers=WITH_NOTES).drain_once()
    await second_bot.session.close()

    assert 40 <= sent_before_restart < len(chats)
    assert sorted(send.chat_id for send in telegram.sends) == chats
    assert all(len(telegram.messages_to(chat)) == 1 for chat in chats)
    assert {row.status for row in await outbox_rows(app)} == {OutboxStatus.SENT}
