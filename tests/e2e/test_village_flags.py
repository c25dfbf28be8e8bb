"""A village admin is told at once when a household in their village is red-flagged (they help
it and later request the removal), and sees their village's open flags, and only those."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.core.flags.acknowledgement import acknowledge
from bot.core.flags.raising import report_risk
from bot.core.policy import Actor
from bot.domain.model import Role
from bot.storage.models import Household, Person
from bot.storage.uow import App
from bot.telegram.session import pacer_of
from scheduler.sender import OutboxSender
from tests.e2e.conftest import RunningBot
from tests.telegram_api import TelegramUser


@dataclass
class Town:
    director: TelegramUser  # 周主任, town office (alerts in private: no office group here)
    director_person: Person
    hekou_admin: TelegramUser  # 刘书记, 河口村
    shanwang_admin: TelegramUser  # 陈书记, 山旺村
    wang: Person  # 王建华, contact person in 河口村
    zhao: Person  # 赵大山, contact person in 山旺村
    guiying: Household  # 张桂英, 河口村
    chenming: Household  # 陈明, 山旺村
    sender: OutboxSender


@pytest.fixture
async def town(
    app: App, running_bot: RunningBot, make_user, register_person, add_household, assign
) -> Town:  # type: ignore[no-untyped-def]
    director, hekou_admin, shanwang_admin = make_user("周主任"), make_user("刘书记"), make_user()
    zhou = await register_person("周主任", Role.TOWN_OFFICE, telegram_user=director)
    await register_person("刘书记", Role.VILLAGE_ADMIN, village="河口村", telegram_user=hekou_admin)
    await register_person(
        "陈书记", Role.VILLAGE_ADMIN, village="山旺村", telegram_user=shanwang_admin
    )
    wang = await register_person("王建华", Role.CONTACT, village="河口村")
    zhao = await register_person("赵大山", Role.CONTACT, village="山旺村")
    guiying = await add_household("张桂英", village="河口村")
    chenming = await add_household("陈明", village="山旺村")
    await assign(guiying, wang)
    await assign(chenming, zhao)
    assert running_bot.bot is not None
    pacer_of(running_bot.bot).chat_limits = False  # no pacing waits: the stand-in is checked
    sender = OutboxSender(app, running_bot.bot)
    return Town(director, zhou, hekou_admin, shanwang_admin, wang, zhao, guiying, chenming, sender)


def _actor(person: Person) -> Actor:
    return Actor(person.id, person.name, Role(person.role), person.village_id, person.town_id)


async def test_the_village_admin_is_told_of_a_flag_in_the_village_and_can_request_removal(
    app: App, town: Town
) -> None:
    flag = await report_risk(app, _actor(town.wang), town.guiying.id, "户主因病住院")
    await town.sender.drain_once()

    notice = await town.hekou_admin.expect("本村有农户被标注红色预警：河口村 张桂英（一组）")
    assert "户主因病住院" in notice.text and "王建华" in notice.text
    assert "申请销号" in notice.text
    assert notice.button_texts == ["📋 详情"]
    await town.shanwang_admin.expect_no_message()  # not their village
    await town.director.expect("🚩 红色预警")  # the town office's own alert, once
    await town.director.expect_no_message()

    await town.hekou_admin.press("📋 详情", notice)
    card = await town.hekou_admin.expect("🚩 红色预警 · 河口村 张桂英（一组）")
    assert card.button_texts == ["➕ 添加帮扶措施", "📜 农户档案"]
    # No 📝 yet, and the card says why and what comes next.
    assert "下一步：等镇扶贫办签收这条红色预警。签收以后，您可以在这里申请销号" in card.text

    # Once the town office has acknowledged it, the same notice leads to the removal request.
    await acknowledge(app, _actor(town.director_person), flag.id)
    await town.hekou_admin.press("📋 详情", notice)
    card = await town.hekou_admin.expect("🚩 红色预警 · 河口村 张桂英（一组）")
    assert "📝 申请销号" in card.button_texts
    assert "下一步" not in card.text


async def test_the_notice_reads_in_english_for_an_admin_who_chose_it(
    app: App, town: Town, make_user, register_person
) -> None:  # type: ignore[no-untyped-def]
    tom = make_user("Tom", language_code="en")
    await register_person(
        "Tom", Role.VILLAGE_ADMIN, village="河口村", telegram_user=tom, language="en"
    )

    await report_risk(app, _actor(town.wang), town.guiying.id, "户主因病住院")
    await town.sender.drain_once()

    notice = await tom.expect("A household in your village was red-flagged")
    assert "request its removal" in notice.text and notice.button_texts == ["📋 Details"]
    await tom.press("📋 Details", notice)
    card = await tom.expect("Red flag")
    assert "Next: the town office signs for (acknowledges) this red flag." in card.text


async def test_a_village_without_an_admin_does_not_tell_the_town_office_twice(
    app: App, town: Town, register_person, add_household, assign
) -> None:  # type: ignore[no-untyped-def]
    someone = await register_person("孙力", Role.CONTACT, village="东冲村")
    household = await add_household("孙有田", village="东冲村")
    await assign(household, someone)

    await report_risk(app, _actor(someone), household.id, "房屋漏雨")
    await town.sender.drain_once()

    await town.director.expect("🚩 红色预警")
    await town.director.expect_no_message()
    for admin in (town.hekou_admin, town.shanwang_admin):
        await admin.expect_no_message()


async def test_the_village_admin_sees_the_villages_open_flags_only(app: App, town: Town) -> None:
    await report_risk(app, _actor(town.wang), town.guiying.id, "户主因病住院")
    await report_risk(app, _actor(town.zhao), town.chenming.id, "房屋漏雨")

    await town.hekou_admin.send("/help")
    town.hekou_admin.read_all()
    await town.hekou_admin.tap("🚩 红色预警")

    listed = await town.hekou_admin.expect("未销号的红色预警")
    assert len(listed.button_texts) == 1 and "河口村 张桂英" in listed.button_texts[0]
