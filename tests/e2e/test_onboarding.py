"""Onboarding as people live it: the town office prints an invite link, the person opens it
on the phone and is welcomed with the menu; wrong, used and expired links say what to do."""

from __future__ import annotations

import asyncio
import re

import pytest
from aiogram.types import KeyboardButton

from bot.cli import main as bangfu
from bot.clock import FrozenClock
from bot.config import Settings
from bot.core.onboarding import invites as onboarding
from bot.core.policy import CLI_OPERATOR, Duty
from bot.domain.model import Role
from bot.handlers.onboarding.gate import NOT_REGISTERED
from bot.i18n import gettext as _
from bot.i18n import use_language
from bot.messages.keyboards import main_menu
from bot.storage.uow import App


def in_language(language: str, msgid: str) -> str:
    with use_language(language):
        return _(msgid)


def menu_labels(language: str, *duties: Duty) -> list[str]:
    """The reply keyboard's labels for these duties (a contact person's by default)."""
    with use_language(language):
        rows: list[list[KeyboardButton]] = main_menu(duties or (Duty.OWN_HOUSEHOLDS,)).keyboard
        return [button.text for row in rows for button in row]


async def invite(app: App, name: str, role: Role = Role.CONTACT, **narrow: str) -> str:
    return (await onboarding.create_invite(app, CLI_OPERATOR, name, role, **narrow)).code


async def test_contact_person_opens_the_invite_link_and_is_welcomed_in_chinese_with_the_menu(
    running_bot, make_user, register_person, app: App
) -> None:
    await register_person("张建国", Role.CONTACT, village="东冲村")  # from the roster, no Telegram
    code = await invite(app, "张建国")
    phone = make_user("建国")

    await phone.send(f"/start {code}")

    welcome = await phone.expect("欢迎您，张建国！您已登记为帮扶联系人。")
    assert "我的农户" in welcome.text  # the help text comes with it
    assert await phone.reply_keyboard_texts() == menu_labels("zh")
    await phone.expect_no_message()

    # From now on the bot knows them.
    await phone.send("/help")
    await phone.expect("张建国")


async def test_english_telegram_user_is_welcomed_in_english(
    running_bot, make_user, register_person, app: App
) -> None:
    await register_person("李明", Role.VILLAGE_ADMIN, village="东冲村")
    code = await invite(app, "李明", Role.VILLAGE_ADMIN, village="东冲村")
    phone = make_user("Ming", language_code="en")

    await phone.send(f"/start {code}")

    await phone.expect("Welcome, 李明! You are now registered as Village admin.")
    assert await phone.reply_keyboard_texts() == menu_labels("en", Duty.VILLAGE)


async def test_opening_the_link_again_welcomes_again_and_a_replayed_start_is_answered_once(
    running_bot, make_user, app: App
) -> None:
    code = await invite(app, "王芳")
    phone = make_user("王芳")

    await phone.send(f"/start {code}", duplicate=True)
    await phone.expect("欢迎您，王芳")
    await phone.expect_no_message()

    await phone.send(f"/start {code}")
    await phone.expect("欢迎您，王芳")


async def test_wrong_used_and_expired_links_each_get_a_clear_message(
    running_bot, make_user, app: App, clock: FrozenClock
) -> None:
    stranger = make_user("陌生人")
    await stranger.send("/start not-a-real-code")
    await stranger.expect(in_language("zh", onboarding.WRONG_CODE))

    code = await invite(app, "张建国")
    await make_user("张建国").send(f"/start {code}")
    await stranger.send(f"/start {code}")
    await stranger.expect(in_language("zh", onboarding.USED_CODE))

    late = await invite(app, "李秀兰")
    clock.advance(days=7)
    await stranger.send(f"/start {late}")
    await stranger.expect("过期")

    # None of it registered the stranger.
    await stranger.send("/help")
    await stranger.expect(in_language("zh", NOT_REGISTERED))


async def test_an_account_is_refused_for_an_hour_after_five_wrong_codes(
    running_bot, make_user, app: App, clock: FrozenClock
) -> None:
    code = await invite(app, "张建国")
    guesser = make_user("Guess", language_code="en")
    for attempt in range(5):
        await guesser.send(f"/start guess{attempt}")
        await guesser.expect(in_language("en", onboarding.WRONG_CODE))

    await guesser.send(f"/start {code}")  # the sixth: refused, even with the right code
    await guesser.expect(
        "Too many wrong invitation codes. For safety, please try again after 11:00."
    )

    clock.advance(hours=1)
    await guesser.send(f"/start {code}")
    await guesser.expect("Welcome, 张建国!")


async def test_an_account_already_registered_for_someone_else_is_refused_politely(
    running_bot, make_user, register_person, app: App
) -> None:
    phone = make_user("张建国")
    await register_person("张建国", telegram_user=phone)
    code = await invite(app, "李秀兰")

    await phone.send(f"/start {code}")

    await phone.expect("这个 Telegram 账号已经登记给了张建国")


async def test_the_invite_command_prints_a_link_that_works_in_the_bot(
    running_bot,
    make_user,
    register_person,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await register_person("赵卫东", Role.CONTACT, village="东冲村", phone="13912345678")
    monkeypatch.setenv("BOT_TOKEN", settings.bot_token or "")
    monkeypatch.setenv("TELEGRAM_API_URL", settings.telegram_api_url)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "zh")
    capsys.readouterr()

    # The CLI runs its own event loop, as from a shell; the stand-in keeps serving meanwhile.
    argv = ["invite", "--name", "赵卫东", "--role", "contact", "--phone", "139 1234 5678"]
    status = await asyncio.to_thread(bangfu, argv)

    lines = capsys.readouterr().out.splitlines()
    assert status == 0, lines
    assert "赵卫东（帮扶联系人）的一次性邀请链接" in lines[-2]
    match = re.fullmatch(r"https://t\.me/bangfu_test_bot\?start=([A-Za-z0-9_-]{16,64})", lines[-1])
    assert match, lines

    phone = make_user("卫东")
    await phone.send(f"/start {match.group(1)}")
    await phone.expect("欢迎您，赵卫东！")
