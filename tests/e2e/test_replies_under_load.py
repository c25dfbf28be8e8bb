"""A person always gets an answer, even while a month-end backlog drains: the bot's replies and
the outbox sender share one pacer, replies first, and a reply refused with 429 is waited out
and sent. The stand-in enforces Telegram's limits on the real clock (30 a second overall, a
short burst then one a second per chat); the test counts messages, never rates."""

from __future__ import annotations

from sqlalchemy import insert, select

from bot.clock import Month
from bot.core.coverage import reminders
from bot.core.delivery.outbox import OutboxStatus
from bot.domain.model import Category, Role
from bot.storage.models import Assignment, Household, OutboxMessage, Person, Village
from bot.storage.uow import App
from scheduler.sender import OutboxSender
from tests.e2e.conftest import RunningBot
from tests.telegram_api import FakeTelegram, TelegramUser

MARCH = Month(2026, 3)
BACKLOG = 200  # contact persons who get a digest and write nothing
PEOPLE = 30  # contact persons who get a digest and write to the bot while the rest drain
FIRST_QUIET_CHAT = 930_000_001


async def seed(app: App, writers: list[TelegramUser]) -> None:
    """One uncontacted household for each contact person: the quiet ones, then the writers."""
    now = app.clock.now()
    chats = [FIRST_QUIET_CHAT + n for n in range(BACKLOG)] + [user.id for user in writers]
    names = [f"联系人{n:03d}" for n in range(BACKLOG)] + [user.first_name for user in writers]
    async with app.uow() as uow:
        village = Village(name="大河村")
        uow.session.add(village)
        await uow.session.flush()
        people = (
            await uow.session.execute(
                insert(Person).returning(Person.id, sort_by_parameter_order=True),
                [
                    {
                        "name": name,
                        "role": Role.CONTACT,
                        "village_id": village.id,
                        "telegram_user_id": chat,
                        "active": True,
                        "created_at": now,
                    }
                    for name, chat in zip(names, chats, strict=True)
                ],
            )
        ).scalars()
        households = (
            await uow.session.execute(
                insert(Household).returning(Household.id, sort_by_parameter_order=True),
                [
                    {
                        "number": f"R{n:06d}",
                        "village_id": village.id,
                        "group_name": "一组",
                        "head_name": f"农户{n:03d}",
                        "id_number": f"34152319700101{n:04d}",
                        "members": 3,
                        "category": Category.MARGINAL,
                        "risk_types": [],
                        "status": "monitored",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for n in range(len(chats))
                ],
            )
        ).scalars()
        await uow.session.execute(
            insert(Assignment),
            [
                {"household_id": household, "person_id": person, "started_at": now}
                for person, household in zip(list(people), list(households), strict=True)
            ],
        )
        await reminders.queue_contact_digests(uow, app.settings, MARCH, "d20")
        await uow.commit()


async def test_thirty_people_writing_while_a_backlog_drains_each_get_their_answer(
    app: App, telegram: FakeTelegram, running_bot: RunningBot, make_user
):
    telegram.unknown_chat_error = False  # the quiet contact persons' chats
    telegram.enforce_limits = True
    writers = [make_user(f"王{n:02d}") for n in range(PEOPLE)]
    await seed(app, writers)
    assert running_bot.bot is not None
    sender = OutboxSender(app, running_bot.bot)
    await sender.start()
    try:
        await telegram.wait_for_sends(60, timeout=30)  # the backlog is draining
        for user in writers:
            await user.send("/help", settle=False)
        await telegram.settled(timeout=60)
        await telegram.wait_for_sends(BACKLOG + 2 * PEOPLE, timeout=60)
    finally:
        await sender.stop()

    for user in writers:
        digests = [m for m in user.messages if m.text.startswith("📋 本月还有 1 户没有联系")]
        replies = [m for m in user.messages if user.first_name in m.text]
        assert (len(digests), len(replies), len(user.messages)) == (1, 1, 2), user.first_name
    quiet = [FIRST_QUIET_CHAT + n for n in range(BACKLOG)]
    assert all(len(telegram.messages_to(chat)) == 1 for chat in quiet)
    async with app.uow() as uow:
        statuses = (await uow.session.execute(select(OutboxMessage.status))).scalars().all()
    assert statuses == [OutboxStatus.SENT] * (BACKLOG + PEOPLE)
    assert len(telegram.sends) == BACKLOG + 2 * PEOPLE  # nothing lost, nothing doubled
