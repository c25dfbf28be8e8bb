"""The office dashboard under test: the aiohttp application on a test server, a small town,
and signing in the way people do (a /web link)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import update

from bot.core.policy import Actor
from bot.core.signin.sessions import issue_link
from bot.domain.model import ContactChannel, Role
from bot.storage.models import Assignment, Household
from bot.storage.uow import App
from bot.web.server import build_web_app
from tests.town_builder import TownBuilder

CSRF = re.compile(r'name="csrf-token" content="([0-9a-f]*)"')


@pytest.fixture
async def client(app: App) -> AsyncIterator[TestClient]:
    async with TestClient(TestServer(build_web_app(app))) as test_client:
        yield test_client


async def sign_in(client: TestClient, app: App, actor: Actor) -> str:
    """Open a fresh /web link as the actor; returns the page's CSRF token."""
    token = await issue_link(app, actor)
    response = await client.get(f"/web/signin?token={token}")
    assert response.status == 200, await response.text()
    return csrf_of(await response.text())


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found and found[1], "no CSRF token on the page"
    return found[1]


@dataclass
class Town:
    office: Actor
    admin: Actor  # 大河村's village admin
    other_admin: Actor  # 石门村's
    contact: Actor
    dahe: list[Household]
    shimen: list[Household]


@pytest.fixture
async def town(app: App) -> Town:
    """Two villages: 大河村 with three households (one contacted this month), 石门村 with two."""
    build = TownBuilder(app)
    dahe = await build.village("大河村")
    shimen = await build.village("石门村")
    office = await build.person("周主任", Role.TOWN_OFFICE, telegram_user_id=9001)
    admin = await build.person("大河村支书", Role.VILLAGE_ADMIN, dahe, telegram_user_id=9002)
    other = await build.person("石门村支书", Role.VILLAGE_ADMIN, shimen, telegram_user_id=9003)
    contact = await build.person("王帮扶", Role.CONTACT, dahe, telegram_user_id=9004)
    in_dahe = [
        await build.household(dahe, "张桂英", contact),
        await build.household(dahe, "李建国", contact, group_name="2组"),
        await build.household(dahe, "陈秀兰", contact),
    ]
    in_shimen = [
        await build.household(shimen, "赵德明", contact),
        await build.household(shimen, "孙玉珍", contact),
    ]
    async with app.uow() as uow:  # on the roster since December, assigned since then
        when = datetime(2025, 12, 1, tzinfo=UTC)
        await uow.session.execute(update(Household).values(created_at=when))
        await uow.session.execute(update(Assignment).values(started_at=when))
        await uow.commit()
    await build.contact(in_dahe[0], contact, date(2026, 3, 5), ContactChannel.HOME_VISIT)
    return Town(office, admin, other, contact, in_dahe, in_shimen)


def init_data(bot_token: str, user_id: int, auth_date: datetime, forged: bool = False) -> str:
    """Init data as Telegram signs it (HMAC-SHA256 keyed by the bot token's WebAppData key)."""
    fields = {
        "auth_date": str(int(auth_date.timestamp())),
        "query_id": "AAH-test",
        "user": json.dumps({"id": user_id, "first_name": "测试"}, ensure_ascii=False),
    }
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    fields["hash"] = hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()
    if forged:
        fields["user"] = json.dumps({"id": user_id + 1, "first_name": "x"})
    return urlencode(fields)
