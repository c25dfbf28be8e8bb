"""Each role gets its own reply keyboard, /help and "/" command menu; the town office's work is
reachable by buttons; /office lists exactly what works; /language asks in both languages;
typed text that finds no household gets one line saying what to do.

Played over HTTP against the Bot API stand-in, which keeps command lists per scope and
answers `command_menu()` as a person's Telegram app would list them."""

from __future__ import annotations

import re

from bot.config import Settings
from bot.core.onboarding.invites import create_invite
from bot.core.policy import CLI_OPERATOR
from bot.domain.model import Role
from bot.storage.uow import App
from tests.e2e.conftest import RunningBot
from tests.telegram_api import TelegramGroup, TelegramUser

CONTACT_KEYBOARD = ["🏠 我的农户", "✍️ 记录联系", "📅 本月进度", "❓ 帮助"]
OFFICE_KEYBOARD = [
    "🚩 红色预警",
    "📋 未联系名单",
    "📊 月度汇总",
    "📤 导出六张表",
    "🗂 花名册变动",
    "🔍 查找农户",
    "❓ 帮助",
]
VILLAGE_KEYBOARD = ["🚩 红色预警", "📋 未联系名单", "📤 导出六张表", "❓ 帮助"]
OFFICE_ONLY_COMMANDS = {
    "/summary",
    "/find",
    "/unassigned",
    "/newhousehold",
    "/deactivate",
    "/invite_all",
}
# What a refused or not-understood command would say.
REFUSALS = ("只有镇扶贫办", "没看懂", "这些命令是给")


async def _town(make_user, register_person, add_household, assign) -> TelegramUser:  # type: ignore[no-untyped-def]
    """河口村 with a contact person (王建华, 张桂英 and 李秀兰 not yet contacted) and 山旺村
    with another (赵大山's 陈明). Returns 王建华's phone."""
    phone = make_user("王建华")
    wang = await register_person("王建华", Role.CONTACT, village="河口村", telegram_user=phone)
    zhao = await register_person("赵大山", Role.CONTACT, village="山旺村")
    for name in ("张桂英", "李秀兰"):
        await assign(await add_household(name, village="河口村"), wang)
    await assign(await add_household("陈明", village="山旺村"), zhao)
    return phone


async def test_a_contact_person_sees_only_the_contact_menu_help_and_commands(
    running_bot: RunningBot, make_user, register_person, add_household, assign
) -> None:  # type: ignore[no-untyped-def]
    phone: TelegramUser = make_user("王建华")
    wang = await register_person("王建华", Role.CONTACT, village="河口村", telegram_user=phone)
    await assign(await add_household("张桂英", village="河口村"), wang)

    await phone.send("/help")

    help_text = (await phone.expect("王建华")).text
    assert "您负责的每一户" in help_text and "/recent" in help_text
    assert "镇扶贫办的事" not in help_text and "/flags" not in help_text
    assert await phone.reply_keyboard_texts() == CONTACT_KEYBOARD
    assert list(await phone.command_menu()) == ["/recent", "/help", "/language", "/cancel"]


async def test_the_town_office_gets_its_own_keyboard_help_and_command_menu(
    running_bot: RunningBot, make_user, register_person
) -> None:  # type: ignore[no-untyped-def]
    clerk: TelegramUser = make_user("周主任")
    await register_person("周主任", Role.TOWN_OFFICE, telegram_user=clerk)

    await clerk.send("/help")

    help_text = (await clerk.expect("周主任")).text
    assert "镇扶贫办的事" in help_text and "📊 月度汇总" in help_text
    assert "您负责的每一户" not in help_text and "/recent" not in help_text
    assert await clerk.reply_keyboard_texts() == OFFICE_KEYBOARD
    menu = await clerk.command_menu()
    assert OFFICE_ONLY_COMMANDS | {"/flags", "/export", "/office"} <= set(menu)
    assert "/recent" not in menu
    assert menu["/summary"] == "上月联系覆盖情况（或 /summary 2026-03）"

    # My households is not offered; pressed on a keyboard from before, it points to the
    # office's own buttons instead of telling the town office to ask the town office.
    assert "🏠 我的农户" not in await clerk.reply_keyboard_texts()
    for press in ("🏠 我的农户", "✍️ 记录联系", "📅 本月进度"):  # the contact person's buttons
        await clerk.send(press)
        answer = await clerk.next_message()
        assert "下面的按钮" in answer.text and "联系镇扶贫办" not in answer.text, press
        assert await clerk.reply_keyboard_texts() == OFFICE_KEYBOARD


