"""What several workers share through Redis (REDIS_URL), and what a worker does without it.

Redis holds what must be shared between the workers and is not the record: the conversation
state (aiogram's `RedisStorage`, read once per update: `shared_forms.py`), the per-chat lock
(`shared_chat_lock.py`: two updates of one chat never run at once, on any worker; taken in
the same trip as the form is read) and
Telegram's send budget (`RedisPacer`). The database stays the record: contacts, the outbox,
the audit trail.

A worker that loses Redis cannot take a chat's lock or read its form: the update stops there,
before anything is written, and the person is told to try again in a moment
(`answer_when_redis_is_lost`); nothing is lost, since nothing was half-written. Without
REDIS_URL (one process) the state is in the database and the lock in memory, as before.
"""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.filters import ExceptionTypeFilter
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StorageKey
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.fsm.storage.redis import DefaultKeyBuilder
from aiogram.types import ErrorEvent, User
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.config import Settings
from bot.i18n import N_, gettext, language_for, set_language
from bot.storage.fsm import SqlAlchemyStorage
from bot.storage.uow import App
from bot.telegram.pacing import Pacer, SendPacer
from bot.telegram.shared_chat_lock import ChatLockWithForm
from bot.telegram.shared_forms import SharedFormStorage
from bot.telegram.shared_pacing import RedisPacer

log = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 3.0  # a lost Redis is an error in seconds, not a hung update
# A chat's lock expires on its own after this long, should its worker die holding it.
LOCK_SECONDS = 60

SHARED_STATE_LOST = N_(
    "Sorry, the service could not handle this just now (a shared part of it is not "
    "answering). Nothing was lost: what you saved before is kept. Please try again in a minute."
)


def redis_client(settings: Settings) -> Redis:
    assert settings.redis_url is not None
    return Redis.from_url(
        settings.redis_url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
    )


class PerChat(DefaultKeyBuilder):
    """Lock keys by chat alone: in a group, two people's updates wait for each other too."""

    def build(self, key: StorageKey, part: Any = None) -> str:
        return super().build(
            StorageKey(bot_id=key.bot_id, chat_id=key.chat_id, user_id=key.chat_id), part
        )


def state_and_isolation(app: App) -> tuple[BaseStorage, BaseEventIsolation]:
    """The conversation state's storage and the per-chat lock for this process."""
    settings = app.settings
    if settings.redis_url is None:
        # People tap fast: one update at a time per user, so a double tap sees the first's result.
        return SqlAlchemyStorage(app.sessions), SimpleEventIsolation()
    redis = redis_client(settings)
    prefix = f"{settings.redis_prefix}:fsm"
    storage = SharedFormStorage(
        redis, key_builder=DefaultKeyBuilder(prefix=prefix, with_bot_id=True)
    )
    isolation = ChatLockWithForm(
        redis,
        PerChat(prefix=f"{settings.redis_prefix}:chat", with_bot_id=True),
        storage,
        LOCK_SECONDS,
    )
    return storage, isolation


def send_pacer(settings: Settings) -> SendPacer:
    """One process's pacer, or the budget every worker shares when Redis is set."""
    if settings.redis_url is None:
        return Pacer()
    return RedisPacer(redis_client(settings), settings.redis_prefix)


def answer_when_redis_is_lost(dispatcher: Dispatcher) -> None:
    """An update that meets a lost Redis is answered with a clear error instead of silence."""
    dispatcher.errors.register(_redis_lost, ExceptionTypeFilter(RedisError))


async def _redis_lost(event: ErrorEvent, bot: Bot, app: App) -> None:
    update = event.update
    log.error("update %s not handled, Redis unreachable: %r", update.update_id, event.exception)
    user: User | None = None
    chat_id: int | None = None
    if update.message is not None:
        user, chat_id = update.message.from_user, update.message.chat.id
        if update.message.chat.type != "private" and not (update.message.text or "").startswith(
            "/"
        ):
            chat_id = None  # group chatter is not ours to answer
    elif update.callback_query is not None:
        user = update.callback_query.from_user
    default = app.settings.default_language
    set_language(language_for(user.language_code if user else None, None, default))
    text = gettext(SHARED_STATE_LOST)
    if update.callback_query is not None:
        await bot.answer_callback_query(update.callback_query.id, text=text, show_alert=True)
    elif chat_id is not None:
        await bot.send_message(chat_id, text)
