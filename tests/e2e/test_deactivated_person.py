"""A person the town office deactivated: whatever they open, write or press, they are told
politely that their account is inactive and whom to ask, lose the old menu keyboard, and see
nothing else; only a new invitation brings them back."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.onboarding import invites as onboarding
from bot.core.policy import CLI_OPERATOR
from bot.core.roster import changes as roster_changes
from bot.core.roster.people import DEACTIVATED
from bot.domain.model import Role
from bot.storage.models import Person
from bot.storage.uow import App
from tests.e2e.contact_people import in_language
from tests.telegram_api import TelegramUser


async def invite(app: App, name: str) -> str:
    return (await onboarding.create_invite(app, CLI_OPERATOR, name, Role.CONTACT)).code


async def deactivate(app: App, name: str) -> None:
    """What the town office's /deactivate and `bangfu deactivate` do."""
    person = await roster_changes.find_person(app, CLI_OPERATOR, name)
    await roster_changes.deactivate_person(app, CLI_OPERATOR, person.id)


async def is_active(app: App, name: str) -> bool:
    async with app.uow() as uow:
        found = await uow.session.execute(select(Person.active).where(Person.name == name))
        return found.scalar_one()


async def told_inactive(phone: TelegramUser) -> None:
    """The one answer: the account is inactive, ask the town office; the keyboard goes."""
    answer = await phone.next_message()
    assert answer.text == in_language("zh", DEACTIVATED)
    assert "镇扶贫办" in answer.text
    assert answer.removes_keyboard and not answer.buttons
    await phone.expect_no_message()
    assert await phone.reply_keyboard_texts() == []


async def test_a_deactivated_person_opening_their_old_link_is_told_the_account_is_inactive(
    running_bot, make_user, register_person, add_household, assign, app: App
) -> None:
    person = await register_person("张建国", Role.CONTACT, village="东冲村")
    await assign(await add_household("王桂英", village="东冲村"), person)
    code = await invite(app, "张建国")
    phone = make_user("建国")
    await phone.send(f"/start {code}")
    await phone.expect("欢迎您，张建国")
    assert "🏠 我的农户" in await phone.reply_keyboard_texts()

    await deactivate(app, "张建国")
    await phone.send(f"/start {code}")

    await told_inactive(phone)
    assert not await is_active(app, "张建国")


async def test_a_deactivated_person_writing_or_pressing_an_old_button_is_told_the_same(
    running_bot, make_user, register_person, add_household, assign, app: App
) -> None:
    phone = make_user("建国")
    person = await register_person("张建国", Role.CONTACT, village="东冲村", telegram_user=phone)
    await assign(await add_household("王桂英", village="东冲村"), person)
    await phone.send("/help")
    await phone.expect("张建国")
    await phone.tap("🏠 我的农户")
    households = await phone.expect("我的农户：共 1 户")
    phone.read_all()
    seen = len(phone.messages)

    await deactivate(app, "张建国")
    for text in ("/start", "你好", "🏠 我的农户", "/find 桂英"):
        await phone.send(text)
        await told_inactive(phone)
    pressed = await phone.press("⏳ 王桂英（一组）", households)

    assert pressed is not None and pressed.show_alert
    assert pressed.text == in_language("zh", DEACTIVATED)
    await phone.expect_no_message()
    assert all("王桂英" not in m.text for m in phone.messages[seen:])


async def test_a_link_sent_before_the_deactivation_does_not_bring_the_person_back(
    running_bot, make_user, register_person, app: App
) -> None:
    await register_person("张建国", Role.CONTACT, village="东冲村")
    code = await invite(app, "张建国")  # handed out, never opened
    await deactivate(app, "张建国")
    phone = make_user("建国")

    await phone.send(f"/start {code}")

    answer = await phone.next_message()
    assert "请联系镇扶贫办" in answer.text and "欢迎" not in answer.text
    assert await phone.reply_keyboard_texts() == []
    assert not await is_active(app, "张建国")


async def test_a_new_invitation_brings_a_deactivated_person_back(
    running_bot, make_user, register_person, app: App
) -> None:
    phone = make_user("建国")
    await register_person("张建国", Role.CONTACT, village="东冲村", telegram_user=phone)
    await deactivate(app, "张建国")

    await phone.send(f"/start {await invite(app, '张建国')}")

    await phone.expect("欢迎您，张建国")
    assert "🏠 我的农户" in await phone.reply_keyboard_texts()
    assert await is_active(app, "张建国")