async def test_a_contact_person_with_no_households_yet_is_told_whom_to_ask_by_every_button(
    running_bot: RunningBot, make_user, register_person
) -> None:  # type: ignore[no-untyped-def]
    phone: TelegramUser = make_user("王建华")
    await register_person("王建华", Role.CONTACT, village="河口村", telegram_user=phone)

    for press in ("🏠 我的农户", "✍️ 记录联系", "📅 本月进度"):
        await phone.send(press)
        answer = await phone.next_message()
        assert answer.text == "您名下还没有分配农户。农户由镇扶贫办分配，如有不对，请联系镇扶贫办。"


async def test_every_office_button_does_the_office_work_it_names(
    app: App, running_bot: RunningBot, make_user, register_person, add_household, assign
) -> None:  # type: ignore[no-untyped-def]
    await _town(make_user, register_person, add_household, assign)
    await add_household("孙有田", village="山旺村")  # nobody assigned yet
    clerk: TelegramUser = make_user("周主任")
    await register_person("周主任", Role.TOWN_OFFICE, telegram_user=clerk)
    await clerk.send("/help")
    clerk.read_all()

    await clerk.tap("🚩 红色预警")
    await clerk.expect("没有未销号的红色预警")

    await clerk.tap("📋 未联系名单")
    left = (await clerk.expect("还未联系：4 户")).text
    assert "河口村：2 户" in left and "王建华（2 户）：李秀兰（一组）、张桂英（一组）" in left
    assert "山旺村：2 户" in left and "无帮扶联系人（1 户）：孙有田（一组）" in left

    await clerk.tap("📊 月度汇总")
    await clerk.expect("2026年2月帮扶联系月报")  # last month's, as /summary gives it
    clerk.read_all()  # its chart and spreadsheet

    await clerk.tap("📤 导出六张表")
    choose = await clerk.next_message()
    assert {"📄 河口村", "📄 山旺村"} <= set(choose.button_texts)

    await clerk.tap("🗂 花名册变动")
    roster = await clerk.expect("花名册变动：要做什么？")
    assert roster.button_texts == ["➕ 新增农户", "👤 没有帮扶联系人的农户"]
    await clerk.press("👤 没有帮扶联系人的农户", roster)
    unassigned = await clerk.expect("没有帮扶联系人")
    assert "👤 山旺村 孙有田（一组）" in unassigned.button_texts
    await clerk.press("➕ 新增农户", roster)
    await clerk.expect("新发现的农户")
    await clerk.send("/cancel")
    clerk.read_all()

    await clerk.tap("🔍 查找农户")
    prompt = await clerk.expect("户主姓名里的一两个字")
    assert "最多 13 个字" in prompt.text
    await clerk.send("桂英")  # any household in the town, though none is the clerk's own
    history = await clerk.next_message()
    assert "张桂英" in history.text and "河口村" in history.text


async def test_office_lists_exactly_the_commands_that_work_for_the_town_office(
    running_bot: RunningBot, make_user, register_person, add_household, assign
) -> None:  # type: ignore[no-untyped-def]
    await _town(make_user, register_person, add_household, assign)
    clerk: TelegramUser = make_user("周主任")
    await register_person("周主任", Role.TOWN_OFFICE, telegram_user=clerk)

    await clerk.send("/office")

    listed = _commands_in((await clerk.expect("🏛 镇扶贫办")).text)
    assert listed == {
        "/flags",
        "/summary",
        "/export",
        "/find",
        "/unassigned",
        "/newhousehold",
        "/deactivate",
        "/invite_all",
        "/web",
    }
    assert listed < set(await clerk.command_menu())
    for command in sorted(listed):
        await clerk.send(command)
        answer = await clerk.next_message()
        assert not any(refusal in answer.text for refusal in REFUSALS), (command, answer.text)
        await clerk.send("/cancel")  # /newhousehold opened a form
        clerk.read_all()


