"""Bulk invitations: one link for each person not yet joined, a workbook to paste from and
print, and re-running gives new links only where the last one expired (or on request)."""

from __future__ import annotations

import asyncio
import stat
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest

from bot.cli import main
from bot.clock import FrozenClock
from bot.config import Settings
from bot.core.onboarding import first_start
from bot.core.onboarding import invites as onboarding
from bot.core.onboarding.bulk_invites import InviteState, invite_everyone_not_joined
from bot.core.policy import CLI_OPERATOR, Actor
from bot.documents.invite_sheet import invite_workbook
from bot.domain.model import Role
from bot.errors import DomainError, InvalidInput, NotAllowed
from bot.i18n import use_language
from bot.storage.models import Person
from bot.storage.uow import App
from bot.telegram.app import build_app
from tests.fixtures.rosters import household_row, write_csv
from tests.unit.test_onboarding import roster_person

BOT = "bangfu_bot"


def code_of(link: str | None) -> str:
    assert link is not None and link.startswith(f"https://t.me/{BOT}?start=")
    return link.rsplit("=", 1)[1]


async def town(app: App) -> dict[str, int]:
    """Two contact persons not yet joined, one who joined, one who left, a village admin,
    and the first-start admin placeholder."""
    ids = {
        "王芳": await roster_person(app, "王芳", village="大河村", phone="13905640001"),
        "=李强": await roster_person(app, "=李强", village="小河村", phone="+8613905640002"),
        "张三": await roster_person(app, "张三", village="大河村", telegram_user_id=1001),
        "走了的": await roster_person(app, "走了的", village="大河村"),
        "赵村长": await roster_person(app, "赵村长", village="大河村", role=Role.VILLAGE_ADMIN),
    }
    await first_start.first_start(app)
    async with app.uow() as uow:
        left = await uow.session.get(Person, ids["走了的"])
        assert left is not None
        left.active = False
        await uow.commit()
    return ids


async def test_everyone_not_joined_gets_a_working_link_once(app: App) -> None:
    ids = await town(app)
    invites = await invite_everyone_not_joined(app, CLI_OPERATOR, BOT)

    assert [row.name for row in invites.rows] == ["王芳", "=李强"]  # by village, then name
    assert {row.state for row in invites.rows} == {InviteState.NEW}
    assert (invites.issued, invites.kept) == (2, 0)
    first = invites.rows[0]
    assert (first.phone, first.village, first.role) == ("13905640001", "大河村", Role.CONTACT)
    assert first.expires_at == app.clock.now() + timedelta(days=app.settings.invite_ttl_days)

    actor = await onboarding.redeem_invite(app, 2001, code_of(first.link))
    assert actor.person_id == ids["王芳"]
    again = await invite_everyone_not_joined(app, CLI_OPERATOR, BOT)
    assert [row.name for row in again.rows] == ["=李强"]  # 王芳 joined


async def test_running_again_keeps_valid_links_and_renews_expired_ones(
    app: App, clock: FrozenClock
) -> None:
    await town(app)
    first = await invite_everyone_not_joined(app, CLI_OPERATOR, BOT)

    clock.advance(days=2)
    kept = await invite_everyone_not_joined(app, CLI_OPERATOR, BOT)
    assert [(row.state, row.link) for row in kept.rows] == [(InviteState.STILL_VALID, None)] * 2
    assert [row.expires_at for row in kept.rows] == [row.expires_at for row in first.rows]
    assert (kept.issued, kept.kept) == (0, 2)

    clock.advance(days=6)  # the first links expired
    renewed = await invite_everyone_not_joined(app, CLI_OPERATOR, BOT)
    assert {row.state for row in renewed.rows} == {InviteState.RENEWED}
    assert all(row.link not in {old.link for old in first.rows} for row in renewed.rows)
    with pytest.raises(DomainError):
        await onboarding.redeem_invite(app, 2001, code_of(first.rows[0].link))
    assert (await onboarding.redeem_invite(app, 2001, code_of(renewed.rows[0].link))).name


async def test_a_kept_link_still_works_and_renew_replaces_it(app: App) -> None:
    await town(app)
    first = await invite_everyone_not_joined(app, CLI_OPERATOR, BOT)
    await invite_everyone_not_joined(app, CLI_OPERATOR, BOT)  # kept
    assert (await onboarding.redeem_invite(app, 2001, code_of(first.rows[0].link))).name == "王芳"

    renewed = await invite_everyone_not_joined(app, CLI_OPERATOR, BOT, renew=True)
    assert [(row.name, row.state) for row in renewed.rows] == [("=李强", InviteState.RENEWED)]
    with pytest.raises(DomainError):  # the replaced link stops working
        await onboarding.redeem_invite(app, 2002, code_of(first.rows[1].link))
    assert (await onboarding.redeem_invite(app, 2002, code_of(renewed.rows[0].link))).name


async def test_by_village_and_role_and_only_for_the_town_office(app: App) -> None:
    ids = await town(app)
    in_village = await invite_everyone_not_joined(app, CLI_OPERATOR, BOT, village="大河村")
    assert [row.name for row in in_village.rows] == ["王芳"]
    assert in_village.village == "大河村"
    admins = await invite_everyone_not_joined(app, CLI_OPERATOR, BOT, role=Role.VILLAGE_ADMIN)
    assert [(row.name, row.role) for row in admins.rows] == [("赵村长", Role.VILLAGE_ADMIN)]
    office = await invite_everyone_not_joined(app, CLI_OPERATOR, BOT, role=Role.TOWN_OFFICE)
    assert office.rows == []  # the first-start admin keeps its own link

    with pytest.raises(InvalidInput):
        await invite_everyone_not_joined(app, CLI_OPERATOR, BOT, village="没有这个村")
    cadre = Actor(person_id=ids["赵村长"], name="赵村长", role=Role.VILLAGE_ADMIN, village_id=1)
    with pytest.raises(NotAllowed):
        await invite_everyone_not_joined(app, cadre, BOT)


