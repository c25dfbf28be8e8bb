"""The webhook half of bench/per_update.py: N worker processes on one port (SO_REUSEPORT),
the presses posted to them as Telegram posts updates, with the secret header.

bangfu's workers are `bangfu run --webhook URL --worker` (bot/cli/workers_cmd.py `work`: the
webhook door, Redis for the forms' state, the per-chat lock and the send budget, the leader
lock on PostgreSQL), started by the benchmark instead of by `bangfu run --workers N` so that
each gets the benchmark's clock and a send budget 1,000 times faster (`FastRedisPacer`: the
very Lua script per send, on shorter intervals). The echo bot's workers are aiogram's own
webhook handler (`SimpleRequestHandler`) on the same port, N of them too.
"""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import aiohttp
from aiogram import Bot, Dispatcher
from aiohttp import web
from redis.asyncio import Redis

from bot.config import Settings
from bot.telegram.pacing import OVERALL_PER_SECOND, Pacer
from bot.telegram.shared_pacing import RedisPacer
from bot.telegram.webhook import SECRET_HEADER, webhook_secret
from bot.telegram.workers import parse_listen

CONNECTIONS = 40  # Telegram's default max_connections for a webhook
PERSON_GAP, GROUP_GAP = 3, 7  # the per-chat intervals among RedisPacer's script arguments


class FastRedisPacer(RedisPacer):
    """The budget every worker shares in Redis, each interval `factor` times shorter."""

    def __init__(self, redis: Redis, prefix: str, factor: int, local: Pacer) -> None:
        super().__init__(redis, prefix, OVERALL_PER_SECOND * factor, local)
        self.factor = factor

    def _args(self, chat_id: Any, priority: Any) -> list[object]:
        args = super()._args(chat_id, priority)
        for gap in (PERSON_GAP, GROUP_GAP):
            args[gap] = int(args[gap]) // self.factor  # type: ignore[call-overload]
        return args


def listening(port: int) -> int:
    """How many sockets listen on 127.0.0.1:`port` (one per worker with SO_REUSEPORT)."""
    wanted = f"0100007F:{port:04X}"
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[1] == wanted and row.split()[3] == "0A")


async def serve_echo(dispatcher: Dispatcher, bot: Bot, settings: Settings, url: str) -> None:
    """aiogram's webhook handler for the echo bot, on the shared port, until killed."""
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application

    from bot.telegram.webhook import webhook_path

    application = web.Application()
    handler = SimpleRequestHandler(
        dispatcher, bot, handle_in_background=False, secret_token=webhook_secret(settings)
    )
    handler.register(application, path=webhook_path(url))
    setup_application(application, dispatcher, bot=bot)
    runner = web.AppRunner(application, access_log=None)
    await runner.setup()
    host, port = parse_listen(settings.webhook_listen)
    await web.TCPSite(runner, host, port, reuse_port=True).start()
    await asyncio.Event().wait()


class Door:
    """Where Telegram would post: the workers' shared port, and the secret they expect."""

    def __init__(self, port: int, settings: Settings) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}/telegram/updates"
        self.headers = {SECRET_HEADER: webhook_secret(settings), "Content-Type": "application/json"}
        self.client: aiohttp.ClientSession | None = None

    async def open(self, workers: int, timeout: float = 180.0) -> None:  # noqa: ASYNC109
        """Once all `workers` listen: connections kept open, at most CONNECTIONS at once."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while listening(self.port) < workers:
            if loop.time() > deadline:
                raise SystemExit(f"{listening(self.port)} of {workers} workers listen")
            await asyncio.sleep(0.2)
        connector = aiohttp.TCPConnector(limit=CONNECTIONS)
        self.client = aiohttp.ClientSession(connector=connector)

    async def post(self, updates: Iterable[dict[str, Any]]) -> None:
        """Post the updates at once; each must be answered 200 (handled)."""
        await asyncio.gather(*(self._post(update) for update in updates))

    async def _post(self, update: dict[str, Any]) -> None:
        assert self.client is not None
        body = json.dumps(update)
        async with self.client.post(self.url, data=body, headers=self.headers) as answer:
            if answer.status != 200:
                raise SystemExit(f"the workers answered {answer.status}: {await answer.text()}")

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def redis_prefix() -> str:
    return f"bench-per-update-{uuid.uuid4().hex}"


async def forget(redis_url: str, prefix: str) -> None:
    """Delete every key the workers wrote under `prefix`."""
    redis = Redis.from_url(redis_url)
    try:
        async for key in redis.scan_iter(f"{prefix}:*"):
            await redis.delete(key)
    finally:
        await redis.aclose()