async def test_a_village_admin_sees_only_what_a_village_admin_may_do(
    running_bot: RunningBot, make_user, register_person, add_household, assign
) -> None:  # type: ignore[no-untyped-def]
    await _town(make_user, register_person, add_household, assign)
    admin: TelegramUser = make_user("刘书记")
    await register_person("刘书记", Role.VILLAGE_ADMIN, village="河口村", telegram_user=admin)

    await admin.send("/help")
    help_text = (await admin.expect("刘书记")).text
    assert "本村的事" in help_text and "镇扶贫办的事" not in help_text
    assert await admin.reply_keyboard_texts() == VILLAGE_KEYBOARD
    menu = await admin.command_menu()
    assert {"/flags", "/export", "/office"} <= set(menu)
    assert not (OFFICE_ONLY_COMMANDS | {"/recent"}) & set(menu)

    await admin.send("/office")
    office = (await admin.expect("🏘 本村")).text
    assert _commands_in(office) == {"/flags", "/export", "/web"}
    for command in ("/flags", "/export", "/web"):
        await admin.send(command)
        answer = await admin.next_message()
        assert not any(refusal in answer.text for refusal in REFUSALS), (command, answer.text)
        admin.read_all()

    await admin.tap("📋 未联系名单")
    left = (await admin.expect("还未联系：2 户")).text
    assert "张桂英" in left and "陈明" not in left and "山旺村" not in left


async def test_a_clerk_who_also_has_households_gets_both_menus(
    running_bot: RunningBot, make_user, register_person, add_household, assign
) -> None:  # type: ignore[no-untyped-def]
    clerk: TelegramUser = make_user("周主任")
    zhou = await register_person("周主任", Role.TOWN_OFFICE, village="河口村", telegram_user=clerk)
    await assign(await add_household("张桂英", village="河口村"), zhou)

    await clerk.send("/help")

    help_text = (await clerk.expect("周主任")).text
    assert "镇扶贫办的事" in help_text and "您负责的每一户" in help_text
    keyboard = await clerk.reply_keyboard_texts()
    assert keyboard == OFFICE_KEYBOARD[:-1] + CONTACT_KEYBOARD
    assert {"/recent", "/flags", "/summary"} <= set(await clerk.command_menu())
    await clerk.tap("🏠 我的农户")
    assert "张桂英" in " ".join((await clerk.next_message()).button_texts)


async def test_joining_and_a_new_role_set_the_persons_own_command_menu(
    app: App, running_bot: RunningBot, make_user
) -> None:  # type: ignore[no-untyped-def]
    phone: TelegramUser = make_user("王建华")
    assert list(await phone.command_menu()) == ["/help", "/language"]  # before registering

    invited = await create_invite(app, CLI_OPERATOR, "王建华", Role.CONTACT)
    await phone.send(f"/start {invited.code}")
    await phone.expect("欢迎")
    assert "/recent" in await phone.command_menu()
    assert "/flags" not in await phone.command_menu()

    promoted = await create_invite(app, CLI_OPERATOR, "王建华", Role.TOWN_OFFICE)
    await phone.send(f"/start {promoted.code}")
    await phone.expect("欢迎")
    menu = await phone.command_menu()
    assert {"/flags", "/summary", "/office"} <= set(menu) and "/recent" not in menu
    assert await phone.reply_keyboard_texts() == OFFICE_KEYBOARD


