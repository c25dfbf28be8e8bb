"""Hostile input through the real bot: impossible months, a damaged workbook, control
characters typed or forged into a button. Each gets a clear answer in the person's language,
nothing half-done, and the same on SQLite and PostgreSQL (which cannot store NUL)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from bot.core.flags.platform_list import PLATFORM_LIST_MAX_ROWS
from bot.domain.model import Role
from bot.storage.models import RedFlag
from bot.storage.uow import App
from tests.e2e.conftest import RunningBot
from tests.telegram_api import FakeTelegram, TelegramGroup, TelegramUser

TOWN_OFFICE_GROUP = -1007654321
pytestmark = pytest.mark.office_group(TOWN_OFFICE_GROUP)
BAD_MONTH = (
    "月份请按 YYYY-MM 填写（也可以写 2026年3月、2026.3 或 3月），"
    "从 2000-01 到 2099-12，例如 2026-02。"
)


@dataclass
class Town:
    group: TelegramGroup
    director: TelegramUser  # 周主任, town office
    contact: TelegramUser  # 王建华, 张桂英's contact person


@pytest.fixture
async def town(
    telegram: FakeTelegram,
    running_bot: RunningBot,
    make_user,  # type: ignore[no-untyped-def]
    register_person,  # type: ignore[no-untyped-def]
    add_household,  # type: ignore[no-untyped-def]
    assign,  # type: ignore[no-untyped-def]
) -> Town:
    group = TelegramGroup(telegram, "佛子岭镇扶贫办", chat_id=TOWN_OFFICE_GROUP)
    director, contact = make_user("周主任"), make_user("王建华")
    await register_person("周主任", Role.TOWN_OFFICE, telegram_user=director)
    wang = await register_person("王建华", Role.CONTACT, village="河口村", telegram_user=contact)
    await assign(await add_household("张桂英", village="河口村"), wang)
    return Town(group, director, contact)


async def test_a_file_too_large_for_a_red_flag_list_is_refused_with_its_size_unread(
    app: App, telegram: FakeTelegram, town: Town
) -> None:
    await town.director.send_document(b"PK" * (3 * 1024 * 1024), "预警名单.xlsx", chat=town.group)

    await town.group.expect("这个文件有 6.0 MB，预警名单最大 5.0 MB，没有读取。")
    await town.group.expect_no_message()
    assert telegram.calls("getFile") == []


async def test_a_red_flag_list_of_more_rows_than_a_town_has_is_refused_before_it_is_read_whole(
    app: App, telegram: FakeTelegram, town: Town
) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["户编号", "预警原因"])
    for serial in range(PLATFORM_LIST_MAX_ROWS):
        sheet.append([f"34152310100{serial:05d}", "人均纯收入低于监测线"])
    data = io.BytesIO()
    workbook.save(data)

    await town.director.send_document(data.getvalue(), "预警名单.xlsx", chat=town.group)

    await town.group.expect("预警名单.xlsx 超过 20,000 行，名单不可能这么长，没有读取。")
    await town.group.expect_no_message()
    async with app.uow() as uow:
        assert (await uow.session.execute(select(func.count(RedFlag.id)))).scalar_one() == 0


@pytest.mark.parametrize("month", ["0001-01", "1-1", "0000-05", "10000-01", "2026-13", "二月"])
async def test_summary_of_an_impossible_month_says_how_to_write_one(town: Town, month: str) -> None:
    await town.director.send(f"/summary {month}", chat=town.group)

    await town.group.expect(BAD_MONTH)
    await town.group.expect_no_message()


def sheet_cut_in_half() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["序号", "户编号", "预警原因"])
    for serial in range(200):
        sheet.append([serial, f"34152310100{serial:05d}", "人均纯收入低于监测线"])
    whole = io.BytesIO()
    workbook.save(whole)
    cut = io.BytesIO()
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(cut, "w") as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]
            archive.writestr(item, data)
    return cut.getvalue()


async def test_a_damaged_platform_list_gets_one_sentence_and_flags_nothing(
    app: App, town: Town
) -> None:
    await town.director.send_document(sheet_cut_in_half(), "2月预警名单.xlsx", chat=town.group)

    await town.group.expect("无法打开 2月预警名单.xlsx：不是可读取的 .xlsx 文件。")
    await town.group.expect_no_message()
    async with app.uow() as uow:
        assert (await uow.session.execute(select(func.count(RedFlag.id)))).scalar_one() == 0


async def open_risk_reason(contact: TelegramUser) -> None:
    """The contact person opens 张桂英's risk report and chooses to type the reason."""
    await contact.send("/help")  # the menu keyboard comes with it
    await contact.tap("🏠 我的农户")
    await contact.press("⏳ 张桂英（一组）")
    await contact.press("🚩 报告风险")
    await contact.press("✏️ 其他（自己填写）")
    contact.read_all()


