"""The town office invites every contact person not yet joined from the chat, and gets the
sheet in its private chat (the links are keys), also when asking in the office's group."""

from __future__ import annotations

from io import BytesIO

import openpyxl

from bot.domain.model import Role

BUTTON = "📨 邀请全部未加入的联系人"


def sheet_rows(message) -> list[list[object]]:  # type: ignore[no-untyped-def]
    assert message.document is not None and message.document.filename.endswith(".xlsx")
    book = openpyxl.load_workbook(BytesIO(message.document.data))
    return [[cell.value for cell in row] for row in book["邀请名单"].iter_rows(min_row=2)]


async def test_town_office_gets_the_sheet_privately_from_the_group_and_renews_kept_links(
    running_bot, make_user, register_person, town_office_group
) -> None:
    director, group = make_user("王主任"), town_office_group
    await register_person("王主任", Role.TOWN_OFFICE, telegram_user=director)
    await register_person("李春华", Role.CONTACT, village="大河村", phone="13905641268")
    await register_person("王建华", Role.CONTACT, village="小河村")
    joined = make_user("张三")
    await register_person("张三", Role.CONTACT, village="大河村", telegram_user=joined)

    await director.send("/invite_all")
    sheet = await director.next_message()
    assert "还没加入的帮扶联系人共 2 人，新生成 2 个邀请链接" in sheet.text
    assert sheet.document is not None
    assert sheet.document.filename == "邀请链接-2026-03-10.xlsx"  # today, not the expiry
    rows = sheet_rows(sheet)
    assert [(row[1], row[3]) for row in rows] == [("李春华", "大河村"), ("王建华", "小河村")]
    assert all(str(row[5]).startswith("https://t.me/") and row[5] in row[8] for row in rows)
    first_links = {row[5] for row in rows}

    await director.send("/office", chat=group)
    office = await group.next_message()
    assert "/invite_all" in office.text
    await director.press(BUTTON, office, chat=group)
    assert (await group.next_message()).text == (
        "王主任：邀请表已经私聊发给您了（链接是每个人自己的，不要发在群里）。"
    )
    assert not any(message.document for message in group.messages)  # no links in the group
    kept = await director.next_message()
    assert "共 2 人，之前发的链接都还没用、还能用，这次没有生成新链接" in kept.text
    assert all(row[5] is None for row in sheet_rows(kept))

    await director.press("🔄 给这 2 人换新链接", kept)
    renewed = await director.next_message()
    assert "新生成 2 个邀请链接" in renewed.text and not renewed.buttons
    link_of = {row[1]: row[5] for row in sheet_rows(renewed)}
    assert len(set(link_of.values())) == 2 and not set(link_of.values()) & first_links

    newcomer = make_user("李春华")
    code = str(link_of["李春华"]).rsplit("=", 1)[1]
    await newcomer.send(f"/start {code}")
    assert "李春华" in (await newcomer.next_message()).text


async def test_one_village_and_nobody_left_to_invite(
    running_bot, make_user, register_person
) -> None:
    director = make_user("王主任")
    await register_person("王主任", Role.TOWN_OFFICE, telegram_user=director)
    await register_person("李春华", Role.CONTACT, village="大河村")
    await register_person("王建华", Role.CONTACT, village="小河村")

    await director.send("/invite_all 小河村")
    sheet = await director.next_message()
    assert "还没加入的帮扶联系人（小河村）共 1 人" in sheet.text
    assert [row[1] for row in sheet_rows(sheet)] == ["王建华"]

    await director.send("/invite_all 没有这个村")
    refused = (await director.next_message()).text
    assert "没有这个村" in refused and "大河村、小河村" in refused and not director.unread()


async def test_others_cannot_invite(running_bot, make_user, register_person, make_group) -> None:
    cadre, director = make_user("赵村长"), make_user("王主任")
    await register_person("赵村长", Role.VILLAGE_ADMIN, village="大河村", telegram_user=cadre)
    await register_person("王主任", Role.TOWN_OFFICE, telegram_user=director)
    await register_person("李春华", Role.CONTACT, village="大河村")

    await cadre.send("/invite_all")
    refusal = await cadre.next_message()
    assert refusal.text == "只有镇扶贫办可以邀请人员。" and not refusal.document
    await cadre.press_data("ia:0:1")  # a forged "renew" press
    assert (await cadre.next_message()).text == "只有镇扶贫办可以邀请人员。"
    assert not any(message.document for message in cadre.messages)

    chatter = make_group("村民群")
    await director.send("/invite_all", chat=chatter)
    assert "镇扶贫办" in (await chatter.next_message()).text
    await director.expect_no_message()
