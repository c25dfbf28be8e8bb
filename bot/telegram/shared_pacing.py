"""Telegram's send budget shared by every worker: a Redis-backed pacer.

With several workers (README "Several workers") each process sends replies, and the leader
also sends the outbox; Telegram's limits are the bot's, not a process's. `RedisPacer` keeps
the very budgets of `Pacer` (bot/telegram/pacing.py: ~28.5 a second overall, a short burst
then one a second to a person, 19 a minute in a group, the backlog after the replies and with
more room per chat), but in Redis, decided by one Lua script per send so no two processes
ever take the same slot, on Redis's own clock so the processes need not agree on theirs:

- overall: the next free slot, one spacing after the last booked one. A reply whose chat
  may be written to books it at once, however far ahead, and sleeps until it comes: one
  trip to Redis per reply (a second, to look for a pause, only after a wait over
  `ON_ITS_WAY`), and replies go in the order they asked, across processes too
  (before, a reply that found the slot taken asked again after a wait, about one reply in
  three under load, and could lose every race to others);
- a person's chat: a token bucket (tokens, last send); a group's: its last minute's sends;
- the backlog never books ahead: it takes a slot only when nobody has booked it;
- a reply whose chat is not ready yet (a burst spent, a 429's pause) books nothing (a
  slot booked a second ahead would hold every other reply back for that second) and leaves
  a short-lived mark ("a reply is waiting"): the backlog takes no slot while the mark is
  there, so replies go first;
- a 429's "retry after" is stored, and every process holds its sends that long. A reply
  that booked a slot and finds, once it comes, that a pause began meanwhile gives the slot
  up and books again after the pause (this process's pause is known here; another's is
  asked of Redis, only after a wait longer than two spacings and `ON_ITS_WAY`: one sent
  sooner is as much on its way as a send already made);
- the sends of one process keep apart as the one-process pacer's do (`Pacer.keep_apart`):
  replies woken late together (a stalled event loop) go out spaced, not at once.

If Redis cannot be reached the sends are not refused: this process falls back to its own
`Pacer` (the process-local budget) and logs it once; Telegram's own 429s, which the session
waits out, are then the last line. Redis back, the shared budget is used again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.telegram.pacing import (
    GROUP_BACKGROUND_PER_MINUTE,
    GROUP_CHAT_INTERVAL,
    GROUP_PER_MINUTE,
    OVERALL_PER_SECOND,
    PRIVATE_BURST,
    PRIVATE_CHAT_INTERVAL,
    ChatKey,
    Pacer,
    PacerClosed,
    Priority,
    is_group,
)

log = logging.getLogger(__name__)

MICROS = 1_000_000
CHAT_TTL_MS = 120_000  # a chat's pace is forgotten after two idle minutes
REPLY_MARK_MS = 200  # how long a waiting reply holds the backlog back
LONGEST_WAIT = 0.5  # seconds: a waiter looks again at least this often
ON_ITS_WAY = 0.05  # seconds, about a trip to the Bot API: a send made this long before a 429
# reached any process could not have known of it either

# Returns {1, wait}: the slot is booked, `wait` microseconds from now (0: at once); or
# {0, wait}: nothing booked, ask again in `wait` microseconds. Times are microseconds on
# Redis's clock, written with %.0f: Lua's tostring keeps only 14 digits.
ACQUIRE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local kind, background = tonumber(ARGV[1]), ARGV[2] == '1'
local spacing, private_gap, burst = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local group_most, group_bg_most = tonumber(ARGV[6]), tonumber(ARGV[7])
local group_gap, ttl, mark = tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
local wait = 0
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then wait = paused - now end
local tokens, last = burst, nil
if kind == 1 then
  local pace = redis.call('HMGET', KEYS[2], 'tokens', 'last')
  if pace[2] then
    last = tonumber(pace[2])
    tokens = math.min(burst, tonumber(pace[1]) + math.max(0, now - last) / private_gap)
  end
  if tokens < 1 then wait = math.max(wait, (1 - tokens) * private_gap) end
  if background and last then wait = math.max(wait, last + private_gap - now) end
elseif kind == 2 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 60000000)
  local most = background and group_bg_most or group_most
  local count = redis.call('ZCARD', KEYS[2])
  if count >= most then
    local oldest = redis.call('ZRANGE', KEYS[2], count - most, count - most, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + 60000000 - now)
  end
  if background and count > 0 then
    local latest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
    wait = math.max(wait, tonumber(latest[2]) + group_gap - now)
  end
end
local next_slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if wait > 0 then
  if not background then redis.call('SET', KEYS[4], '1', 'PX', mark) end
  return {0, math.ceil(wait)}
end
local slot = now
if next_slot > now then
  if background then return {0, math.ceil(next_slot - now)} end
  slot = next_slot
elseif background and redis.call('EXISTS', KEYS[4]) == 1 then
  return {0, spacing}
end
local keep = math.ceil((slot - now) / 1000) + 60000
redis.call('SET', KEYS[1], string.format('%.0f', slot + spacing), 'PX', keep)
if kind == 1 then
  local latest = string.format('%.0f', math.max(last or slot, slot))
  redis.call('HSET', KEYS[2], 'tokens', tostring(tokens - 1), 'last', latest)
  redis.call('PEXPIRE', KEYS[2], ttl + keep)
elseif kind == 2 then
  redis.call('ZADD', KEYS[2], slot, ARGV[11])
  redis.call('PEXPIRE', KEYS[2], ttl + keep)
end
return {1, math.ceil(slot - now)}
"""

