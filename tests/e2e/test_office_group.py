"""The town office sets its group by adding the bot to it and confirming there, with no id
typed anywhere; the group keeps working when Telegram upgrades it to a supergroup, and is
forgotten when the bot is removed from it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.cli.doctor_cmd import examine
from bot.clock import Clock
from bot.core.delivery import office_group, outbox
from bot.core.delivery.office_group import Source
from bot.core.policy import OFFICE_CHATS_ONLY
from bot.domain.model import Role
from bot.i18n import gettext as _
from bot.i18n import use_language
from bot.ops.doctor import Status
from bot.storage.models import AuditEntry
from scheduler.sender import OutboxSender
from tests.conftest import TZ
from tests.e2e.test_delivery import NOTE, WITH_NOTES
from tests.e2e.test_doctor import problems
from tests.telegram_api import TelegramGroup

YES = "✅ 是，这是镇扶贫办工作群"


def zh(msgid: str) -> str:
    with use_language("zh"):
        return _(msgid)


@pytest.fixture
async def director(make_user, register_person):  # type: ignore[no-untyped-def]
    """The town office person who adds the bot to groups."""
    user = make_user("王主任")
    await register_person("王主任", Role.TOWN_OFFICE, telegram_user=user)
    return user


async def confirm(director, group) -> None:  # type: ignore[no-untyped-def]
    """The director adds the bot to the group and answers its question with yes."""
    await group.add_bot(by=director)
    await director.press(YES, await group.next_message())


async def resolved(app):
    async with app.uow() as uow:
        return await office_group.resolve(uow, app.settings)


async def test_town_office_adds_the_bot_to_its_group_and_confirms_there(
    running_bot, app, make_user, make_group, register_person
) -> None:
    director, cadre, stranger = make_user("王主任"), make_user("张三"), make_user("路人")
    await register_person("王主任", Role.TOWN_OFFICE, telegram_user=director)
    await register_person("张三", Role.CONTACT, village="东冲村", telegram_user=cadre)
    group = make_group("佛子岭镇扶贫办")

    await director.send("/office", chat=group)
    assert (await group.next_message()).text == zh(OFFICE_CHATS_ONLY)  # not the office's yet

    await group.add_bot(by=director)
    question = await group.expect("这个群是镇扶贫办的工作群吗")
    assert question.button_texts == [YES, "不是"]

    for somebody in (cadre, stranger):
        refusal = await somebody.press(YES, question)
        assert refusal is not None and refusal.show_alert
        assert refusal.text == "只有镇扶贫办的同志可以确认镇扶贫办工作群。"
    assert await resolved(app) is None
    await group.expect_no_message()

    await director.press(YES, question)
    done = await group.next_message()
    assert done.edited and not done.buttons
    assert "王主任已把本群设为镇扶贫办工作群" in done.text
    assert "不再单独发给镇扶贫办的每个人" in done.text

    found = await resolved(app)
    assert found is not None
    assert (found.chat_id, found.source, found.title) == (
        group.id,
        Source.DATABASE,
        "佛子岭镇扶贫办",
    )
    assert found.confirmed_by == "王主任"

    await director.send("/office", chat=group)
    office = await group.next_message()
    assert "/flags" in office.text
    assert "镇扶贫办工作群：“佛子岭镇扶贫办”，由王主任于 " in office.text
    assert str(group.id) not in office.text  # the chat id is for `bangfu doctor` only
    await cadre.send("/office", chat=group)
    assert "佛子岭镇扶贫办" not in (await group.next_message()).text  # sent to private chat


async def test_alerts_go_to_the_confirmed_group(
    running_bot, director, app, make_user, make_group, register_person
) -> None:
    group = make_group("镇办")
    await confirm(director, group)

    async with app.uow() as uow:
        recipients = await outbox.town_office_recipients(uow, app.settings)
    assert recipients == [outbox.chat_recipient(group.id)]


async def test_bot_added_by_someone_else_says_nothing(
    running_bot, app, make_user, make_group, register_person
) -> None:
    cadre, stranger = make_user("张三"), make_user("路人")
    await register_person("张三", Role.CONTACT, village="东冲村", telegram_user=cadre)
    group = make_group("村民群")
    await group.add_bot(by=cadre)
    await group.add_bot(by=stranger)
    await group.expect_no_message()
    assert await resolved(app) is None


async def test_confirming_a_second_group_moves_the_office_and_tells_the_old_one(
    running_bot, director, app, make_user, make_group, register_person
) -> None:
    old, new = make_group("旧工作群"), make_group("新工作群")
    for group in (old, new):
        await group.add_bot(by=director)
        await director.press(YES, await group.next_message())
        group.read_all()

    assert "之前的工作群“旧工作群”不再收到这些消息" in new.messages[-1].text
    told = await old.next_message()
    assert "本群不再是镇扶贫办工作群" in told.text and "新工作群" in told.text
    assert (await resolved(app)).chat_id == new.id


async def test_answering_no_leaves_the_group_unset(
    running_bot, director, app, make_user, make_group, register_person
) -> None:
    group = make_group("闲聊群")
    await group.add_bot(by=director)
    await director.press("不是", await group.next_message())
    assert "本群不作为镇扶贫办工作群" in (await group.next_message()).text
    assert await resolved(app) is None


async def test_the_setting_overrides_the_confirmed_group_and_says_so(
    running_bot, director, app, make_user, make_group, register_person
) -> None:
    app.settings.town_office_chat_id = -100999
    group = make_group("镇办")
    await confirm(director, group)

    assert "TOWN_OFFICE_CHAT_ID" in (await group.next_message()).text
    found = await resolved(app)
    assert (found.chat_id, found.source) == (-100999, Source.SETTING)


async def test_a_group_upgraded_to_a_supergroup_stays_the_office_group(
    running_bot, director, app, make_user, make_group, register_person
) -> None:
    group = TelegramGroup(running_bot.telegram, "镇办", chat_id=-4242)
    await confirm(director, group)
    group.read_all()

    supergroup = await group.upgrade_to_supergroup(by=director)

    assert supergroup.id != group.id
    assert "还是镇扶贫办工作群" in (await supergroup.next_message()).text
    await supergroup.expect_no_message()  # told once, though Telegram reported the move twice
    assert (await resolved(app)).chat_id == supergroup.id
    await director.send("/office", chat=supergroup)
    assert "/flags" in (await supergroup.next_message()).text


async def test_a_message_to_a_group_that_moved_unseen_follows_it(
    running_bot, director, app, make_user, register_person
) -> None:
    """The bot missed the move's service messages (it was stopped, say): the first send
    that Telegram refuses with the new id moves the office group and is delivered there."""
    telegram = running_bot.telegram
    group = TelegramGroup(telegram, "镇办", chat_id=-4343)
    await confirm(director, group)
    supergroup = TelegramGroup(telegram, "镇办", chat_id=-1_009_000_004_343)
    group.chat.migrated_to = supergroup.id

    async with app.uow() as uow:
        await outbox.queue(
            uow, app.settings, outbox.TownOffice(), "note:1", NOTE, {"parts": ["月底名单"]}
        )
        await uow.commit()
    await OutboxSender(app, running_bot.bot, renderers=WITH_NOTES).drain_once()

    assert (await resolved(app)).chat_id == supergroup.id
    assert [message.text for message in supergroup.messages] == ["月底名单"]


async def test_removing_the_bot_from_the_office_group_forgets_it(
    running_bot, app, make_user, make_group, register_person
) -> None:
    director = make_user("王主任")
    person = await register_person("王主任", Role.TOWN_OFFICE, telegram_user=director)
    group = make_group("镇办")
    await confirm(director, group)

    await group.remove_bot(by=director)

    assert await resolved(app) is None
    async with app.uow() as uow:
        recipients = await outbox.town_office_recipients(uow, app.settings)
        query = select(AuditEntry.action).where(AuditEntry.entity == "office_group")
        actions = list(await uow.session.scalars(query.order_by(AuditEntry.id)))
    assert recipients == [outbox.person_recipient(person.id)]  # each person privately again
    assert actions == ["confirmed", "removed"]


async def test_doctor_names_the_confirmed_group_and_where_it_came_from(
    running_bot, director, app, settings, make_user, make_group, register_person
) -> None:
    group = make_group("佛子岭镇扶贫办")
    await confirm(director, group)

    said = [finding.text for finding in await examine(settings, Clock(TZ))]
    assert any(
        f"镇扶贫办工作群：“佛子岭镇扶贫办”（{group.id}），由王主任于 " in line for line in said
    )
    assert any("佛子岭镇扶贫办" in line and "成员" in line for line in said)  # getChatMember

    settings.town_office_chat_id = -100777
    said = [finding.text for finding in await examine(settings, Clock(TZ))]
    assert "镇扶贫办工作群：-100777，由配置项 TOWN_OFFICE_CHAT_ID 指定。" in said

    settings.town_office_chat_id = None
    await group.remove_bot(by=director)
    found = problems(await examine(settings, Clock(TZ)))
    assert any("还没有设置镇扶贫办工作群" in line for line in found[Status.WARN])
