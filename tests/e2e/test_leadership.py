"""Workers take turns leading: while one holds the leader lock it alone runs the outbox
sender; when it stops, a follower takes the lock and the outbox goes on. In one process, on
the test database's own lock (a file lock on SQLite, an advisory lock on PostgreSQL: two
locks of one process conflict on either)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

import pytest

from bot.storage.leader import LeaderLock, leader_lock
from bot.storage.uow import App
from bot.telegram.app import build_bot
from bot.telegram.pacing import Pacer
from bot.telegram.workers import lead_when_free
from tests.e2e.wave import queue_rendered
from tests.telegram_api import FakeTelegram

PATIENCE = 60.0


class Worker:
    def __init__(self, app: App) -> None:
        self.app = app
        self.lock = Recorded(leader_lock(app.settings.database_url))
        self.stop = asyncio.Event()
        self.bot = build_bot(app.settings, pacer=Pacer())
        self.task = asyncio.create_task(lead_when_free(app, self.bot, self.lock, self.stop))

    async def stopped(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, PATIENCE)
        await self.bot.session.close()


class Recorded(LeaderLock):
    """The database's lock, saying whether this worker holds it."""

    def __init__(self, lock: LeaderLock) -> None:
        self.lock = lock
        self.held = False

    async def try_take(self) -> bool:
        self.held = await self.lock.try_take()
        return self.held

    async def holder(self) -> str:
        return await self.lock.holder()

    async def lost(self) -> None:
        await self.lock.lost()

    async def release(self) -> None:
        await self.lock.release()
        self.held = False


def delivered(telegram: FakeTelegram, texts: dict[int, str]) -> Callable[[], bool]:
    return lambda: set(texts.values()) <= {c.params["text"] for c in telegram.calls("sendMessage")}


async def until(condition: Callable[[], bool]) -> None:
    deadline = asyncio.get_running_loop().time() + PATIENCE
    while True:
        if condition():
            return
        assert asyncio.get_running_loop().time() < deadline, f"not within {PATIENCE}s"
        await asyncio.sleep(0.02)


@pytest.fixture
def quick_turns(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.settings, "leader_poll_seconds", 0.1)


async def test_one_worker_leads_and_when_it_stops_a_follower_sends_the_outbox(
    app: App, telegram: FakeTelegram, quick_turns: None
) -> None:
    telegram.unknown_chat_error = False
    first = Worker(app)
    await until(lambda: first.lock.held)
    second = Worker(app)
    await asyncio.sleep(0.5)  # several of its tries
    assert first.lock.held and not second.lock.held

    before = await queue_rendered(app, 5, app.clock.now(), name="before")
    await until(delivered(telegram, before))
    await first.stopped()
    await until(lambda: second.lock.held)
    after = await queue_rendered(app, 5, app.clock.now(), name="after")
    await until(delivered(telegram, after))
    await second.stopped()

    sends = Counter(call.params["text"] for call in telegram.calls("sendMessage"))
    assert all(sends[text] == 1 for text in [*before.values(), *after.values()])
