"""Webhook mode at the door: what Telegram posts is handled, what anyone else posts is refused
with the right status and logged without the secret or the token; a worker that loses Redis
answers with a clear error and writes nothing."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from bot.storage.models import ProcessedUpdate
from bot.storage.uow import App
from bot.telegram.app import build_bot, build_dispatcher
from bot.telegram.webhook import SECRET_HEADER, build_webhook_app, webhook_secret
from tests.telegram_api import FakeTelegram, TelegramUser

PATH = "/telegram/updates"
NOBODY_LISTENS = "redis://127.0.0.1:9/0"  # the discard port: connections are refused


class Webhook:
    def __init__(self, client: TestClient, secret: str) -> None:
        self.client = client
        self.secret = secret

    async def post(self, body: bytes | str, secret: str | None = "right") -> int:
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = self.secret if secret == "right" else secret
        response = await self.client.post(PATH, data=body, headers=headers)
        await response.read()
        return response.status

    async def deliver(self, update: dict[str, Any]) -> int:
        return await self.post(json.dumps(update))


@pytest.fixture
async def webhook(app: App) -> AsyncIterator[Webhook]:
    bot = build_bot(app.settings)
    application = build_webhook_app(app.settings, build_dispatcher(app), bot, PATH)
    async with TestClient(TestServer(application)) as client:
        yield Webhook(client, webhook_secret(app.settings))


async def processed(app: App) -> int:
    async with app.uow() as uow:
        return await uow.session.scalar(select(func.count()).select_from(ProcessedUpdate)) or 0


async def test_an_update_telegram_posts_with_the_secret_is_answered(
    webhook: Webhook, make_user: Callable[..., TelegramUser], app: App
) -> None:
    user = make_user("李四")
    update = await user.send("/start", settle=False)

    assert await webhook.deliver(update) == 200

    assert (await user.next_message()).text
    # A stranger's /start only reads: no id stored (bot/storage/update_marks.py), yet the
    # same update posted again is not answered again by this worker.
    assert await processed(app) == 0
    assert await webhook.deliver(update) == 200
    assert not user.unread()  # the door answers 200 once the update is handled


async def test_a_wrong_or_missing_secret_gets_401_and_the_log_shows_neither_secret_nor_token(
    webhook: Webhook,
    make_user: Callable[..., TelegramUser],
    app: App,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user = make_user("李四")
    update = await user.send("/start", settle=False)
    caplog.set_level(logging.INFO)

    assert await webhook.post(json.dumps(update), secret="guessed") == 401
    assert await webhook.post(json.dumps(update), secret=None) == 401

    assert not user.messages
    assert await processed(app) == 0
    assert "wrong secret header" in caplog.text
    assert "no secret header" in caplog.text
    assert webhook.secret not in caplog.text
    assert "guessed" not in caplog.text
    assert app.settings.bot_token and app.settings.bot_token not in caplog.text


@pytest.mark.parametrize(
    "body",
    ["{not json", "[1, 2]", '{"update_id": "one"}', b"\xff\xfe{}"],
    ids=["broken JSON", "not an object", "not an update", "not UTF-8"],
)
async def test_a_body_that_is_no_update_gets_400(
    webhook: Webhook, body: bytes | str, caplog: pytest.LogCaptureFixture, app: App
) -> None:
    assert await webhook.post(body) == 400
    assert "refused (400)" in caplog.text
    assert webhook.secret not in caplog.text
    assert await processed(app) == 0


async def test_a_huge_body_gets_413(
    webhook: Webhook, caplog: pytest.LogCaptureFixture, app: App
) -> None:
    huge = json.dumps({"update_id": 1, "padding": "x" * (app.settings.webhook_max_body_bytes + 1)})

    assert await webhook.post(huge) == 413
    assert "refused (413)" in caplog.text
    assert webhook.secret not in caplog.text


async def test_a_worker_that_loses_redis_says_so_and_writes_nothing(
    app: App,
    make_user: Callable[..., TelegramUser],
    monkeypatch: pytest.MonkeyPatch,
    telegram: FakeTelegram,
) -> None:
    monkeypatch.setattr(app.settings, "redis_url", NOBODY_LISTENS)
    bot = build_bot(app.settings)  # its pacer finds no Redis either: it paces alone
    application = build_webhook_app(app.settings, build_dispatcher(app), bot, PATH)
    user = make_user("李四")
    update = await user.send("🏠 我的农户", settle=False)

    async with TestClient(TestServer(application)) as client:
        status = await Webhook(client, webhook_secret(app.settings)).deliver(update)

    assert status == 200  # answered: Telegram must not post it again later
    reply = await user.next_message()
    assert "请过一分钟再试一次" in reply.text, reply.text
    assert await processed(app) == 0  # nothing half-done: the update stopped at the door
