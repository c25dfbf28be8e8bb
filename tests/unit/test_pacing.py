"""The pacer keeps sends under Telegram's limits, replies first. Played on virtual time: the
test drives a clock that jumps from one waiting sender to the next, so a minute of sending
takes no time."""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable, Iterable

import pytest

from bot.telegram.pacing import (
    GROUP_BACKGROUND_PER_MINUTE,
    GROUP_CHAT_INTERVAL,
    GROUP_PER_MINUTE,
    MIN_GAP,
    PRIVATE_BURST,
    Pacer,
    PacerClosed,
    Priority,
)


class VirtualTime:
    """`now()` and `wait(seconds)` for the pacer; `run(...)` plays coroutines to the end,
    moving time to the next sleeper's wake-up whenever everybody is waiting."""

    def __init__(self, oversleep_every: int = 0, oversleep: float = 0.1) -> None:
        self.now = 0.0
        self.oversleep_every = oversleep_every  # every n-th sleeper wakes `oversleep` s late
        self.oversleep = oversleep
        self._sleeps = itertools.count(1)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def time(self) -> float:
        return self.now

    async def wait(self, seconds: float) -> None:
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        number = next(self._sleeps)
        if self.oversleep_every and number % self.oversleep_every == 0:
            seconds += self.oversleep
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


async def send_at(
    pacer: Pacer,
    clock: VirtualTime,
    chat_id: int,
    log: list[tuple[float, int]],
    priority: Priority = Priority.BACKGROUND,
):
    await pacer.acquire(chat_id, priority)
    log.append((clock.now, chat_id))


async def reply_at(pacer: Pacer, clock: VirtualTime, chat_id: int, log: list[tuple[float, int]]):
    await send_at(pacer, clock, chat_id, log, Priority.REPLY)


async def test_a_wave_to_many_people_goes_out_at_most_29_a_second():
    clock = VirtualTime()
    pacer = pacer_on(clock)
    log: list[tuple[float, int]] = []

    await clock.run(send_at(pacer, clock, chat, log) for chat in range(1, 301))

    assert len(log) == 300
    assert most_in_any_window([t for t, _ in log], 1.0) <= 29
    # Paced, not throttled: the messages leave one spacing apart, no slower.
    assert clock.now == pytest.approx(299 * pacer.spacing)


@pytest.mark.parametrize("sender", [send_at, reply_at])
async def test_senders_woken_late_by_a_busy_loop_do_not_go_out_in_a_burst(sender):
    clock = VirtualTime(oversleep_every=7, oversleep=0.01)
    pacer = pacer_on(clock)
    log: list[tuple[float, int]] = []

    await clock.run(sender(pacer, clock, chat, log) for chat in range(1, 301))

    times = sorted(t for t, _ in log)
    assert all(b - a >= pacer.spacing * MIN_GAP - 1e-9 for a, b in itertools.pairwise(times))
    assert most_in_any_window(times, 1.0) <= 29
    # ...and the time lost to late wake-ups is made up: the wave still keeps the pace.
    assert clock.now == pytest.approx(299 * pacer.spacing, abs=0.2)


async def test_a_backlog_on_a_loop_too_busy_to_catch_up_slows_down_and_never_bursts():
    # The backlog waits for its slots one at a time (so a reply can take any of them): a
    # wake-up 0.1 s late every 7th cannot all be made up at the shortest gap.
    clock = VirtualTime(oversleep_every=7, oversleep=0.1)
    pacer = pacer_on(clock)
    log: list[tuple[float, int]] = []

    await clock.run(send_at(pacer, clock, chat, log) for chat in range(1, 301))

    times = sorted(t for t, _ in log)
    assert all(b - a >= pacer.spacing * MIN_GAP - 1e-9 for a, b in itertools.pairwise(times))
    assert most_in_any_window(times, 1.0) <= 29
    assert len(times) == 300


async def test_the_backlog_sends_one_a_second_to_a_person_and_others_are_not_held_up():
    clock = VirtualTime()
    pacer = pacer_on(clock)
    log: list[tuple[float, int]] = []
    chats = [7] * 5 + list(range(100, 140))

    await clock.run(send_at(pacer, clock, chat, log) for chat in chats)

    to_seven = [t for t, chat in log if chat == 7]
    assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(to_seven))
    others = [t for t, chat in log if chat != 7]
    assert max(others) < 2.0  # the 40 others were not queued behind the five to one person


async def test_the_backlog_leaves_a_group_two_of_its_20_messages_a_minute():
    clock = VirtualTime()
    pacer = pacer_on(clock)
    log: list[tuple[float, int]] = []
    group = -1001234567890

    await clock.run(send_at(pacer, clock, group, log) for _ in range(45))

    times = [t for t, _ in log]
    assert most_in_any_window(times, 60.0) <= GROUP_BACKGROUND_PER_MINUTE
    assert all(b - a >= GROUP_CHAT_INTERVAL - 1e-9 for a, b in itertools.pairwise(times))


