"""/web in the bot: a town office person or village admin gets a one-time sign-in link to the
office dashboard (and the Mini App menu button, the dashboard being on https); the link opens
the dashboard once; a contact person gets no link."""

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
    """The dashboard served (WEB_PORT) and reached over https (WEB_BASE_URL)."""
    return settings.model_copy(update={"web_base_url": BASE, "web_port": 8080})


async def test_town_office_gets_a_one_time_link_and_the_menu_button(
    app: App, telegram: FakeTelegram, running_bot: RunningBot, make_user
) -> None:  # type: ignore[no-untyped-def]
    clerk = make_user("周主任")
    await TownBuilder(app).person("周主任", Role.TOWN_OFFICE, telegram_user_id=clerk.id)

    await clerk.send("/web")
    reply = await clerk.next_message()
    found = LINK.search(reply.text)
    assert found, reply.text
    assert "10" in reply.text  # minutes it works
    buttons = [call.params for call in telegram.calls("setChatMenuButton")]
    assert any(
        params.get("menu_button", {}).get("web_app", {}).get("url") == f"{BASE}/web/app"
        for params in buttons
    ), buttons

    async with TestClient(TestServer(build_web_app(app))) as browser:
        opened = await browser.get(f"/web/signin?token={found[1]}", allow_redirects=False)
        assert opened.status == 303 and opened.headers["Location"] == "/web/"
        cookie = opened.cookies["bangfu_session"]
        # Over https: Secure, HttpOnly, SameSite=Lax (this plain-http client keeps it back).
        assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"
        assert (await browser.get(f"/web/signin?token={found[1]}")).status == 403


async def test_a_contact_person_gets_no_link(app: App, running_bot: RunningBot, make_user) -> None:  # type: ignore[no-untyped-def]
    person = make_user("王帮扶")
    village = await TownBuilder(app).village("大河村")
    await TownBuilder(app).person("王帮扶", Role.CONTACT, village, telegram_user_id=person.id)

    await person.send("/web")
    reply = await person.next_message()
    assert not LINK.search(reply.text)
    assert "县乡村振兴局和村两委" in reply.text
