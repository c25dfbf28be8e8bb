"""The chat's lock across workers, taken in the same trip to Redis as the chat's form is read.

Every update takes its chat's lock (two updates of one chat never run at once, on any worker)
and then reads the form's state and data. With aiogram's `RedisEventIsolation` that was a lock
object of redis-py's (a SET, then a script to let go) and a separate MGET; one script now sets
the lock and, if it was free, reads the form (`bench/per_update.py`, one webhook worker:
~0.49 → ~0.25 ms of CPU per update for the two). Letting go is a second script, which
deletes the lock only while it still holds this update's token.

As with redis-py's lock: a lock held by another update is tried again every 0.1 s, for as long
as it takes; one whose worker died expires after `seconds`. Unlike it, an update that runs
longer than `seconds` keeps its lock (`_KeptAlive`), up to ten minutes. The lock's and the
form's keys are read in one script, so they must live on one Redis (bangfu uses one, not a
cluster).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import KeyBuilder, RedisEventIsolation
from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from bot.telegram.shared_forms import SharedFormStorage

log = logging.getLogger(__name__)

RETRY_SECONDS = 0.1  # redis-py's Lock waits as long between tries
# The longest an update keeps its chat's lock alive: far longer than any real one (the county's
# forms take well under a minute); past it the update is taken as stuck, and its chat's next
# updates go on once the lock expires.
KEPT_AT_MOST_SECONDS = 600

# KEYS: the lock, the form's state, its data. ARGV: this update's token, the lock's lifetime
# in ms. {1, state, data} when the lock was free (and is now this update's), else {0}.
_TAKE_AND_READ = """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return {1, redis.call('GET', KEYS[2]), redis.call('GET', KEYS[3])}
end
return {0}
"""

# KEYS: the lock. ARGV: this update's token. Deletes the lock only while it holds the token
# (after its lifetime another update may hold it).
_LET_GO = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


# KEYS: the lock. ARGV: this update's token, the lifetime in ms. The lifetime starts again
# only while the lock holds the token.
_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


class ChatLockWithForm(RedisEventIsolation):
    """`RedisEventIsolation` whose lock also reads the chat's form for `forms` (remembered
    for the update when the intake has opened `forms.one_update()`)."""

    def __init__(
        self, redis: Redis, key_builder: KeyBuilder, forms: SharedFormStorage, seconds: int
    ) -> None:
        super().__init__(redis, key_builder=key_builder)
        self.forms = forms
        self.seconds = seconds
        self._take_and_read = redis.register_script(_TAKE_AND_READ)
        self._let_go_script = redis.register_script(_LET_GO)
        self._extend_script = redis.register_script(_EXTEND)

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        name = self.key_builder.build(key, "lock")
        token = secrets.token_hex(16).encode()
        try:
            form = await self._take(name, token, key)
        except RedisConnectionError:
            raise  # Redis unreachable: nothing to let go, nor a way to (a lock set expires)
        except BaseException:
            # Taking failed half-way (the SET made, its reply lost, or cancelled meanwhile):
            # whatever this token holds is let go, or the chat would wait out its lifetime.
            await asyncio.shield(self._let_go(name, token, taken=False))
            raise
        held = _KeptAlive(self, name, token)
        try:
            self.forms.remember(key, *form)
            yield None
        finally:
            held.stop()
            await asyncio.shield(self._let_go(name, token, taken=True))

    async def _take(self, name: str, token: bytes, key: StorageKey) -> list[bytes | None]:
        """Wait for the chat's lock; the form's state and data as read when it was taken."""
        keys = [name, *self.forms.form_keys(key)]
        while True:
            taken, *form = await self._take_and_read(keys=keys, args=[token, self.seconds * 1000])
            if taken:
                return form
            await asyncio.sleep(RETRY_SECONDS)

    async def _extend(self, name: str, token: bytes) -> None:
        """The lock's lifetime starts again, while it holds `token`."""
        await self._while_held(self._extend_script, name, [token, self.seconds * 1000])

    async def _let_go(self, name: str, token: bytes, taken: bool) -> None:
        """Delete the lock while it holds `token`."""
        await self._while_held(self._let_go_script, name, [token], expected=taken)

    async def _while_held(
        self, script: AsyncScript, name: str, args: list[Any], expected: bool = True
    ) -> None:
        """Run `script` on the lock, which acts only while the lock holds this update's token.
        A failure is logged, not raised: the update's own outcome (done, or its error) stands,
        and the lock expires by itself."""
        try:
            if not await script(keys=[name], args=args) and expected:
                log.warning("chat lock %s had expired before its update ended", name)
        except RedisError as error:
            log.warning("chat lock %s: %r (it expires by itself)", name, error)


class _KeptAlive:
    """While its update runs, the lock's lifetime starts again every third of it: an update
    longer than the lifetime (the county's forms, a large roster) keeps its chat to itself,
    and the lock of a worker that died still expires within one lifetime. An update shorter
    than a third of it (nearly all) costs one timer, no trip to Redis."""

    def __init__(self, lock: ChatLockWithForm, name: str, token: bytes) -> None:
        self.lock, self.name, self.token = lock, name, token
        self.every = lock.seconds / 3
        self.loop = asyncio.get_running_loop()
        self.until = self.loop.time() + KEPT_AT_MOST_SECONDS
        self.renewing: asyncio.Task[None] | None = None
        self.timer: asyncio.TimerHandle | None = self.loop.call_later(self.every, self._renew)

    def _renew(self) -> None:
        if self.loop.time() > self.until:
            log.warning(
                "an update has held chat lock %s for %s s: taken as stuck, the lock expires",
                *(self.name, KEPT_AT_MOST_SECONDS),
            )
            self.timer = None
            return
        self.renewing = self.loop.create_task(self.lock._extend(self.name, self.token))
        self.timer = self.loop.call_later(self.every, self._renew)

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        if self.renewing is not None:
            self.renewing.cancel()