async def test_a_nul_typed_into_a_form_is_refused_and_the_form_waits_for_the_text_again(
    app: App, town: Town
) -> None:
    await open_risk_reason(town.contact)

    await town.contact.send("房屋\x00倒塌")
    await town.contact.expect("这里面有一个看不见的控制字符（U+0000），请去掉它重新输入。")
    await town.contact.expect_no_message()
    await town.contact.send("房屋倒塌")
    await town.contact.expect("房屋倒塌")
    await town.contact.press("✅ 确认报告")
    await town.contact.expect("已通知镇扶贫办")

    async with app.uow() as uow:
        reasons = (await uow.session.execute(select(RedFlag.reason))).scalars().all()
    assert reasons == ["房屋倒塌"]


async def test_any_kind_of_line_break_typed_into_a_form_is_stored_as_one_line_feed(
    app: App, town: Town
) -> None:
    await open_risk_reason(town.contact)

    await town.contact.send("房屋\v倒塌\u2028漏雨\f\x85无人照看")
    await town.contact.expect("房屋\n倒塌\n漏雨\n\n无人照看")
    await town.contact.press("✅ 确认报告")
    await town.contact.expect("已通知镇扶贫办")

    async with app.uow() as uow:
        reasons = (await uow.session.execute(select(RedFlag.reason))).scalars().all()
    assert reasons == ["房屋\n倒塌\n漏雨\n\n无人照看"]


async def test_a_nul_in_a_search_or_a_forged_button_is_answered_not_crashed(
    town: Town,
) -> None:
    await town.director.send("/find 桂\x00英")
    await town.director.expect("控制字符（U+0000）")
    await town.director.send("桂\x00英", chat=town.group)  # chatter in a group: not for the bot
    await town.group.expect_no_message()
    await town.contact.send("桂\x1b英")
    await town.contact.expect("控制字符（U+001B）")
    await town.contact.send("/help")
    town.contact.read_all()
    await town.contact.tap("🏠 我的农户")
    listing = await town.contact.expect("我的农户")

    answer = await town.contact.press_data("pg:0:\x00桂英", listing)

    assert answer is not None
    await town.contact.expect_no_message()


HUGE = "99999999999999999999"  # beyond 64 bits, let alone PostgreSQL's integer


@pytest.mark.parametrize(
    "data",
    [
        f"xf:{HUGE}",
        f"hh:card:{HUGE}",
        f"hh:history:{HUGE}",
        f"flag:open:{HUGE}:0",
        f"flag:deadline:1:{HUGE}",
        f"pg:{HUGE}:",
        f"ra:1:{HUGE}:0",
        f"dp:{HUGE}",
        f"ce:open:{HUGE}",
        "hh:card:-1",
        f"hh:reassign:{HUGE}",
        f"flag:retract:{HUGE}:0",
        f"flag:keep:{HUGE}:0",
        f"lg:{HUGE}:",
        f"bl:{HUGE}:0:0",
        f"bl:1:{HUGE}:1",
        f"rn:{HUGE}",
        f"ni:{HUGE}",
        f"ia:{HUGE}:0",
        f"cty:{HUGE}:record",
        f"ms:save:{HUGE}",
        f"rs:{HUGE}:cancel",
    ],
)
async def test_a_forged_button_with_an_id_out_of_range_is_an_outdated_button(
    town: Town, data: str
) -> None:
    await town.director.send("/help")
    town.director.read_all()

    answer = await town.director.press_data(data)

    assert answer is not None and answer.text == "这个按钮已失效。"
    await town.director.expect_no_message()


async def test_find_with_a_huge_number_finds_nothing_and_says_so(town: Town) -> None:
    await town.director.send(f"/find {HUGE}")

    await town.director.expect("没有找到农户")
