"""The send budget every worker shares (RedisPacer): Telegram's limits hold across processes.

Each test plays several workers with several pacers on one Redis (REDIS_URL of the tests, or
the local one; DB 1 and a prefix of its own per test). Times are read on the real clock and
only bound from below: a busy machine makes sends later, never earlier.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from bot.telegram import shared_pacing
from bot.telegram.pacing import (
    OVERALL_PER_SECOND,
    PRIVATE_BURST,
    PRIVATE_CHAT_INTERVAL,
    PacerClosed,
    Priority,
)
from bot.telegram.shared_pacing import RedisPacer

JITTER = 0.05  # seconds: when a grant is noted, after Redis decided it


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url, socket_timeout=3, socket_connect_timeout=3)
    yield client
    await client.aclose()


@pytest.fixture
def workers(redis: Redis) -> Callable[[int], list[RedisPacer]]:
    prefix = f"bangfu-test-{uuid.uuid4().hex}"

    def make(count: int) -> list[RedisPacer]:
        return [RedisPacer(redis, prefix) for _ in range(count)]

    return make


async def granted_at(pacer: RedisPacer, chat_id: int | None, times: list[float]) -> None:
    await pacer.acquire(chat_id)
    times.append(time.monotonic())


def most_in_one_second(times: list[float]) -> int:
    times = sorted(times)
    return max(
        sum(1 for other in times if start <= other < start + 1.0 - JITTER) for start in times
    )


async def test_three_workers_together_keep_telegrams_overall_limit(
    workers: Callable[[int], list[RedisPacer]],
) -> None:
    pacers = workers(3)
    times: list[float] = []

    await asyncio.gather(
        *(granted_at(pacers[n % 3], 1000 + n, times) for n in range(60))  # 60 people
    )

    assert len(times) == 60
    assert most_in_one_second(times) <= int(OVERALL_PER_SECOND) + 1  # Telegram allows 30


async def test_one_person_gets_a_short_burst_then_one_a_second_whichever_worker_sends(
    workers: Callable[[int], list[RedisPacer]],
) -> None:
    first, second = workers(2)
    times: list[float] = []

    await asyncio.gather(*(granted_at((first, second)[n % 2], 42, times) for n in range(4)))

    times.sort()
    after_burst = times[PRIVATE_BURST:]
    assert after_burst[0] - times[0] >= PRIVATE_CHAT_INTERVAL - JITTER
    assert after_burst[1] - after_burst[0] >= PRIVATE_CHAT_INTERVAL - JITTER


async def test_a_429_on_one_worker_holds_the_sends_of_every_worker(
    workers: Callable[[int], list[RedisPacer]],
) -> None:
    told, other = workers(2)
    await told.acquire(1)
    told.pause(0.5)
    await asyncio.sleep(0.05)  # the pause is stored in the background
    start = time.monotonic()

    await other.acquire(2)

    assert time.monotonic() - start >= 0.4


async def test_the_backlog_stops_waiting_when_its_sender_stops(
    workers: Callable[[int], list[RedisPacer]],
) -> None:
    (pacer,) = workers(1)
    await pacer.acquire(7, Priority.BACKGROUND)
    waiting = asyncio.create_task(pacer.acquire(7, Priority.BACKGROUND))  # a second to wait
    await asyncio.sleep(0.1)

    pacer.close(Priority.BACKGROUND)

    with pytest.raises(PacerClosed):
        await waiting


async def test_without_redis_a_worker_still_sends_paced_on_its_own(
    caplog: pytest.LogCaptureFixture,
) -> None:
    lost = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=1)
    pacer = RedisPacer(lost, "bangfu-test")
    times: list[float] = []

    await asyncio.gather(*(granted_at(pacer, 42, times) for _ in range(3)))

    times.sort()
    assert times[2] - times[0] >= PRIVATE_CHAT_INTERVAL - JITTER  # the local budget holds
    assert caplog.text.count("Redis unreachable") == 1
    await lost.aclose()


async def test_a_reply_books_its_slot_in_one_trip_and_replies_go_in_the_order_asked(
    workers: Callable[[int], list[RedisPacer]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No look at a pause after a long wait (another trip, which a busy machine could make
    # slower than a spacing): the order is the bookings'.
    monkeypatch.setattr(shared_pacing, "ON_ITS_WAY", 60.0)
    pacers = workers(2)
    trips = 0
    for pacer in pacers:
        script = pacer._acquire

        async def counted(*args: object, script=script, **kwargs: object) -> object:  # type: ignore[no-untyped-def]
            nonlocal trips
            trips += 1
            return await script(*args, **kwargs)

        pacer._acquire = counted  # type: ignore[method-assign]
    order: list[int] = []

    async def reply(n: int) -> None:
        await pacers[n % 2].acquire(2000 + n)  # ten people, each their first reply
        order.append(n)

    asking = []
    for n in range(10):
        asking.append(asyncio.create_task(reply(n)))
        await asyncio.sleep(0.005)  # each asks after the one before it has booked
    await asyncio.gather(*asking)

    assert trips == 10  # no reply asked twice, though nine found the next slot taken
    assert order == list(range(10))


@pytest.mark.parametrize("told", ["the same worker", "another worker"])
async def test_replies_booked_ahead_wait_out_a_429_that_came_while_they_waited(
    workers: Callable[[int], list[RedisPacer]], told: str
) -> None:
    booking, other = workers(2)
    pacer_told = booking if told == "the same worker" else other
    if told == "the same worker":  # what it knows itself, not what it stored in Redis

        async def not_stored(seconds: float) -> None:
            return None

        booking._store_pause = not_stored  # type: ignore[method-assign]
    start = time.monotonic()
    times: list[float] = []
    replies = [asyncio.create_task(granted_at(booking, 3000 + n, times)) for n in range(20)]
    await asyncio.sleep(0.05)  # all twenty booked: slots up to ~0.7 s ahead
    pacer_told.pause(0.6)  # Telegram's 429: nothing may go out until ~0.65 s

    await asyncio.gather(*replies)

    assert len(times) == 20
    # Slots booked within two spacings (70 ms) of the 429 may still go, as a send already on
    # its way would; every later one waits until the pause is over (~0.65 s).
    during = [moment - start for moment in times if 0.2 <= moment - start < 0.6]
    assert during == []


async def test_replies_a_stalled_loop_woke_together_go_out_spaced_not_at_once(
    workers: Callable[[int], list[RedisPacer]],
) -> None:
    (pacer,) = workers(1)
    times: list[float] = []
    replies = [asyncio.create_task(granted_at(pacer, 4000 + n, times)) for n in range(10)]
    await asyncio.sleep(0.05)  # all ten booked, 35 ms apart
    time.sleep(0.3)  # noqa: ASYNC251 - the event loop stalls (a big chart drawn on it, say)

    await asyncio.gather(*replies)

    times.sort()
    # Woken together, they go out three quarters of a spacing apart (26 ms), as the
    # one-process pacer's do; without it, the seven or so woken together all went at once.
    assert max(sum(1 for other in times if start <= other < start + 0.03) for start in times) <= 2
