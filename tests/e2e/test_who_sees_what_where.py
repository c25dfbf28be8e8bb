"""Who sees what where, through the real bot: office work only in the town office's group (for
the town office) and in private chats; nobody else's press touches an office message; and a
forged id (a red flag, a household, a contact) gets the same answer whether it does not exist
or is someone else's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from aiogram.filters.callback_data import CallbackData
from sqlalchemy import func, select

from bot.core.contacts.contact_log import ContactDraft, log_contact, new_draft_key
from bot.core.flags.raising import report_risk
from bot.core.policy import (
    OFFICE_CHATS_ONLY,
    OFFICE_GROUP_IS_THE_OFFICES,
)
from bot.domain.model import Role
from bot.handlers.contacts.correction_form import ContactEdit
from bot.handlers.reports.summary_and_forms import ExportVillage
from bot.handlers.town_office.desk import DeactivatePick, OfficeCancel, ReassignPick
from bot.messages.keyboards import FlagAction, HouseholdAct, HouseholdAction
from bot.storage.models import Assignment, Household, Person, RedFlag, Village
from bot.storage.uow import App
from tests.e2e.conftest import RunningBot
from tests.e2e.contact_people import count, in_language
from tests.e2e.hekou import Hekou, actor, unpaced_delivery
from tests.telegram_api import BotMessage, FakeTelegram, TelegramGroup, TelegramUser

OFFICE_GROUP = -1005550001
pytestmark = pytest.mark.office_group(OFFICE_GROUP)
REASON = "户主因病住院"
HOUSEHOLD = "张桂英（一组）"


@dataclass
class Town:
    office_group: TelegramGroup  # 佛子岭镇扶贫办: the town office's group
    chat_group: TelegramGroup  # 镇干部交流群: a group the bot was added to, anyone may be in it
    director: TelegramUser  # 周主任, town office, in both groups
    admin: TelegramUser  # 孙书记, village admin of 河口村, in the office group
    contact: TelegramUser  # 王建华, 张桂英's contact person, in the office group
    people: dict[str, Person]
    zhang: Household  # 张桂英, 河口村, 王建华's; her flag's alert is in the office group
    liu: Household  # 刘秀兰, 山前村, 李红梅's: out of 王建华's and 孙书记's reach
    alert: BotMessage
    flags: dict[str, int]  # household head → flag id
    deliver: Callable[[], Awaitable[int]]


@pytest.fixture
async def town(
    app: App,
    telegram: FakeTelegram,
    running_bot: RunningBot,
    hekou_town: Hekou,
    register_person,  # type: ignore[no-untyped-def]
    add_household,  # type: ignore[no-untyped-def]
    assign,  # type: ignore[no-untyped-def]
) -> Town:
    office_group = TelegramGroup(telegram, "佛子岭镇扶贫办", chat_id=OFFICE_GROUP)
    chat_group = TelegramGroup(telegram, "镇干部交流群")
    town = hekou_town
    users, people, zhang = town.users, town.people, town.zhang
    people["李红梅"] = await register_person("李红梅", Role.CONTACT, village="山前村")
    liu = await add_household("刘秀兰", village="山前村")
    await assign(liu, people["李红梅"])
    flags = {
        "张桂英": (await report_risk(app, actor(people["王建华"]), zhang.id, REASON)).id,
        "刘秀兰": (await report_risk(app, actor(people["李红梅"]), liu.id, "房屋漏雨")).id,
    }
    deliver = unpaced_delivery(app, running_bot)
    await deliver()
    alert = await office_group.expect("户主：张桂英")
    office_group.read_all()
    return Town(
        office_group,
        chat_group,
        users["周主任"],
        users["孙书记"],
        users["王建华"],
        people,
        zhang,
        liu,
        alert,
        flags,
        deliver,
    )


def as_shown(group: TelegramGroup, message: BotMessage) -> BotMessage:
    """The message as the group sees it now (edits applied)."""
    return next(m for m in group.messages if m.message_id == message.message_id)


async def village_id(app: App, name: str) -> int:
    async with app.uow() as uow:
        found = await uow.session.execute(select(Village.id).where(Village.name == name))
        return found.scalar_one()


# 6. Office data goes only to the office group or a private chat.


async def test_the_town_office_in_another_group_gets_one_line_saying_where_to_ask(
    app: App, town: Town
) -> None:
    group, where_to_ask = town.chat_group, in_language("zh", OFFICE_CHATS_ONLY)
    commands = (
        "/find 桂英",
        "/flags",
        "/unassigned",
        "/summary",
        "/export forms 河口村",
        "/export",
        "/office",
        "/deactivate 王建华",
        "/newhousehold",
    )
    for command in commands:
        await town.director.send(command, chat=group)
        answer = await group.next_message()
        assert answer.text == where_to_ask, f"after {command}"
        assert not answer.buttons and answer.document is None and answer.photo is None
        await group.expect_no_message()

    assert all(REASON not in m.text and "张桂英" not in m.text for m in group.messages)
    assert group.chat.reply_keyboard() is None
    async with app.uow() as uow:
        wang = await uow.session.get(Person, town.people["王建华"].id)
        assert wang is not None and wang.active


async def test_forged_presses_and_uploads_in_another_group_post_nothing_there(
    app: App, town: Town
) -> None:
    group, where_to_ask = town.chat_group, in_language("zh", OFFICE_CHATS_ONLY)
    await town.director.send("/summary", chat=group)
    where = await group.next_message()  # a bot message in the group to press on

    forged = [
        # A village under /export: the six forms, with full ID numbers.
        ExportVillage(village_id=await village_id(app, "河口村")),
        FlagAction(action="open", flag_id=town.flags["张桂英"]),
        HouseholdAction(action=HouseholdAct.HISTORY, household_id=town.zhang.id),
        FlagAction(action="ack", flag_id=town.flags["张桂英"]),
    ]
    for data in forged:
        pressed = await town.director.press_data(data.pack(), where)
        assert pressed is not None and pressed.show_alert, data.pack()
        assert pressed.text == where_to_ask
    # The platform's red-flag list sent there is not imported, and nothing is said about it.
    listing = f"户编号,原因\n{town.liu.number},人均纯收入低于监测线\n".encode()
    await town.director.send_document(listing, "预警名单.csv", chat=group)

    await group.expect_no_message()
    await town.director.expect_no_message()
    assert all(m.document is None and REASON not in m.text for m in group.messages)
    assert await count(app, RedFlag) == 2
    assert await count(app, RedFlag, RedFlag.acknowledged_at.is_not(None)) == 0


async def test_village_admins_and_contact_persons_are_sent_from_the_office_group_to_private(
    town: Town,
) -> None:
    group, where_to_ask = town.office_group, in_language("zh", OFFICE_GROUP_IS_THE_OFFICES)

    await town.admin.send("/flags", chat=group)  # the village's open flags
    assert (await group.next_message()).text == where_to_ask
    await town.admin.send("/export", chat=group)  # the village's six forms
    assert (await group.next_message()).text == where_to_ask
    await town.contact.send("/find 桂英", chat=group)  # his own household's history
    assert (await group.next_message()).text == where_to_ask
    for person in (town.contact, town.admin):
        pressed = await person.press("📋 详情", town.alert, chat=group)
        assert pressed is not None and pressed.show_alert and pressed.text == where_to_ask
    await group.expect_no_message()
    assert all(m.document is None for m in group.messages)

    # The town office works there as before, and the others in their private chats.
    await town.director.send("/find 桂英", chat=group)
    history = await group.expect(f"📜 河口村 {HOUSEHOLD}")
    assert REASON in history.text
    await town.admin.expect("本村有农户被标注红色预警：河口村 张桂英")  # told at once
    await town.admin.send("/flags")
    await town.admin.expect("未销号的红色预警：1 条")
    await town.contact.send("/find 桂英")
    await town.contact.expect(f"📜 河口村 {HOUSEHOLD}")


# 7. Nobody but the town office touches the office's messages.


async def test_a_contact_person_in_the_office_group_cannot_cancel_or_reassign_anything(
    app: App,
    town: Town,
    add_household,  # type: ignore[no-untyped-def]
) -> None:
    group, li = town.office_group, town.people["李春华"]
    chen = await add_household("陈德明", village="河口村")  # nobody's yet
    await town.director.send("/deactivate 李春华", chat=group)
    confirm = await group.expect("停用 李春华")
    await town.director.send("/unassigned", chat=group)
    picker = await group.expect("没有帮扶联系人的农户：1 户")
    shown = {m.message_id: m for m in (town.alert, confirm, picker)}

    presses = [
        (town.alert, OfficeCancel()),  # the alert would become "已取消" with no buttons
        (confirm, OfficeCancel()),
        (confirm, DeactivatePick(person_id=li.id)),
        (picker, OfficeCancel()),
        (picker, HouseholdAction(action=HouseholdAct.REASSIGN, household_id=chen.id)),
        (picker, ReassignPick(household_id=chen.id, person_id=li.id)),
        (picker, ReassignPick(household_id=chen.id, person_id=li.id, confirmed=True)),
        (town.alert, ReassignPick(household_id=town.zhang.id, person_id=li.id)),
    ]
    for message, data in presses:
        for presser in (town.contact, town.admin):
            answer = await presser.press_data(data.pack(), message)
            assert answer is not None and answer.show_alert, f"{data.pack()} on {message.text}"
    await presser.press("✖️ 取消", confirm, chat=group)  # the real button, too

    await group.expect_no_message()
    for message in shown.values():
        assert as_shown(group, message) == message  # text and buttons as they were
    async with app.uow() as uow:
        stored_li = await uow.session.get(Person, li.id)
        assert stored_li is not None and stored_li.active
    assert await count(app, Assignment, Assignment.household_id == chen.id) == 0

    # The town office's own press still works.
    await town.director.press("✖️ 取消", confirm, chat=group)
    cancelled = await group.expect("已取消")
    assert cancelled.message_id == confirm.message_id and not cancelled.buttons


async def test_forged_roster_buttons_in_a_private_chat_are_refused_by_role(
    app: App, town: Town
) -> None:
    li = town.people["李春华"]
    for person in (town.contact, town.admin):
        person.read_all()  # the village admin was told of the flag
        await person.send("/help")
        help_message = await person.next_message()
        for data in (
            OfficeCancel(),
            ReassignPick(household_id=town.zhang.id, person_id=li.id),
            HouseholdAction(action=HouseholdAct.CATEGORY, household_id=town.zhang.id),
        ):
            answer = await person.press_data(data.pack(), help_message)
            assert answer is not None and answer.show_alert
            assert answer.text == "只有镇扶贫办可以调整花名册。"
        await person.expect_no_message()
        assert person.messages[-1] == help_message
    assert await count(app, Assignment, Assignment.person_id == li.id) == 0


# 9. No oracle of which ids exist.


async def test_a_missing_id_and_someone_elses_id_get_the_same_answer(app: App, town: Town) -> None:
    others_contact = await log_contact(
        app,
        actor(town.people["李红梅"]),
        ContactDraft(new_draft_key(), town.liu.id, "phone", app.clock.today()),
    )
    missing_contact = others_contact.contact.id + 1
    async with app.uow() as uow:
        missing_flag = 1 + (await uow.session.execute(select(func.max(RedFlag.id)))).scalar_one()
        missing_household = (
            1 + (await uow.session.execute(select(func.max(Household.id)))).scalar_one()
        )
    flag_acts = ("open", "measure", "remove", "approve", "reject", "county", "ack", "deadline")
    household_acts = ("card", "history", "log", "risk", "measure", "reassign", "adjust")
    pairs: list[tuple[CallbackData, CallbackData]] = (
        [
            (
                FlagAction(action=act, flag_id=missing_flag, days=7),
                FlagAction(action=act, flag_id=town.flags["刘秀兰"], days=7),
            )
            for act in flag_acts
        ]
        + [
            (
                HouseholdAction(action=act, household_id=missing_household),
                HouseholdAction(action=act, household_id=town.liu.id),
            )
            for act in household_acts
        ]
        + [
            (
                ContactEdit(action=act, contact_id=missing_contact),
                ContactEdit(action=act, contact_id=others_contact.contact.id),
            )
            for act in ("open", "withdraw", "withdraw_yes", "correct", "note")
        ]
    )

    for person in (town.contact, town.admin):
        await person.send("/help")
        person.read_all()
        for missing, others in pairs:
            for_missing = await person.press_data(missing.pack())
            for_others = await person.press_data(others.pack())
            assert for_missing is not None and for_others is not None
            assert for_missing.text == for_others.text, (
                f"{missing.pack()} vs {others.pack()}: {for_missing.text!r} != {for_others.text!r}"
            )
            assert for_others.show_alert
        await person.expect_no_message()