async def test_replies_jump_the_backlog_and_it_goes_on_after_them():
    clock = VirtualTime()
    pacer = pacer_on(clock)
    backlog: list[tuple[float, int]] = []
    replies: list[tuple[float, int]] = []

    async def thirty_people_write_at(moment: float) -> None:
        await clock.wait(moment)
        await asyncio.gather(*(reply_at(pacer, clock, 5000 + n, replies) for n in range(30)))

    await clock.run(
        [thirty_people_write_at(2.0), *(send_at(pacer, clock, c, backlog) for c in range(1, 301))]
    )

    assert len(replies) == 30 and len(backlog) == 300
    # Each reply waited only for the replies before it, one slot each...
    last_reply = max(t for t, _ in replies)
    assert last_reply <= 2.0 + 31 * pacer.spacing
    # ...and no backlog message took a slot while a reply was waiting.
    assert not [t for t, _ in backlog if 2.0 + 1e-9 < t < last_reply - 1e-9]
    # Together they keep Telegram's overall limit, and the backlog is not throttled for it.
    everything = [t for t, _ in backlog + replies]
    assert most_in_any_window(everything, 1.0) <= 29
    assert clock.now == pytest.approx(329 * pacer.spacing, abs=0.1)


async def test_a_persons_replies_go_in_a_short_burst_then_one_a_second_and_the_backlog_after():
    clock = VirtualTime()
    pacer = pacer_on(clock)
    replies: list[tuple[float, int]] = []
    backlog: list[tuple[float, int]] = []

    async def answer_then_remind() -> None:
        for _ in range(5):  # "saved", the card, the menu, an answer in two parts
            await reply_at(pacer, clock, 7, replies)
        await send_at(pacer, clock, 7, backlog)  # then the digest

    await clock.run([answer_then_remind()])

    times = [t for t, _ in replies]
    assert times[:PRIVATE_BURST] == pytest.approx([0, pacer.spacing])
    assert times[PRIVATE_BURST:] == pytest.approx([1.0, 2.0, 3.0], abs=pacer.spacing)
    assert most_in_any_window(times, 1.0) <= PRIVATE_BURST
    assert backlog[0][0] >= replies[-1][0] + 1.0 - 1e-9


async def test_replies_to_several_people_are_not_held_by_one_persons_limit():
    clock = VirtualTime()
    pacer = pacer_on(clock)
    replies: list[tuple[float, int]] = []

    await clock.run([reply_at(pacer, clock, chat, replies) for chat in (7, 7, 7, 8, 9)])

    held = [t for t, chat in replies if chat == 7][PRIVATE_BURST:]
    others = [t for t, chat in replies if chat != 7]
    assert held == pytest.approx([1.0], abs=pacer.spacing)
    assert max(others) < 0.5


async def test_a_reply_in_a_group_goes_out_while_the_backlog_uses_its_share_of_the_minute():
    clock = VirtualTime()
    pacer = pacer_on(clock)
    backlog: list[tuple[float, int]] = []
    replies: list[tuple[float, int]] = []
    group = -1001234567890

    async def office_asks_at(moment: float) -> None:
        await clock.wait(moment)
        await reply_at(pacer, clock, group, replies)
        await reply_at(pacer, clock, group, replies)

    await clock.run(
        [office_asks_at(59.0), *(send_at(pacer, clock, group, backlog) for _ in range(30))]
    )

    # By 59 s the backlog sent its 17 of the minute; the two replies still go at once.
    assert [t for t, _ in replies] == pytest.approx([59.0, 59.0 + pacer.spacing], abs=0.01)
    everything = [t for t, _ in backlog + replies]
    assert most_in_any_window(everything, 60.0) <= GROUP_PER_MINUTE


async def test_after_a_429_nothing_goes_out_until_the_wait_is_over():
    clock = VirtualTime()
    pacer = pacer_on(clock)
    log: list[tuple[float, int]] = []

    await clock.run(send_at(pacer, clock, chat, log) for chat in range(1, 4))
    pacer.pause(3)
    paused_at = clock.now
    await clock.run(
        [
            *(send_at(pacer, clock, chat, log) for chat in range(10, 20)),
            *(reply_at(pacer, clock, chat, log) for chat in range(20, 25)),
        ]
    )

    assert all(t >= paused_at + 3 for t, chat in log if chat >= 10)


@pytest.mark.parametrize("sender", [send_at, reply_at])
async def test_a_pause_arriving_while_senders_wait_voids_their_slots(sender):
    clock = VirtualTime()
    pacer = pacer_on(clock)
    log: list[tuple[float, int]] = []

    async def telegram_says_wait() -> None:
        await clock.wait(0.05)  # while the wave is waiting for its slots
        pacer.pause(2)

    await clock.run([telegram_says_wait(), *(sender(pacer, clock, c, log) for c in range(1, 31))])

    late = [t for t, _ in log if t > 0.05]
    assert late and all(t >= 2.05 for t in late)


async def test_stopping_the_backlog_releases_its_waiters_and_replies_still_go():
    pacer = Pacer()  # real time: close() must wake a real wait at once
    await pacer.acquire(1, Priority.BACKGROUND)
    waiting = asyncio.create_task(pacer.acquire(1, Priority.BACKGROUND))  # due in a second
    await asyncio.sleep(0.01)
    pacer.close(Priority.BACKGROUND)
    with pytest.raises(PacerClosed):
        await asyncio.wait_for(waiting, timeout=0.5)
    with pytest.raises(PacerClosed):
        await pacer.acquire(2, Priority.BACKGROUND)
    await asyncio.wait_for(pacer.acquire(2, Priority.REPLY), timeout=0.5)

    pacer.close()
    with pytest.raises(PacerClosed):
        await pacer.acquire(3, Priority.REPLY)
