"""What two workers share through Redis: a form's state written by one is read by the other,
and two updates of one chat never run at once, whichever workers get them."""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import pytest
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StorageKey
from redis.asyncio import Redis

from bot.storage.uow import App
from bot.telegram.shared_forms import SharedFormStorage
from bot.telegram.shared_state import state_and_isolation

BOT = 123456
T = TypeVar("T")


@pytest.fixture
async def two_workers(
    app: App, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> AsyncIterator[Callable[[], list[tuple[BaseStorage, BaseEventIsolation]]]]:
    prefix = f"bangfu-test-{uuid.uuid4().hex}"
    monkeypatch.setattr(app.settings, "redis_url", redis_url)
    monkeypatch.setattr(app.settings, "redis_prefix", prefix)
    yield lambda: [state_and_isolation(app) for _ in range(2)]
    redis = Redis.from_url(redis_url)
    async for left in redis.scan_iter(f"{prefix}:*"):
        await redis.delete(left)
    await redis.aclose()


def elsewhere(call: Coroutine[Any, Any, T]) -> Awaitable[T]:
    """`call` run as another worker would: outside this update's context."""
    return asyncio.create_task(call, context=contextvars.Context())


def key(chat: int, user: int) -> StorageKey:
    return StorageKey(bot_id=BOT, chat_id=chat, user_id=user)


async def test_a_form_begun_on_one_worker_goes_on_on_another(two_workers) -> None:  # type: ignore[no-untyped-def]
    (first, _), (second, _) = two_workers()

    await first.set_state(key(5, 5), "ContactForm:channel")
    await first.set_data(key(5, 5), {"household": 12})

    assert await second.get_state(key(5, 5)) == "ContactForm:channel"
    assert await second.get_data(key(5, 5)) == {"household": 12}
    await first.close()
    await second.close()


async def test_two_updates_of_one_chat_wait_for_each_other_across_workers(two_workers) -> None:  # type: ignore[no-untyped-def]
    (storage, first), (_, second) = two_workers()
    order: list[str] = []
    holding = asyncio.Event()

    async def first_update() -> None:
        async with first.lock(key(-100, 1)):  # a group chat, one member...
            holding.set()
            await asyncio.sleep(0.3)
            order.append("first done")

    async def second_update(chat: int, user: int, name: str) -> None:
        await holding.wait()
        async with second.lock(key(chat, user)):
            order.append(name)

    await asyncio.gather(
        first_update(),
        second_update(-100, 2, "same chat"),  # ...and another member of that group
        second_update(7, 7, "other chat"),
    )

    assert order == ["other chat", "first done", "same chat"]
    await storage.close()


async def test_within_an_update_a_form_is_read_once_and_unchanged_writes_are_not_made(
    two_workers,  # type: ignore[no-untyped-def]
) -> None:
    (storage, _), (other, _) = two_workers()
    assert isinstance(storage, SharedFormStorage)
    await storage.set_state(key(6, 6), "ContactForm:channel")
    await storage.set_data(key(6, 6), {"household": 3})

    with storage.one_update():
        await storage.load(key(6, 6))
        # Another worker's write: not possible under the chat's lock, it shows what is read.
        await elsewhere(other.set_data(key(6, 6), {"household": 4}))
        assert await storage.get_state(key(6, 6)) == "ContactForm:channel"
        assert await storage.get_data(key(6, 6)) == {"household": 3}  # as read at the start
        await storage.set_data(key(6, 6), {"household": 3})  # as read: not written
        assert await elsewhere(other.get_data(key(6, 6))) == {"household": 4}
        await storage.set_state(key(6, 6), None)  # a change: written at once
        assert await elsewhere(other.get_state(key(6, 6))) is None
        assert await storage.get_state(key(6, 6)) is None

    assert await storage.get_data(key(6, 6)) == {"household": 4}  # outside an update: Redis's
    with storage.one_update():
        await storage.load(key(6, 7))  # no form at all
        assert (await storage.get_state(key(6, 7)), await storage.get_data(key(6, 7))) == (None, {})
    await storage.close()
    await other.close()


async def test_a_form_s_step_in_redis_stores_the_update_s_id_first(two_workers, app: App) -> None:  # type: ignore[no-untyped-def]
    """A form's step is a write: the update's id is committed before Redis is written, once
    (bot/storage/update_marks.py), so a copy of the update stops at any worker's intake."""
    from sqlalchemy import select

    from bot.storage.models import ProcessedUpdate
    from bot.storage.update_marks import UpdateMarks

    (storage, _), _ = two_workers()
    marks = UpdateMarks(app.sessions, app.clock)
    with storage.one_update(), marks.handling(BOT, 77) as mark:
        await storage.load(key(8, 8))
        await storage.set_state(key(8, 8), None)  # as read: no write, nothing stored
        assert not mark.stored
        await storage.set_state(key(8, 8), "ContactForm:channel")
        await storage.set_data(key(8, 8), {"household": 1})  # the id is not stored twice
        assert mark.stored

    async with app.uow() as uow:
        stored = (await uow.session.execute(select(ProcessedUpdate.update_id))).scalars().all()
    assert stored == [77]
    await storage.close()


async def test_the_chats_lock_reads_its_form_in_the_same_trip_to_redis(two_workers) -> None:  # type: ignore[no-untyped-def]
    (storage, isolation), _ = two_workers()
    assert isinstance(storage, SharedFormStorage)
    await storage.set_state(key(9, 9), "ContactForm:channel")
    await storage.set_data(key(9, 9), {"household": 5})
    async with isolation.lock(key(9, 9)):  # the script is loaded into Redis once
        pass
    trips: list[str] = []
    real = storage.redis.execute_command

    async def counted(*args: Any, **kwargs: Any) -> Any:
        trips.append(str(args[0]))
        return await real(*args, **kwargs)

    storage.redis.execute_command = counted  # type: ignore[method-assign]
    with storage.one_update():
        async with isolation.lock(key(9, 9)):
            assert trips == ["EVALSHA"]
            await storage.load(key(9, 9))  # read with the lock: no second trip
            assert await storage.get_state(key(9, 9)) == "ContactForm:channel"
            assert await storage.get_data(key(9, 9)) == {"household": 5}
            assert trips == ["EVALSHA"]
    assert trips == ["EVALSHA", "EVALSHA"]  # let go: a script, by this token
    await storage.close()


async def test_a_lock_whose_worker_died_expires_and_is_not_let_go_by_it_later(
    two_workers,  # type: ignore[no-untyped-def]
) -> None:
    from bot.telegram.shared_chat_lock import ChatLockWithForm

    (storage, stalled), (other_storage, other) = two_workers()
    assert isinstance(stalled, ChatLockWithForm) and isinstance(other, ChatLockWithForm)
    name = other.key_builder.build(key(11, 11), "lock")
    # As a worker killed (or stalled) holding it leaves it: its token, a second to live.
    await other.redis.set(name, b"token-of-the-dead-worker", px=1000)

    async def next_update() -> None:
        async with other.lock(key(11, 11)):  # waits out the dead worker's lock
            # The stalled worker's late let-go must not free this update's lock.
            await stalled._let_go(name, b"token-of-the-dead-worker", taken=True)
            assert await other.redis.exists(name)

    await asyncio.wait_for(next_update(), 60)
    assert not await other.redis.exists(name)
    await storage.close()
    await other_storage.close()


async def test_an_update_longer_than_the_lock_s_lifetime_keeps_its_chat(two_workers) -> None:  # type: ignore[no-untyped-def]
    from bot.telegram.shared_chat_lock import ChatLockWithForm

    (storage, first), (other_storage, second) = two_workers()
    assert isinstance(first, ChatLockWithForm) and isinstance(second, ChatLockWithForm)
    # Kept alive every 2 s: only a loop held up for 4 s (not a busy machine) would lose it.
    first.seconds = second.seconds = 6
    entered = asyncio.Event()

    async def next_update() -> None:
        async with second.lock(key(15, 15)):
            entered.set()

    async with first.lock(key(15, 15)):
        waiting = elsewhere(next_update())
        await asyncio.sleep(7.5)  # more than a lifetime
        assert not entered.is_set()  # the chat is still this update's alone
    await asyncio.wait_for(waiting, 10)
    assert entered.is_set()
    await storage.close()
    await other_storage.close()


async def test_an_update_stuck_past_the_longest_hold_lets_its_chat_go_on(
    two_workers,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.telegram import shared_chat_lock

    monkeypatch.setattr(shared_chat_lock, "KEPT_AT_MOST_SECONDS", 2)
    (storage, first), (other_storage, second) = two_workers()
    first.seconds = second.seconds = 3  # kept alive every second, for two seconds at most
    entered = asyncio.Event()

    async def next_update() -> None:
        async with second.lock(key(16, 16)):
            entered.set()

    async with first.lock(key(16, 16)):  # stuck: it never ends by itself
        waiting = elsewhere(next_update())
        await asyncio.wait_for(entered.wait(), 20)  # the lock expired after its last renewal
    await waiting
    await storage.close()
    await other_storage.close()


async def test_a_lock_taken_whose_reply_was_lost_is_let_go(two_workers) -> None:  # type: ignore[no-untyped-def]
    from redis.exceptions import TimeoutError as RedisTimeout

    (storage, isolation), _ = two_workers()
    real = isolation._take_and_read

    async def reply_lost(*args: Any, **kwargs: Any) -> Any:
        await real(*args, **kwargs)  # the lock is set in Redis...
        raise RedisTimeout("Timeout reading from socket")  # ...its reply never arrives

    isolation._take_and_read = reply_lost
    with pytest.raises(RedisTimeout):
        async with isolation.lock(key(12, 12)):
            pass
    # Not held for its lifetime (60 s): the next update of the chat goes on at once.
    assert not await storage.redis.exists(isolation.key_builder.build(key(12, 12), "lock"))
    await storage.close()


async def test_redis_lost_after_the_handler_does_not_hide_its_outcome(two_workers) -> None:  # type: ignore[no-untyped-def]
    from redis.exceptions import ConnectionError as RedisDown

    (storage, isolation), _ = two_workers()

    async def down(*args: Any, **kwargs: Any) -> Any:
        raise RedisDown("Connection reset by peer")

    with pytest.raises(ZeroDivisionError):  # the handler's own error, not Redis's
        async with isolation.lock(key(13, 13)):
            isolation._let_go_script = down
            raise ZeroDivisionError
    async with isolation.lock(key(14, 14)):
        pass  # done: the let-go that failed is logged, and the update's work stands
    await storage.close()
