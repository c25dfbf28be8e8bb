"""A message with nothing to report claims no action: a platform list that flags no household
says so and alerts nobody, deactivating a person who held no households asks for no
reassignment, and a "reassign this person" notice counts their households when it is sent,
and is not sent once none are left."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.domain.model import Role
from bot.services import reminders
from bot.services.outbox import OutboxStatus, TownOffice, queue
from bot.storage.models import OutboxMessage, Person
from bot.storage.uow import App
from bot.telegram_session import pacer_of
from scheduler.sender import OutboxSender
from tests.e2e.conftest import RunningBot
from tests.telegram_api import FakeTelegram, TelegramGroup, TelegramUser

TOWN_OFFICE_GROUP = -1007654321


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"town_office_chat_id": TOWN_OFFICE_GROUP})


@dataclass
class Town:
    group: TelegramGroup
    director: TelegramUser
    wang: Person  # holds 张桂英
    lee: Person  # holds nobody
    sender: OutboxSender


@pytest.fixture
async def town(
    telegram: FakeTelegram,
    running_bot: RunningBot,
    app: App,
    make_user,  # type: ignore[no-untyped-def]
    register_person,  # type: ignore[no-untyped-def]
    add_household,  # type: ignore[no-untyped-def]
    assign,  # type: ignore[no-untyped-def]
) -> Town:
    group = TelegramGroup(telegram, "佛子岭镇扶贫办", chat_id=TOWN_OFFICE_GROUP)
    director = make_user("周主任")
    await register_person("周主任", Role.TOWN_OFFICE, telegram_user=director)
    wang = await register_person("王建华", Role.CONTACT, village="河口村")
    lee = await register_person("李春华", Role.CONTACT, village="河口村")
    await assign(await add_household("张桂英", village="河口村"), wang)
    assert running_bot.bot is not None
    pacer_of(running_bot.bot).chat_limits = False  # content, not pacing
    return Town(group, director, wang, lee, OutboxSender(app, running_bot.bot))


async def test_a_platform_list_that_flags_no_household_says_so_and_alerts_nobody(
    town: Town,
) -> None:
    listing = "序号,户编号,户主姓名,预警原因\n1,3415239999999999,查无此户,x\n"

    await town.director.send_document(listing.encode(), "2月预警名单.csv", chat=town.group)

    report = await town.group.expect("📥 省平台预警名单：没有新标注的农户，没有发提醒。")
    assert "已提醒" not in report.text and "没有找到这户（请核对编号）：1 行" in report.text
    assert await town.sender.drain_once() == 0
    await town.group.expect_no_message()


async def test_deactivating_a_person_who_held_no_households_asks_for_no_reassignment(
    town: Town,
) -> None:
    await town.director.send("/deactivate 李春华")
    await town.director.expect("停用 李春华")
    await town.director.press("✅ 确认停用")

    done = await town.director.expect("✅ 已停用。此人名下没有农户，不需要重新指派。")
    assert "/unassigned" not in done.text


async def queue_inactive_notice(app: App, person: Person, households: int) -> None:
    async with app.uow() as uow:
        payload = {"person_id": person.id, "households": households, "days": 30}
        payload["last_entered"] = None
        key = f"inactive:{person.id}"
        await queue(uow, app.settings, TownOffice(), key, reminders.PERSON_INACTIVE, payload)
        await uow.commit()


async def test_a_reassign_notice_counts_the_households_held_when_it_is_sent(
    app: App, town: Town
) -> None:
    await queue_inactive_notice(app, town.wang, households=3)  # three when it was queued

    await town.sender.drain_once()

    notice = await town.group.expect("王建华")
    assert "名下有 1 户" in notice.text


async def test_a_reassign_notice_for_someone_who_holds_nothing_by_then_is_not_sent(
    app: App, town: Town
) -> None:
    await queue_inactive_notice(app, town.lee, households=2)  # reassigned since it was queued

    await town.sender.drain_once()

    await town.group.expect_no_message()
    async with app.uow() as uow:
        row = (await uow.session.execute(select(OutboxMessage))).scalar_one()
    assert row.status == OutboxStatus.SKIPPED
