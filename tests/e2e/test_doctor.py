"""`bangfu doctor` against the Bot API stand-in: it passes when everything is in place, and
for each thing a town gets wrong (the token, no way to Telegram, the office group, privacy
mode, the database, the outbox, no running bot, no backup, a wrong clock) it fails or warns
saying what to do, in Chinese or English; the exit status is 1 on any failure."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.cli import main
from bot.cli.doctor_cmd import examine
from bot.clock import Clock, FrozenClock
from bot.config import Settings
from bot.ops.backup import make_backup
from bot.ops.doctor import Finding, Status
from bot.storage.leader import leader_lock
from bot.storage.migrate import alembic_config
from bot.storage.models import OfficeGroup
from bot.storage.uow import App
from tests.conftest import TZ
from tests.proxies import Socks5Proxy
from tests.telegram_api import FakeTelegram, TelegramGroup
from tests.town_builder import TownBuilder

HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def problems(findings: list[Finding]) -> dict[Status, list[str]]:
    """Warnings and failures, each as its text and what to do."""
    found: dict[Status, list[str]] = {Status.WARN: [], Status.FAIL: []}
    for finding in findings:
        if finding.status != Status.OK:
            found[finding.status].append(f"{finding.text} → {finding.fix}")
    return found


@pytest.fixture
async def bangfu_running(settings: Settings) -> AsyncIterator[None]:
    """A `bangfu run` holding this database (as far as anyone can tell: its leader lock)."""
    lock = leader_lock(settings.database_url)
    assert await lock.try_take()
    yield
    await lock.release()


@pytest.fixture
async def town_in_order(
    app: App, settings: Settings, telegram: FakeTelegram, bangfu_running: None
) -> TelegramGroup:
    """A town with nothing to fix: the office group set with the bot an administrator, a
    fresh backup, bangfu running."""
    group = TelegramGroup(telegram, "佛子岭镇扶贫办")
    group.chat.bot_member = {"status": "administrator"}
    settings.town_office_chat_id = group.id
    await make_backup(settings, Clock(TZ).now())
    return group


async def checked(settings: Settings, clock: Clock | None = None) -> dict[Status, list[str]]:
    return problems(await examine(settings, clock or Clock(TZ)))


async def test_a_town_with_everything_in_place_passes(
    settings: Settings, town_in_order: TelegramGroup
) -> None:
    findings = await examine(settings, Clock(TZ))

    assert problems(findings) == {Status.WARN: [], Status.FAIL: []}
    said = "\n".join(finding.text for finding in findings)
    for expected in ("数据库", "@bangfu_test_bot", "佛子岭镇扶贫办", "管理员", "Asia/Shanghai"):
        assert expected in said


async def test_the_command_exits_1_on_a_failure_and_says_what_to_fix_in_english(
    settings: Settings,
    town_in_order: TelegramGroup,
    telegram: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "DATABASE_URL": settings.database_url,
        "BOT_TOKEN": settings.bot_token,
        "TELEGRAM_API_URL": telegram.url,
        "TOWN_OFFICE_CHAT_ID": str(town_in_order.id),
        "BACKUP_DIR": str(settings.backup_dir),
        "DEFAULT_LANGUAGE": "en",
    }.items():
        monkeypatch.setenv(name, str(value))
    assert await asyncio.to_thread(main, ["doctor"]) == 0
    assert "Everything bangfu needs is in place (0 warning(s))" in capsys.readouterr().out

    telegram.fail_next("getMe", 401, "Unauthorized")
    assert await asyncio.to_thread(main, ["doctor"]) == 1
    out = capsys.readouterr().out
    assert "❌ Telegram does not accept BOT_TOKEN." in out
    assert "@BotFather" in out
    assert "1 problem(s) to fix" in out


async def test_a_token_that_is_no_token_is_named(
    settings: Settings, town_in_order: TelegramGroup
) -> None:
    found = await checked(settings.model_copy(update={"bot_token": "123 456"}))
    assert any("BOT_TOKEN" in line and "@BotFather" in line for line in found[Status.FAIL])


async def test_a_bot_api_in_trouble_is_reported_at_once_not_tried_again(
    settings: Settings, town_in_order: TelegramGroup, telegram: FakeTelegram
) -> None:
    telegram.fail_next("getMe", 502, "Bad Gateway", times=10)
    found = await checked(settings)
    assert any("Bad Gateway" in line for line in found[Status.FAIL])
    # A check is no reply: one call, not a minute of tries (bot/telegram/session.py).
    assert [call.method for call in telegram.requests].count("getMe") == 1


async def test_without_a_way_to_the_bot_api_it_suggests_a_proxy(
    settings: Settings, town_in_order: TelegramGroup
) -> None:
    unreachable = settings.model_copy(update={"telegram_api_url": "http://127.0.0.1:9"})
    found = await checked(unreachable)
    assert any("TELEGRAM_PROXY" in line for line in found[Status.FAIL])


async def test_through_a_proxy_it_reports_the_proxy_and_a_refusing_one(
    settings: Settings, town_in_order: TelegramGroup
) -> None:
    async with Socks5Proxy("town", "right") as proxy:
        through = settings.model_copy(update={"telegram_proxy": proxy.url})
        findings = await examine(through, Clock(TZ))
        assert problems(findings)[Status.FAIL] == []
        assert any(
            f"socks5://town:***@127.0.0.1:{proxy.port}" in finding.text for finding in findings
        )
        assert proxy.tunnels, "the doctor did not go through the proxy"

        wrong = settings.model_copy(update={"telegram_proxy": proxy.url_with("wrong")})
        found = await checked(wrong)
        assert any("代理" in line and "密码" in line for line in found[Status.FAIL])


MUTED = {"status": "restricted", "can_send_messages": False}
SUPERGROUP = -1009876543210
GROUP_CASES = [
    # the bot's membership, the supergroup the group became, what doctor says, a word of it
    pytest.param({"status": "left"}, None, Status.FAIL, "添加", id="left"),
    pytest.param({"status": "kicked"}, None, Status.FAIL, "移出", id="kicked"),
    pytest.param(MUTED, None, Status.FAIL, "不能发", id="muted"),
    pytest.param(None, SUPERGROUP, Status.FAIL, f"={SUPERGROUP}", id="became-supergroup"),
    pytest.param(None, None, Status.WARN, "/setprivacy", id="privacy-mode"),
]


@pytest.mark.parametrize(("member", "migrated_to", "status", "says"), GROUP_CASES)
async def test_the_office_group_problems_are_each_named(
    settings: Settings,
    town_in_order: TelegramGroup,
    member: dict[str, Any] | None,
    migrated_to: int | None,
    status: Status,
    says: str,
) -> None:
    town_in_order.chat.bot_member = member
    town_in_order.chat.migrated_to = migrated_to
    found = await checked(settings)
    assert any(says in line for line in found[status]), found
    other = Status.WARN if status == Status.FAIL else Status.FAIL
    assert found[other] == []


async def test_privacy_mode_off_lets_a_plain_member_read_files(
    settings: Settings, town_in_order: TelegramGroup, telegram: FakeTelegram
) -> None:
    town_in_order.chat.bot_member = None
    telegram.privacy_mode = False
    assert await checked(settings) == {Status.WARN: [], Status.FAIL: []}


async def test_no_office_group_and_a_person_s_chat_as_the_group(
    settings: Settings, town_in_order: TelegramGroup, make_user
) -> None:  # type: ignore[no-untyped-def]
    unset = await checked(settings.model_copy(update={"town_office_chat_id": None}))
    assert any("TOWN_OFFICE_CHAT_ID" in line for line in unset[Status.WARN])
    person = make_user("周主任")
    wrong = await checked(settings.model_copy(update={"town_office_chat_id": person.id}))
    assert any("不是群" in line for line in wrong[Status.FAIL])


async def test_in_a_county_every_town_s_office_group_and_the_county_s_are_checked(
    app: App, settings: Settings, town_in_order: TelegramGroup, telegram: FakeTelegram
) -> None:
    """本镇's group by TOWN_OFFICE_CHAT_ID, 乙镇's confirmed in the bot but the bot removed
    since, 丙镇 and the county without one: each named, with where its group came from."""
    build = TownBuilder(app)
    yi = await build.town("乙镇")
    await build.town("丙镇")
    removed = TelegramGroup(telegram, "乙镇扶贫办")
    removed.chat.bot_member = {"status": "kicked"}
    async with app.uow() as uow:
        uow.session.add(
            OfficeGroup(
                town_id=yi.id, chat_id=removed.id, title="乙镇扶贫办", confirmed_at=Clock(TZ).now()
            )
        )
        await uow.commit()

    findings = await examine(settings, Clock(TZ))
    texts = [finding.text for finding in findings]
    assert f"本镇：镇扶贫办工作群：{town_in_order.id}，由配置项 TOWN_OFFICE_CHAT_ID 指定。" in texts
    found = problems(findings)
    assert any(line.startswith("乙镇：") and "移出" in line for line in found[Status.FAIL])
    assert any(text.startswith("乙镇：") and str(removed.id) in text for text in texts)
    assert any("1 个乡镇（丙镇）" in line for line in found[Status.WARN]), found
    assert any(line.startswith("还没有设置县乡村振兴局的工作群") for line in found[Status.WARN])
    assert not any("本镇：" in line for line in found[Status.FAIL] + found[Status.WARN])


async def test_a_database_behind_ahead_or_unreachable(
    settings: Settings, town_in_order: TelegramGroup
) -> None:
    engine = create_async_engine(settings.database_url)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    behind = await checked(settings)
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    ahead = await checked(settings)
    async with engine.begin() as connection:  # back at head, for the tests that follow
        await connection.execute(
            text("UPDATE alembic_version SET version_num = :head"), {"head": HEAD}
        )
    await engine.dispose()

    assert any("bangfu db upgrade" in line for line in behind[Status.WARN])
    assert behind[Status.FAIL] == []
    assert any("0099" in line and "回退" in line for line in ahead[Status.FAIL])
    gone = settings.model_copy(
        update={"database_url": "postgresql+asyncpg://bangfu:x@127.0.0.1:9/none"}
    )
    assert any("DATABASE_URL" in line for line in (await checked(gone))[Status.FAIL])


async def test_overdue_and_undeliverable_messages(
    app: App, settings: Settings, town_in_order: TelegramGroup
) -> None:
    # Local noon (outside the quiet hours), and the rows dated from it: not from the wall clock,
    # which would put "3 hours ago" after noon every afternoon.
    noon = datetime(2026, 3, 18, 12, tzinfo=TZ)
    async with app.uow() as uow:
        for key, status, age in (("late", "queued", 3), ("blocked", "undeliverable", 24)):
            due = noon - timedelta(hours=age)
            row = uow.queue_message(key, "digest", "person:1", {}, not_before=due)
            row.status, row.created_at = status, due
        await uow.commit()

    found = await checked(settings, FrozenClock(TZ, noon))
    assert any("bangfu outbox status" in line and "1 条" in line for line in found[Status.FAIL])
    assert any("无法送达" in line for line in found[Status.WARN])


async def test_nothing_running_no_backup_and_a_wrong_clock(
    settings: Settings, telegram: FakeTelegram
) -> None:
    found = await checked(settings, FrozenClock(TZ, datetime.now(TZ) - timedelta(hours=3)))
    warned = "\n".join(found[Status.WARN])
    assert "systemctl start bangfu" in warned
    assert "bangfu backup" in warned
    assert "180 分钟" in warned and "timedatectl" in warned

    quick = problems(await examine(settings, Clock(TZ), quick=True))
    assert any("systemctl start bangfu" in line for line in quick[Status.FAIL])


async def test_a_database_bangfu_never_set_up_is_named(
    settings: Settings, telegram: FakeTelegram, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.sqlite3"
    sqlite3.connect(empty).close()
    url = f"sqlite+aiosqlite:///{empty}"
    found = await checked(settings.model_copy(update={"database_url": url}))
    said = "\n".join(found[Status.WARN])
    assert "数据库是空的" in said and "bangfu db upgrade" in said
    assert found[Status.FAIL] == []


async def test_too_few_database_connections_are_a_warning(
    settings: Settings, town_in_order: TelegramGroup
) -> None:
    assert (await checked(settings))[Status.WARN] == []
    small = settings.model_copy(update={"db_pool_size": 4, "db_max_overflow": 2})

    found = await checked(small)

    assert found[Status.FAIL] == []
    assert found[Status.WARN] == [
        "每个进程的数据库连接：常开 4 个，最多 6 个。少于 10 个时，忙的时候一条消息可能要等 30 秒"
        "才有连接，然后失败。 → 把 DB_POOL_SIZE 和 DB_MAX_OVERFLOW 设成合计 10 个或更多。"
    ]
