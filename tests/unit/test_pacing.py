"""The pacer keeps sends under Telegram's limits. Played on virtual time: the test drives a
clock that jumps from one waiting sender to the next, so a minute of sending takes no time."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Iterable

import pytest

from scheduler.pacing import GROUP_CHAT_INTERVAL, MIN_GAP, Pacer, PacerClosed


class VirtualTime:
    """`now()` and `wait(seconds)` for the pacer; `run(...)` plays coroutines to the end,
    moving time to the next sleeper's wake-up whenever everybody is waiting."""

    def __init__(self, oversleep_every: int = 0) -> None:
        self.now = 0.0
        self.oversleep_every = oversleep_every  # every n-th sleeper wakes 0.1 s late
        self._sleeps = itertools.count(1)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def time(self) -> float:
        return self.now

    async def wait(self, seconds: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        number = next(self._sleeps)
        if self.oversleep_every and number % self.oversleep_every == 0:
            seconds += 0.1
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), woken))
        await woken

    async def run(self, coroutines: Iterable[Awaitable[object]]) -> list[object]:
        tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
        while not all(task.done() for task in tasks):
            for _ in range(5):  # let every runnable task reach its next wait
                await asyncio.sleep(0)
            if self._sleepers:
                at, _, woken = heapq.heappop(self._sleepers)
                self.now = max(self.now, at)
                woken.set_result(None)
        return [task.result() for task in tasks]


def pacer_on(clock: VirtualTime) -> Pacer:
    return Pacer(now=clock.time, wait=clock.wait)


def most_in_any_window(times: list[float], window: float) -> int:
    ordered = sorted(times)
    return max(sum(1 for t in ordered if start <= t < start + window - 1e-9) for start in ordered)


async def send_at(pacer: Pacer, clock: VirtualTime, chat_id: int, log: list[tuple[float, int]]):
    await pacer.acquire(chat_id)
    log.append((clock.now, chat_id))


async def test_a_wave_to_many_people_goes_out_at_most_29_a_second():
    clock = VirtualTime()
    pacer = pacer_on(clock)
    log: list[tuple[float, int]] = []

    await clock.run(send_at(pacer, clock, chat, log) for chat in range(1, 301))

    assert len(log) == 300
    assert most_in_any_window([t for t, _ in log], 1.0) <= 29
    # Paced, not throttled: the messages leave one spacing apart, no slower.
    assert clock.now == pytest.approx(299 * pacer.spacing)


async def test_senders_woken_late_by_a_busy_loop_do_not_go_out_in_a_burst():
    clock = VirtualTime(oversleep_every=7)
    pacer = pacer_on(clock)
    log: list[tuple[float, int]] = []

    await clock.run(send_at(pacer, clock, chat, log) for chat in range(1, 301))

    times = sorted(t for t, _ in log)
    assert all(b - a >= pacer.spacing * MIN_GAP - 1e-9 for a, b in itertools.pairwise(times))
    assert most_in_any_window(times, 1.0) <= 29
    # ...and the time lost to late wake-ups is made up: the wave still keeps the pace.
    assert clock.now == pytest.approx(299 * pacer.spacing, abs=0.2)


async def test_messages_to_one_person_are_a_second_apart_and_others_are_not_held_up():
    clock = VirtualTime()
    pacer = pacer_on(clock)
    log: list[tuple[float, int]] = []
    chats = [7] * 5 + list(range(100, 140))

    await clock.run(send_at(pacer, clock, chat, log) for chat in chats)

    to_seven = [t for t, chat in log if chat == 7]
    assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(to_seven))
    others = [t for t, chat in log if chat != 7]
    assert max(others) < 2.0  # the 40 others were not queued behind the five to one person


async def test_a_group_gets_at_most_20_messages_a_minute():
    clock = VirtualTime()
    pacer = pacer_on(clock)
    log: list[tuple[float, int]] = []
    group = -1001234567890

    await clock.run(send_at(pacer, clock, group, log) for _ in range(45))

    times = [t for t, _ in log]
    assert most_in_any_window(times, 60.0) <= 20
    assert all(b - a >= GROUP_CHAT_INTERVAL - 1e-9 for a, b in itertools.pairwise(times))


async def test_after_a_429_nothing_goes_out_until_the_wait_is_over():
    clock = VirtualTime()
    pacer = pacer_on(clock)
    log: list[tuple[float, int]] = []

    await clock.run(send_at(pacer, clock, chat, log) for chat in range(1, 4))
    pacer.pause(3)
    paused_at = clock.now
    await clock.run(send_at(pacer, clock, chat, log) for chat in range(10, 20))

    assert all(t >= paused_at + 3 for t, chat in log if chat >= 10)


async def test_a_pause_arriving_while_senders_wait_voids_their_slots():
    clock = VirtualTime()
    pacer = pacer_on(clock)
    log: list[tuple[float, int]] = []

    async def telegram_says_wait() -> None:
        await clock.wait(0.05)  # while the wave is waiting for its slots
        pacer.pause(2)

    await clock.run([telegram_says_wait(), *(send_at(pacer, clock, c, log) for c in range(1, 31))])

    late = [t for t, _ in log if t > 0.05]
    assert late and all(t >= 2.05 for t in late)


async def test_closing_releases_waiting_senders_without_letting_them_send():
    pacer = Pacer()  # real time: close() must wake a real wait at once
    await pacer.acquire(1)
    waiting = asyncio.create_task(pacer.acquire(1))  # due in a second
    await asyncio.sleep(0.01)
    pacer.close()
    with pytest.raises(PacerClosed):
        await asyncio.wait_for(waiting, timeout=0.5)
    with pytest.raises(PacerClosed):
        await pacer.acquire(2)
