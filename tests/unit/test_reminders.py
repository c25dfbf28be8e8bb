"""Reminders and escalations: who is still uncontacted, who is told, and how it reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock, Month
from bot.core.coverage import reminders
from bot.core.households.ordering import by_group_and_pinyin
from bot.core.policy import Actor
from bot.domain.model import Role
from bot.messages import escalation_notices, notices
from bot.messages.keyboards import HouseholdAct, HouseholdAction
from bot.storage.models import Household, OutboxMessage, Person, Village
from bot.storage.uow import App
from bot.utf16 import utf16_len
from tests.town_builder import TownBuilder

MARCH = Month(2026, 3)


@dataclass
class Town:
    builder: TownBuilder
    hekou: Village
    shanwang: Village
    wang: Actor  # 河口村, three households
    li: Actor  # 河口村, two households
    zhao: Actor  # 山王村, one household
    wang_households: list[Household]
    li_households: list[Household]
    zhao_household: Household


@pytest.fixture
async def town(app: App) -> Town:
    builder = TownBuilder(app)
    hekou = await builder.village("河口村")
    shanwang = await builder.village("山王村")
    wang = await builder.person("王建华", village=hekou, telegram_user_id=1001)
    li = await builder.person("李秀兰", village=hekou, telegram_user_id=1002)
    zhao = await builder.person("赵德明", village=shanwang, telegram_user_id=1003)
    wang_households = [
        await builder.household(hekou, name, wang, group_name="1组")
        for name in ("张桂英", "陈长林", "刘春花")
    ]
    li_households = [
        await builder.household(hekou, name, li, group_name="2组") for name in ("杨金山", "黄玉珍")
    ]
    zhao_household = await builder.household(shanwang, "吴家富", zhao, group_name="3组")
    return Town(
        builder, hekou, shanwang, wang, li, zhao, wang_households, li_households, zhao_household
    )


async def queued(app: App, kind: str) -> list[OutboxMessage]:
    async with app.uow() as uow:
        query = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(OutboxMessage.id)
        return list((await uow.session.execute(query)).scalars())


async def run(app: App, queue_them, *args) -> int:  # type: ignore[no-untyped-def]
    async with app.uow() as uow:
        count = await queue_them(uow, app.settings, *args)
        await uow.commit()
    return count


async def test_each_contact_person_gets_one_digest_of_only_their_uncontacted_households(
    app: App, town: Town
) -> None:
    await town.builder.contact(town.wang_households[0], town.wang, date(2026, 3, 5))
    for household in town.li_households:
        await town.builder.contact(household, town.li, date(2026, 3, 8))
    # A contact from last month, and a withdrawn one, do not count for March.
    await town.builder.contact(town.zhao_household, town.zhao, date(2026, 2, 27))
    await town.builder.contact(
        town.wang_households[1], town.wang, date(2026, 3, 6), status="withdrawn"
    )

    assert await run(app, reminders.queue_contact_digests, MARCH, "d20") == 2

    digests = {row.payload["person_id"]: row.payload for row in await queued(app, "contact_digest")}
    assert set(digests) == {town.wang.person_id, town.zhao.person_id}
    # The digest orders them by group and pinyin when it is rendered (notices.contact_digest).
    assert sorted(digests[town.wang.person_id]["household_ids"]) == sorted(
        h.id for h in town.wang_households[1:]
    )
    assert digests[town.zhao.person_id]["household_ids"] == [town.zhao_household.id]
    assert digests[town.wang.person_id]["step"] == "d20"


async def test_running_a_step_twice_queues_nothing_new_but_the_next_step_does(
    app: App, town: Town
) -> None:
    assert await run(app, reminders.queue_contact_digests, MARCH, "d20") == 3
    assert await run(app, reminders.queue_contact_digests, MARCH, "d20") == 0
    assert await run(app, reminders.queue_village_lists, MARCH, "d27") == 2
    assert await run(app, reminders.queue_village_lists, MARCH, "d27") == 0
    assert await run(app, reminders.queue_contact_digests, MARCH, "d25") == 3
    assert len(await queued(app, "contact_digest")) == 6


async def test_households_no_longer_monitored_or_without_a_contact_person_are_handled(
    app: App, town: Town
) -> None:
    await town.builder.household(town.hekou, "孙志强", status="risk_removed")
    orphan = await town.builder.household(town.hekou, "何秀兰")  # nobody assigned

    await run(app, reminders.queue_contact_digests, MARCH, "d20")
    await run(app, reminders.queue_village_lists, MARCH, "d27")

    digest_ids = {
        i for row in await queued(app, "contact_digest") for i in row.payload["household_ids"]
    }
    assert orphan.id not in digest_ids
    hekou_list = next(
        row
        for row in await queued(app, "village_list")
        if row.payload["village_id"] == town.hekou.id
    )
    assert orphan.id in hekou_list.payload["household_ids"]
    assert len(hekou_list.payload["household_ids"]) == 6


async def test_town_list_is_queued_only_while_households_are_left(app: App, town: Town) -> None:
    assert await run(app, reminders.queue_town_list, MARCH, "d31") == 1
    [town_list] = await queued(app, "town_list")
    assert len(town_list.payload["household_ids"]) == 6

    everyone = (
        [(h, town.wang) for h in town.wang_households]
        + [(h, town.li) for h in town.li_households]
        + [(town.zhao_household, town.zhao)]
    )
    for household, person in everyone:
        await town.builder.contact(household, person, date(2026, 4, 2))
    assert await run(app, reminders.queue_town_list, Month(2026, 4), "d30") == 0


async def test_digest_reads_the_rule_and_offers_a_log_button_per_household(
    app: App, town: Town, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 3, 20, 9, 0, tzinfo=clock.tz))
    await run(app, reminders.queue_contact_digests, MARCH, "d20")
    row = next(
        r
        for r in await queued(app, "contact_digest")
        if r.payload["person_id"] == town.wang.person_id
    )
    # One household is contacted after the digest was queued: the message leaves it out.
    await town.builder.contact(town.wang_households[0], town.wang, date(2026, 3, 20))

    async with app.uow() as uow:
        [message] = await notices.contact_digest(uow, row, "zh")
    assert "每月至少联系一次，本月还剩 12 天" in message.text
    # The households are buttons only: named once, not listed above the buttons again.
    assert "陈长林" not in message.text and "张桂英" not in message.text
    pressed = [
        HouseholdAction.unpack(button.callback_data)
        for line in message.reply_markup.inline_keyboard
        for button in line
    ]
    assert pressed == [
        HouseholdAction(action=HouseholdAct.LOG, household_id=h.id)
        for h in by_group_and_pinyin(town.wang_households[1:])
    ]

    async with app.uow() as uow:
        [english] = await notices.contact_digest(uow, row, "en")
    assert "Days left this month: 12" in english.text


async def test_a_digest_with_nothing_left_or_from_a_past_month_is_not_sent(
    app: App, town: Town, clock: FrozenClock
) -> None:
    await run(app, reminders.queue_contact_digests, MARCH, "d20")
    row = next(
        r
        for r in await queued(app, "contact_digest")
        if r.payload["person_id"] == town.zhao.person_id
    )
    clock.set(datetime(2026, 4, 1, 8, 0, tzinfo=clock.tz))
    async with app.uow() as uow:
        assert await notices.contact_digest(uow, row, "zh") == []
    clock.set(datetime(2026, 3, 21, 8, 0, tzinfo=clock.tz))
    await town.builder.contact(town.zhao_household, town.zhao, date(2026, 3, 21))
    async with app.uow() as uow:
        assert await notices.contact_digest(uow, row, "zh") == []


async def test_a_long_town_list_is_split_under_telegrams_limit_and_never_cut(
    app: App, town: Town
) -> None:
    for number in range(400):
        await town.builder.household(town.shanwang, f"长名字农户{number:03d}号", town.zhao)
    await run(app, reminders.queue_town_list, MARCH, "d31")
    [row] = await queued(app, "town_list")

    async with app.uow() as uow:
        messages = await escalation_notices.town_list(uow, row, "zh")
    assert len(messages) > 1
    assert all(utf16_len(message.text) <= 4096 for message in messages)
    whole = "\n".join(message.text for message in messages)
    assert all(f"长名字农户{number:03d}号" in whole for number in range(400))
    assert "🏘 河口村（5 户）" in whole and "👤 王建华：还剩 3 户" in whole


async def test_village_list_groups_households_by_contact_person(app: App, town: Town) -> None:
    await run(app, reminders.queue_village_lists, MARCH, "d27")
    hekou = next(
        r for r in await queued(app, "village_list") if r.payload["village_id"] == town.hekou.id
    )
    async with app.uow() as uow:
        [message] = await escalation_notices.village_list(uow, hekou, "zh")
    lines = message.text.splitlines()
    assert "河口村" in lines[0] and "5" in lines[0]
    wang_at = lines.index("👤 王建华：还剩 3 户")
    assert "张桂英（1组）" in lines[wang_at + 1] and "杨金山" not in lines[wang_at + 1]
    assert "👤 李秀兰：还剩 2 户" in lines
    # Each contact person's buttons: remind now, and their households.
    assert [b.text for row in message.reply_markup.inline_keyboard for b in row][:2] == [
        "🔔 提醒李秀兰",
        "📋 李秀兰（2 户）",
    ]


async def test_town_office_hears_of_people_who_blocked_the_bot_or_went_quiet(
    app: App, town: Town, clock: FrozenClock
) -> None:
    async with app.uow() as uow:
        zhao = await uow.session.get(Person, town.zhao.person_id)
        assert zhao is not None
        zhao.unreachable_since = clock.now()
        for actor in (town.wang, town.li, town.zhao):
            person = await uow.session.get(Person, actor.person_id)
            assert person is not None
            person.created_at = clock.now() - timedelta(days=120)
        await uow.commit()
    await town.builder.contact(town.li_households[0], town.li, date(2026, 3, 1))
    # 王建华 logged his last contact 40 days ago.
    clock.advance(days=-40)
    await town.builder.contact(town.wang_households[0], town.wang, date(2026, 1, 29))
    clock.advance(days=40)
    office = await town.builder.person("镇扶贫办", role=Role.TOWN_OFFICE)

    assert await run(app, reminders.queue_people_to_reassign, MARCH, clock.now()) == 2
    assert await run(app, reminders.queue_people_to_reassign, MARCH, clock.now()) == 0

    unreachable = await queued(app, "person_unreachable")
    inactive = await queued(app, "person_inactive")
    assert [row.payload["person_id"] for row in unreachable] == [town.zhao.person_id]
    assert [row.payload["person_id"] for row in inactive] == [town.wang.person_id]
    assert inactive[0].payload["households"] == 3
    assert office.person_id not in {row.payload["person_id"] for row in unreachable + inactive}

    async with app.uow() as uow:
        [text] = [m.text for m in await notices.person_to_reassign(uow, inactive[0], "zh")]
    assert "王建华" in text and "2026-01-29 10:00" in text