# 1 while a 429's pause stored by any process lasts.
PAUSED = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
return tonumber(redis.call('GET', KEYS[1]) or '0') > now and 1 or 0
"""

# A 429's pause: kept if a longer one is already there.
PAUSE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local until_ = now + tonumber(ARGV[1])
if tonumber(redis.call('GET', KEYS[1]) or '0') < until_ then
  local keep = string.format('%.0f', math.ceil(tonumber(ARGV[1]) / 1000) + 1000)
  redis.call('SET', KEYS[1], string.format('%.0f', until_), 'PX', keep)
end
return 1
"""


class RedisPacer:
    """The `Pacer` interface (`acquire`, `pause`, `close`, `reopen`) over one budget in Redis
    shared by every process whose keys start with `prefix`."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        per_second: float = OVERALL_PER_SECOND,
        local: Pacer | None = None,
    ) -> None:
        self.redis = redis
        self.prefix = f"{prefix}:pace"
        self.spacing = 1.0 / per_second
        self.local = local or Pacer(per_second)  # while Redis cannot be reached
        self._acquire = redis.register_script(ACQUIRE)
        self._pause = redis.register_script(PAUSE)
        self._paused = redis.register_script(PAUSED)
        self._closed = {priority: asyncio.Event() for priority in Priority}
        self._redis_lost = False
        self._pauses: set[asyncio.Task[None]] = set()

    async def acquire(self, chat_id: ChatKey | None, priority: Priority = Priority.REPLY) -> None:
        while True:
            if self._closed[priority].is_set():
                raise PacerClosed
            await self.local.until_unpaused(priority)  # this process's 429: known here
            try:
                answer = await self._acquire(
                    keys=self._keys(chat_id), args=self._args(chat_id, priority)
                )
            except (RedisError, OSError) as error:
                self._lost(error)
                await self.local.acquire(chat_id, priority)
                return
            self._found()
            booked, wait = (int(value) for value in answer)
            if not booked:
                await self._sleep(min(wait / MICROS, LONGEST_WAIT), priority)
            elif (not wait or await self._slot_kept(wait / MICROS, priority)) and (
                await self.local.keep_apart(priority)
            ):
                return
            # Else a 429's pause began meanwhile: the slot is given up, left unused, and the
            # next one booked. What the booking took of the chat's own budget stays taken (a
            # person's token, one of a group's 19 a minute): a pause is rare, and erring slow
            # is safe.

    async def _slot_kept(self, seconds: float, priority: Priority) -> bool:
        """Sleep until a booked slot; False when a 429's pause began meanwhile."""
        loop = asyncio.get_running_loop()
        asked = loop.time()
        await self._sleep(seconds, priority)
        if self.local.paused_for():
            return False
        if max(seconds, loop.time() - asked) <= max(2 * self.spacing, ON_ITS_WAY):
            return True  # as much on its way as a send already made
        try:
            return not await self._paused(keys=[f"{self.prefix}:paused"])
        except (RedisError, OSError) as error:
            self._lost(error)
            return True  # the booking was made: it is as good as this process knows

    def pause(self, seconds: float) -> None:
        """Telegram said "retry after": no process sends for that long."""
        self.local.pause(seconds)
        task = asyncio.get_running_loop().create_task(self._store_pause(seconds))
        self._pauses.add(task)
        task.add_done_callback(self._pauses.discard)

    def close(self, priority: Priority | None = None) -> None:
        for kind in Priority if priority is None else (priority,):
            self._closed[kind].set()
        self.local.close(priority)

    def reopen(self, priority: Priority) -> None:
        self._closed[priority].clear()
        self.local.reopen(priority)

    async def _store_pause(self, seconds: float) -> None:
        try:
            await self._pause(keys=[f"{self.prefix}:paused"], args=[int(seconds * MICROS)])
        except (RedisError, OSError) as error:
            self._lost(error)

    def _keys(self, chat_id: ChatKey | None) -> list[str]:
        overall = f"{self.prefix}:next"
        chat = overall if chat_id is None else f"{self.prefix}:chat:{chat_id}"
        return [overall, chat, f"{self.prefix}:paused", f"{self.prefix}:reply-waiting"]

    def _args(self, chat_id: ChatKey | None, priority: Priority) -> list[object]:
        kind = 0 if chat_id is None else 2 if is_group(chat_id) else 1
        return [
            kind,
            int(priority is Priority.BACKGROUND),
            int(self.spacing * MICROS),
            int(PRIVATE_CHAT_INTERVAL * MICROS),
            PRIVATE_BURST,
            GROUP_PER_MINUTE,
            GROUP_BACKGROUND_PER_MINUTE,
            int(GROUP_CHAT_INTERVAL * MICROS),
            CHAT_TTL_MS,
            REPLY_MARK_MS,
            uuid.uuid4().hex if kind == 2 else "",  # a group's send, unique in its minute
        ]

    async def _sleep(self, seconds: float, priority: Priority) -> None:
        closed = self._closed[priority]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(closed.wait(), timeout=seconds)
        if closed.is_set():
            raise PacerClosed

    def _lost(self, error: Exception) -> None:
        if not self._redis_lost:
            log.error("Redis unreachable (%s): pacing this process alone until it is back", error)
        self._redis_lost = True

    def _found(self) -> None:
        if self._redis_lost:
            log.warning("Redis reachable again: pacing shared by every worker again")
        self._redis_lost = False
