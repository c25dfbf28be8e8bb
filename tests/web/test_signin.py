"""Signing in to the office dashboard: a /web link once, Mini App init data checked with the
bot token, sessions that end, CSRF on every POST; and who may not."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.core.roster.changes import deactivate_person
from bot.core.signin.sessions import issue_link
from bot.errors import NotAllowed
from bot.storage.sign_in_models import WebSession, WebSignInLink
from bot.storage.uow import App
from tests.web.conftest import Town, csrf_of, init_data, sign_in


async def test_town_office_signs_in_by_link_once_and_sees_the_overview(
    client: TestClient, app: App, town: Town
) -> None:
    token = await issue_link(app, town.office)
    first = await client.get(f"/web/signin?token={token}")
    assert first.status == 200
    assert "周主任" in await first.text()
    cookie = first.history[0].cookies["bangfu_session"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    async with app.uow() as uow:
        stored = (await uow.session.execute(select(WebSignInLink))).scalar_one()
        assert stored.token_hash != token and stored.used_at is not None
    client.session.cookie_jar.clear()
    again = await client.get(f"/web/signin?token={token}")
    assert again.status == 403
    assert "周主任" not in await again.text()


async def test_a_link_expires_after_its_minutes(
    client: TestClient, app: App, clock: FrozenClock, town: Town
) -> None:
    token = await issue_link(app, town.office)
    clock.advance(minutes=app.settings.web_link_minutes + 1)
    assert (await client.get(f"/web/signin?token={token}")).status == 403
    assert (await client.get("/web/signin?token=made-up")).status == 403


async def test_contact_persons_get_no_link(app: App, town: Town) -> None:
    with pytest.raises(NotAllowed):
        await issue_link(app, town.contact)


async def test_pages_need_a_session(client: TestClient) -> None:
    response = await client.get("/web/")
    assert response.status == 401
    assert "/web" in await response.text()


async def test_a_session_expires(
    client: TestClient, app: App, clock: FrozenClock, town: Town
) -> None:
    await sign_in(client, app, town.office)
    assert (await client.get("/web/")).status == 200
    clock.advance(hours=app.settings.web_session_hours, seconds=1)
    assert (await client.get("/web/")).status == 401


async def test_deactivating_a_person_ends_their_session_at_once(
    client: TestClient, app: App, town: Town
) -> None:
    await sign_in(client, app, town.admin)
    assert (await client.get("/web/")).status == 200
    await deactivate_person(app, town.office, town.admin.person_id)
    assert (await client.get("/web/")).status == 401
    async with app.uow() as uow:
        session = (await uow.session.execute(select(WebSession))).scalar_one()
        assert session.ended_at is not None


async def test_a_post_without_the_csrf_token_is_refused(
    client: TestClient, app: App, town: Town
) -> None:
    csrf = await sign_in(client, app, town.office)
    assert (await client.post("/web/signout", data={})).status == 403
    assert (await client.post("/web/signout", data={"csrf": "0" * 64})).status == 403
    assert (await client.get("/web/")).status == 200  # still signed in
    out = await client.post("/web/signout", data={"csrf": csrf})
    assert out.status == 200
    assert (await client.get("/web/")).status == 401


async def test_mini_app_init_data_signs_in(client: TestClient, app: App, town: Town) -> None:
    data = init_data(app.settings.bot_token or "", 9002, app.clock.now())
    response = await client.post("/web/app/session", data={"init_data": data})
    assert response.status == 200
    page = await response.text()
    assert "大河村支书" in page
    csrf_of(page)


async def test_forged_stale_or_foreign_init_data_is_refused(
    client: TestClient, app: App, clock: FrozenClock, town: Town
) -> None:
    token = app.settings.bot_token or ""
    forged = init_data(token, 9001, clock.now(), forged=True)
    assert (await client.post("/web/app/session", data={"init_data": forged})).status == 401
    other_bot = init_data("999:OTHER", 9001, clock.now())
    assert (await client.post("/web/app/session", data={"init_data": other_bot})).status == 401
    stale = init_data(token, 9001, clock.now())
    clock.advance(seconds=app.settings.web_init_data_max_age_seconds + 1)
    assert (await client.post("/web/app/session", data={"init_data": stale})).status == 401
    contact = init_data(token, 9004, clock.now())
    assert (await client.post("/web/app/session", data={"init_data": contact})).status == 403
    stranger = init_data(token, 5555, clock.now())
    assert (await client.post("/web/app/session", data={"init_data": stranger})).status == 403
    assert (await client.get("/web/")).status == 401


async def test_mounted_beside_a_webhook_the_dashboard_leaves_its_routes_alone(app: App) -> None:
    from aiohttp import web

    from bot.web.server import add_dashboard

    async def webhook(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    host = web.Application()
    host.router.add_post("/webhook/bot", webhook)
    add_dashboard(host, app)
    async with TestClient(TestServer(host)) as client:
        assert (await client.post("/webhook/bot", json={"update_id": 1})).status == 200
        assert (await client.get("/web/")).status == 401
