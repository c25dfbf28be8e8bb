"""/web for the county office: its menu lists /web, it gets a one-time link (and the Mini App
menu button), and the link starts a dashboard session."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import Settings
from bot.domain.model import Role
from bot.storage.uow import App
from bot.web.server import build_web_app
from tests.e2e.conftest import RunningBot
from tests.telegram_api import FakeTelegram
from tests.town_builder import TownBuilder

BASE = "https://dash.example.cn"
LINK = re.compile(re.escape(BASE) + r"/web/signin\?token=([A-Za-z0-9_-]+)")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"web_base_url": BASE, "web_port": 8080})


async def test_the_county_office_signs_in_to_the_dashboard_from_the_bot(
    app: App, telegram: FakeTelegram, running_bot: RunningBot, make_user
) -> None:  # type: ignore[no-untyped-def]
    officer = make_user("郑科长")
    await TownBuilder(app).person("郑科长", Role.COUNTY_OFFICE, telegram_user_id=officer.id)

    await officer.send("/web")
    reply = await officer.next_message()
    found = LINK.search(reply.text)
    assert found, reply.text
    buttons = [call.params for call in telegram.calls("setChatMenuButton")]
    assert any(
        params.get("menu_button", {}).get("web_app", {}).get("url") == f"{BASE}/web/app"
        for params in buttons
    ), buttons
    commands = [call.params for call in telegram.calls("setMyCommands")]
    assert any(
        "web" in [c["command"] for c in params.get("commands", [])] for params in commands
    ), commands

    async with TestClient(TestServer(build_web_app(app))) as browser:
        # the county page itself: tests/web/test_county.py (this client keeps a Secure
        # cookie back, the dashboard being on https here)
        opened = await browser.get(f"/web/signin?token={found[1]}", allow_redirects=False)
        assert opened.status == 303 and opened.headers["Location"] == "/web/"
        assert opened.cookies["bangfu_session"].value
