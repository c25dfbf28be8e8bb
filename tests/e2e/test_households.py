"""A contact person with twelve households, through the real bot: pages through the list,
searches by part of a name, opens a card, checks this month's progress; a forged button for
someone else's household is refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select

from bot.core.policy import Actor
from bot.domain.model import Role
from bot.i18n import gettext as _
from bot.i18n import use_language
from bot.storage.models import (
    AuditEntry,
    FsmRecord,
    Household,
    OutboxMessage,
    Person,
    RedFlag,
)
from bot.storage.uow import App
from tests.telegram_api import TelegramUser
from tests.town_builder import TownBuilder

# 王建华's twelve households; the first seven are contacted this month already.
NAMES = [
    "张桂英", "李秀兰", "刘德明", "陈玉珍", "杨志强", "黄家富",
    "赵春花", "吴长林", "周金山", "徐秀英", "孙建国", "王桂英",
]  # fmt: skip
CONTACTED = NAMES[:7]


def in_language(language: str, msgid: str) -> str:
    with use_language(language):
        return _(msgid)


@dataclass
class Town:
    user: TelegramUser
    person: Person
    households: dict[str, Household]
    someone_elses: Household


async def _count(app: App, model: type) -> int:
    async with app.uow() as uow:
        return (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()


async def _town(app: App, make_user, register_person, add_household, assign, language: str) -> Town:  # type: ignore[no-untyped-def]
    user = make_user("王建华", language_code=language)
    wang = await register_person("王建华", Role.CONTACT, village="东冲村", telegram_user=user)
    li = await register_person("李红梅", Role.CONTACT, village="东冲村")
    households = {}
    for name in NAMES:
        households[name] = await add_household(name, phone="13855641234")
        await assign(households[name], wang)
    someone_elses = await add_household("钱多多")
    await assign(someone_elses, li)
    as_wang = Actor(wang.id, wang.name, Role.CONTACT, wang.village_id)
    builder = TownBuilder(app)
    for name in CONTACTED:
        await builder.contact(households[name], as_wang, date(2026, 3, 5))
    await user.send("/help")
    user.read_all()
    return Town(user, wang, households, someone_elses)


@pytest.fixture
async def town(running_bot, app, make_user, register_person, add_household, assign) -> Town:  # type: ignore[no-untyped-def]
    return await _town(app, make_user, register_person, add_household, assign, "zh-hans")


async def test_contact_person_pages_through_twelve_households_uncontacted_first(
    town: Town,
) -> None:
    user = town.user

    await user.tap("🏠 我的农户")

    first = await user.expect("🏠 我的农户：共 12 户（第 1/2 页）")
    labels = first.button_texts
    assert labels[-1] == "下一页 ▶" and "◀ 上一页" not in labels
    households = labels[:-1]
    assert len(households) == 10
    assert all(label.startswith("⏳") for label in households[:5])
    assert all(label.startswith("✅") for label in households[5:])
    # Within each part, by pinyin (sun, wang, wu, xu, zhou), not by code point.
    assert [label.split(" ")[1].split("（")[0] for label in households] == [
        "孙建国", "王桂英", "吴长林", "徐秀英", "周金山",
        "陈玉珍", "黄家富", "李秀兰", "刘德明", "杨志强",
    ]  # fmt: skip

    await user.press("下一页 ▶", first)

    second = await user.expect("（第 2/2 页）")
    assert second.edited and second.message_id == first.message_id
    assert len(second.button_texts) == 3 and second.button_texts[-1] == "◀ 上一页"
    listed = {label.split(" ", 1)[1].split("（")[0] for label in households + second.button_texts}
    assert set(NAMES) <= listed and "钱多多" not in listed

    await user.press("◀ 上一页", second)
    assert (await user.expect("（第 1/2 页）")).button_texts == labels


async def test_opening_a_card_shows_the_masked_id_never_the_full_one(town: Town) -> None:
    user = town.user
    zhang = town.households["陈玉珍"]
    await user.tap("🏠 我的农户")
    listing = await user.next_message()

    await user.press("✅ 陈玉珍（一组）", listing)

    card = await user.expect("陈玉珍")
    masked = zhang.id_number[:4] + "*" * 10 + zhang.id_number[-4:]
    assert f"身份证号：{masked}" in card.text
    assert zhang.id_number not in card.text
    for expected in ("类别：边缘户", "家庭人口：3 人", "年人均纯收入：5,200 元", "13855641234"):
        assert expected in card.text
    assert "本月：✅ 已联系" in card.text and "入户走访" in card.text
    assert card.button_texts == ["✍️ 记录联系", "🚩 报告风险", "📜 农户档案"]
    assert card.message_id != listing.message_id, "the list stays for picking the next one"


async def test_typing_part_of_a_name_searches_only_ones_own_households(
    app: App, town: Town
) -> None:
    user = town.user

    await user.send("桂英")
    several = await user.expect("与“桂英”相符的农户：共 2 户")
    assert set(several.button_texts) == {"✅ 张桂英（一组）", "⏳ 王桂英（一组）"}

    await user.send("吴长")
    card = await user.expect("吴长林")
    assert "本月：⏳ 还未联系" in card.text

    await user.send("钱多多")
    none = await user.expect("没有找到这个名字或编号的农户")
    assert "户编号的最后几位（最多 13 个字）" in none.text
    others = [m for m in user.messages if m.message_id != none.message_id]
    assert all("钱多多" not in m.text for m in others)
    assert await _count(app, FsmRecord) == 0, "a search leaves no form behind"


async def test_paging_a_search_keeps_to_the_search(
    running_bot, app, make_user, register_person, add_household, assign
) -> None:  # type: ignore[no-untyped-def]
    town = await _town(app, make_user, register_person, add_household, assign, "zh-hans")
    user = town.user
    for name in ("张一", "张二", "张三", "张四", "张五", "张六", "张七", "张八", "张九", "张十"):
        await assign(await add_household(name), town.person)

    await user.send("张")
    search = await user.expect("与“张”相符的农户：共 11 户（第 1/2 页）")
    await user.tap("🏠 我的农户")
    await user.expect("共 22 户")

    await user.press("下一页 ▶", search)

    second = await user.expect("与“张”相符的农户：共 11 户（第 2/2 页）")
    assert second.message_id == search.message_id


async def test_this_month_shows_seven_of_twelve_and_who_remains(town: Town) -> None:
    user = town.user

    await user.tap("📅 本月进度")

    reply = await user.expect("本月已联系 7/12")
    assert "本月还剩 22 天（到 2026-03-31）" in reply.text
    remaining = sorted(label.removeprefix("✍️ ").split("（")[0] for label in reply.button_texts)
    assert remaining == sorted(set(NAMES) - set(CONTACTED))


async def test_a_forged_card_or_risk_press_for_someone_elses_household_is_refused(
    app: App, town: Town
) -> None:
    user = town.user
    audit_before = await _count(app, AuditEntry)

    for action in ("card", "risk"):
        answer = await user.press_data(f"hh:{action}:{town.someone_elses.id}")
        assert answer is not None and answer.show_alert
        assert answer.text == "这户不在您的负责范围内。"

    await user.press_data("hh:card:999999")
    await user.expect_no_message()
    assert all("钱多多" not in m.text for m in user.messages)
    assert await _count(app, RedFlag) == 0
    assert await _count(app, OutboxMessage) == 0
    assert await _count(app, AuditEntry) == audit_before
    assert await _count(app, FsmRecord) == 0, "no risk form was started"


async def test_an_english_speaker_sees_the_list_card_and_month_in_english(
    running_bot, app, make_user, register_person, add_household, assign
) -> None:  # type: ignore[no-untyped-def]
    town = await _town(app, make_user, register_person, add_household, assign, "en")
    user = town.user

    await user.tap("🏠 My households")
    listing = await user.expect("🏠 Your households: 12 (page 1 of 2)")
    assert "Next ▶" in listing.button_texts
    await user.press("⏳ 吴长林（一组）", listing)
    card = await user.expect("吴长林")
    for expected in ("Category: Marginal household", "ID number: 3415**********", "Members: 3"):
        assert expected in card.text
    assert card.button_texts == ["✍️ Log a contact", "🚩 Report a risk", "📜 Household history"]

    await user.tap("📅 This month")
    month = await user.expect("contacted 7/12 this month")
    assert "22 days left, until 2026-03-31." in month.text

    await user.send("nobody")
    await user.expect("I found no household by that name or number")
    assert not any(in_language("zh", "🏠 My households") in m.text for m in user.messages)