async def test_the_office_group_lists_the_office_commands_and_other_groups_none(
    town_office_group: TelegramGroup,
    running_bot: RunningBot,
    make_user,
    make_group,
) -> None:  # type: ignore[no-untyped-def]
    member: TelegramUser = make_user("周主任")
    other: TelegramGroup = make_group("村民群")

    assert list(await member.command_menu(town_office_group)) == [
        "/flags",
        "/summary",
        "/export",
        "/find",
        "/office",
    ]
    assert await member.command_menu(other) == {}


async def test_an_office_group_the_bot_is_not_in_does_not_keep_the_bot_from_starting(
    settings: Settings, running_bot: RunningBot, make_user, register_person
) -> None:  # type: ignore[no-untyped-def]
    settings.town_office_chat_id = -1009999999  # a group the bot was never added to
    await running_bot.restart()  # commands are published as it starts

    phone: TelegramUser = make_user("王建华")
    await register_person("王建华", Role.CONTACT, telegram_user=phone)
    await phone.send("/help")
    await phone.expect("王建华")
    assert "/recent" in await phone.command_menu()


async def test_language_is_asked_in_both_languages_and_switches_the_command_menu(
    running_bot: RunningBot, make_user, register_person
) -> None:  # type: ignore[no-untyped-def]
    phone: TelegramUser = make_user("王建华")
    await register_person("王建华", Role.CONTACT, telegram_user=phone)

    await phone.send("/language")
    question = await phone.next_message()
    assert "请选择语言" in question.text and "Choose your language" in question.text
    assert question.button_texts == ["中文", "English"]

    await phone.press("English", question)
    await phone.expect("Language set to English.")
    assert await phone.reply_keyboard_texts() == [
        "🏠 My households",
        "✍️ Log a contact",
        "📅 This month",
        "❓ Help",
    ]
    assert (await phone.command_menu())["/help"] == "What this bot does, and the menu"


async def test_text_that_finds_no_household_gets_one_line_saying_what_to_do(
    running_bot: RunningBot, make_user, register_person, add_household, assign
) -> None:  # type: ignore[no-untyped-def]
    phone = await _town(make_user, register_person, add_household, assign)
    clerk: TelegramUser = make_user("周主任")
    await register_person("周主任", Role.TOWN_OFFICE, telegram_user=clerk)

    for person in (phone, clerk):
        await person.send("你好")
        answer = await person.next_message()
        assert "\n" not in answer.text
        assert "你好" not in answer.text and "没有找到“" not in answer.text
        assert "一两个字" in answer.text and "下面的按钮" in answer.text
        assert answer.reply_keyboard  # the buttons it points at are there


def _commands_in(text: str) -> set[str]:
    """The commands a listing offers: each line that starts with one."""
    return {match.group(1) for match in re.finditer(r"^(/[a-z_]+)", text, re.MULTILINE)}


async def test_the_town_list_names_a_few_households_per_person_and_opens_all_the_others(
    running_bot: RunningBot, make_user, register_person, add_household, assign
) -> None:  # type: ignore[no-untyped-def]
    wu = await register_person("吴建平", Role.CONTACT, village="河口村")
    heads = ["马大勇", "王小红", "刘春生", "赵秀英", "陈家富", "孙明霞"]
    for head in heads:
        await assign(await add_household(head, village="河口村"), wu)
    clerk: TelegramUser = make_user("周主任")
    await register_person("周主任", Role.TOWN_OFFICE, telegram_user=clerk)
    await clerk.send("/help")
    clerk.read_all()

    await clerk.tap("📋 未联系名单")

    left = (await clerk.expect("还未联系：6 户")).text
    line = next(line for line in left.splitlines() if "吴建平（6 户）" in line)
    named = [head for head in heads if head in line]
    assert len(named) == 5 and "还有 1 户" in line
    more = await clerk.expect("全部未联系的农户")
    assert more.button_texts == ["📋 吴建平（6 户）"]
    await clerk.press("📋 吴建平（6 户）", more)
    backlog = await clerk.expect("吴建平：本月还有 6 户")
    assert all(any(head in text for text in backlog.button_texts) for head in heads)
