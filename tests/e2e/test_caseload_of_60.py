"""A contact person with 60 households (issue 9, point 9): the 20th's digest fits one phone
screen (counts per group, the first few, a button to the whole list); the ✍️ list pages with
◀ ▶ in the order of a paper register (group, then pinyin); finding a household by one or two
characters of the name, or by the last digits of its 户编号, still works."""

from __future__ import annotations

import random
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.clock import FrozenClock
from bot.storage.uow import App
from bot.telegram.session import pacer_of
from scheduler.catchup import catch_up
from scheduler.sender import OutboxSender
from tests.e2e.contact_people import ContactPeople

TZ = ZoneInfo("Asia/Shanghai")
# Surnames in pinyin order (ai, bai, cao … qin); by code point they would read 孔、方、欧…
SURNAMES = "艾白曹邓方高韩江孔罗马聂欧潘秦"
GROUPS = ("1组", "2组", "3组", "12组")  # 12组 after 3组: by number, not as text
GIVEN = {"1组": "春花", "2组": "秋菊", "3组": "冬梅", "12组": "夏荷"}
PHONE_SCREEN_LINES = 16
CALLBACK_DATA_BYTES = 64


def register_order() -> list[str]:
    """The test's own account of the order: groups by number, surnames as listed above."""
    return [f"{surname}{GIVEN[group]}（{group}）" for group in GROUPS for surname in SURNAMES]


async def test_sixty_households_page_in_register_order_and_the_digest_fits_one_screen(
    app: App, clock: FrozenClock, running_bot, make_user, register_person, add_household, assign
) -> None:  # type: ignore[no-untyped-def]
    people = ContactPeople(app, make_user, register_person, add_household, assign)
    wang = await people("王建国", [])
    entries = [(f"{surname}{GIVEN[group]}", group) for group in GROUPS for surname in SURNAMES]
    random.Random(9).shuffle(entries)  # the roster's order is no order at all
    numbers = {}
    for head, group in entries:
        household = await add_household(head, group=group)
        await assign(household, wang.person)
        numbers[f"{head}（{group}）"] = household.number
    expected = register_order()
    assert len(expected) == 60

    # The 20th: one digest, under one phone screen.
    pacer_of(running_bot.bot).chat_limits = False
    clock.set(datetime.combine(date(2026, 3, 20), time(9), TZ))
    await catch_up(app)
    await OutboxSender(app, running_bot.bot).drain_once()
    digest = await wang.phone.expect("本月还有 60 户没有联系")
    await wang.phone.expect_no_message()
    assert len(digest.text.splitlines()) <= PHONE_SCREEN_LINES
    assert "按组：1组 15 户、2组 15 户、3组 15 户、12组 15 户" in digest.text
    assert "艾春花" not in digest.text  # the households are the buttons, not listed twice
    assert digest.button_texts == [f"✍️ {name}" for name in expected[:6]] + ["📋 全部 60 户"]

    # The whole list, a page at a time, in register order.
    await wang.phone.press("📋 全部 60 户", digest)
    page = await wang.phone.expect("（第 1/6 页，还剩 60 户）")
    seen: list[str] = []
    for number in range(1, 7):
        assert f"（第 {number}/6 页" in page.text
        seen += [label for label in page.button_texts if "▶" not in label and "◀" not in label]
        for row in page.buttons:
            assert all(len(data.encode()) <= CALLBACK_DATA_BYTES for _label, data in row)
        if number < 6:
            await wang.phone.press("下一页 ▶", page)
            page = await wang.phone.next_message()
            assert page.edited
    assert seen == expected
    await wang.phone.press("◀ 上一页", page)
    page = await wang.phone.next_message()
    assert "（第 5/6 页" in page.text

    # A household from the fifth page starts the form in place of the list.
    await wang.phone.press(expected[45], page)
    assert "这次是怎么联系的" in wang.phone.last_message.text
    wang.phone.read_all()

    # Finding by one character of the name, or by the last digits of the 户编号.
    await wang.phone.tap("✍️ 记录联系")
    await wang.phone.expect("（第 1/6 页，还剩 60 户）")
    await wang.phone.send("潘")
    found = await wang.phone.expect("请点您联系过的那户")
    assert sorted(found.button_texts) == sorted(f"⏳ {n}" for n in expected if n.startswith("潘"))
    await wang.phone.send("春")  # fifteen households: a search's matches page too
    matches = await wang.phone.expect("（第 1/2 页）")
    await wang.phone.press("下一页 ▶", matches)
    second = await wang.phone.next_message()
    assert second.edited and "（第 2/2 页）" in second.text
    spring = [label.removeprefix("⏳ ") for label in matches.button_texts + second.button_texts]
    assert [label for label in spring if "页" not in label] == expected[:15]
    await wang.phone.send(numbers[expected[20]][-4:])
    form = await wang.phone.expect("这次是怎么联系的")
    assert expected[20] in form.text

    # 🏠 My households pages the same way: ◀ ▶, group then pinyin.
    await wang.phone.tap("🏠 我的农户")
    mine = await wang.phone.expect("🏠 我的农户：共 60 户（第 1/6 页）")
    assert [label.removeprefix("⏳ ") for label in mine.button_texts[:-1]] == expected[:10]