async def test_the_workbook_lists_keeps_text_as_text_and_has_slips(
    app: App, tmp_path: Path
) -> None:
    await town(app)
    await invite_everyone_not_joined(app, CLI_OPERATOR, BOT, village="小河村")  # 李强: kept
    invites = await invite_everyone_not_joined(app, CLI_OPERATOR, BOT)
    path = tmp_path / "invites.xlsx"
    with use_language("zh"):
        invite_workbook(invites, app.settings.tz, path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["邀请名单", "打印条"]
    listing = [[cell.value for cell in row] for row in book["邀请名单"].iter_rows()]
    assert listing[0][:7] == ["序号", "姓名", "电话", "村", "身份", "邀请链接", "有效期至"]
    wang, li = listing[1], listing[2]
    assert wang[1:5] == ["王芳", "13905640001", "大河村", "帮扶联系人"]
    assert wang[5] == invites.rows[0].link and wang[5] in wang[8]
    assert wang[6] == "2026-03-17 10:00"
    # Stored exactly as typed, as text with the quote-prefix style: never a formula or number.
    assert li[1:3] == ["=李强", "+8613905640002"]
    li_cells = book["邀请名单"][3]
    assert all(cell.data_type == "s" and cell.quotePrefix for cell in li_cells[1:3])
    assert li[5] is None and "还能用" in li[7] and li[8] is None  # kept: no link to show
    for row in book["邀请名单"].iter_rows(min_row=2):
        assert all(cell.data_type in ("s", "n") for cell in row if cell.value is not None)
        assert row[2].data_type == "s"

    slips = [cell.value for cell in book["打印条"]["A"] if cell.value]
    assert slips[0] == "王芳（大河村）" and slips[2] == invites.rows[0].link
    assert len([text for text in slips if str(text).startswith("https://")]) == 1


async def remember_bot_username(settings: Settings) -> None:
    """What the bot does at start, so the console can print links while it is offline."""
    app = build_app(settings)
    await first_start.remember_bot_username(app, BOT)
    await app.close()


def test_the_clerk_invites_everyone_at_the_console(
    console: Path,
    _clean_postgres: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    settings: Settings,
) -> None:
    write_csv(
        tmp_path / "roster.csv",
        [household_row(1), household_row(2, 帮扶联系人="王建华", 帮扶联系人电话="13905640002")],
    )
    assert main(["import", "roster", "roster.csv"]) == 0
    capsys.readouterr()

    assert main(["invite", "--all", "--out", "out/invites.xlsx"]) == 2  # no bot name known
    assert "BOT_TOKEN" in capsys.readouterr().err
    asyncio.run(remember_bot_username(settings))

    assert main(["invite", "--all", "--out", "out/invites.xlsx"]) == 0
    said = capsys.readouterr().out
    assert "还没加入的共 2 人，每人都生成了新链接" in said and "out/invites.xlsx" in said
    out = tmp_path / "out" / "invites.xlsx"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE(out.parent.stat().st_mode) == 0o700
    names = [row[1].value for row in openpyxl.load_workbook(out)["邀请名单"].iter_rows(min_row=2)]
    assert sorted(names) == ["李春华", "王建华"]

    assert main(["invite", "--all", "--village", "大河村", "--out", "again.xlsx"]) == 0
    said = capsys.readouterr().out
    assert "新生成 0 个链接，2 个之前发的链接还能用" in said and "--renew" in said
    assert main(["invite", "--all", "--renew", "--out", "again.xlsx"]) == 0
    assert "共 2 人，每人都生成了新链接" in capsys.readouterr().out

    assert main(["invite", "--all", "--role", "town_office", "--out", "x.xlsx"]) == 0
    assert "都已经加入了" in capsys.readouterr().out
    assert not (tmp_path / "x.xlsx").exists()
    assert main(["invite", "--name", "李春华"]) == 2  # one person needs a role


def test_the_console_names_an_unreachable_telegram_as_the_reason_it_cannot_make_links(
    console: Path,
    _clean_postgres: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    settings: Settings,
) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123456:TEST-TOKEN")
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:9")  # nothing listens there
    write_csv(tmp_path / "roster.csv", [household_row(1)])
    assert main(["import", "roster", "roster.csv"]) == 0
    capsys.readouterr()

    assert main(["invite", "--name", "李春华", "--role", "contact"]) == 2
    said = capsys.readouterr().err
    assert "连不上 Telegram" in said and "TELEGRAM_PROXY" in said and "bangfu doctor" in said
    assert "请设置 BOT_TOKEN" not in said  # it is set: that is not the problem

    # Once the bot has started and remembered its name, links are made offline, with a word.
    asyncio.run(remember_bot_username(settings))
    assert main(["invite", "--all", "--out", "invites.xlsx"]) == 0
    out, err = capsys.readouterr()
    assert "连不上 Telegram" in err and f"@{BOT}" in out
    assert (tmp_path / "invites.xlsx").exists()
