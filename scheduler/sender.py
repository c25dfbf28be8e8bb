"""The outbox sender: delivers due outbox rows to Telegram, paced under its limits.

- Due means queued with `not_before` reached (on the service's clock), urgent rows first,
  then oldest first; in quiet hours only urgent rows (red-flag alerts) are due, the rest
  wait for morning.
- Each row is rendered at its first try (`bot/messages/renderers.py`) into parts that fit
  Telegram's limits, kept on the row; every part Telegram accepts is recorded at once, so a
  retry or a restart sends only what is left. A row is SENT once Telegram accepted all of it.
  A part Telegram still refuses as too long is split smaller in its place: no row fails for
  its length.
- Sends go through the bot's one pacer as background (`bot/telegram/session.py`), after the
  replies; on 429 the session waits `retry_after` and sends the same part again.
- Network errors and 5xx: try the row again later, backing off. 403 and 400 "chat not
  found": the row is UNDELIVERABLE, the person marked unreachable, the town office told.
- Several rows are in flight at once (sending is mostly waiting for Telegram), never two
  for the same recipient, so each chat gets its messages in order. A row is claimed first
  (`bot/core/delivery/claims.py`), so two senders never send one row twice.

`bangfu run` starts it through `scheduler.start_scheduler`: `await sender.start()` and, on
the way out, `await sender.stop()`, which lets sends already on the wire finish and be
recorded. Tests call `await sender.drain_once()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
)
from sqlalchemy import select, update

from bot.config import Settings
from bot.core.delivery import claims, reachability
from bot.core.delivery.outbox import (
    OutboxStatus,
    Recipient,
    addressee,
    fan_out_town_office,
    redirect_to_moved_group,
)
from bot.core.delivery.timing import in_quiet_hours, retry_delay
from bot.messages.renderers import RENDERERS, NoRenderer, Renderer, render
from bot.messages.rendering import OutgoingMessage, fit_for_telegram, refit_stored
from bot.storage.models import OutboxMessage
from bot.storage.uow import App, UnitOfWork
from bot.telegram.pacing import PacerClosed, Priority
from bot.telegram.parts import is_length_refusal
from bot.telegram.session import background_sends, pacer_of

log = logging.getLogger(__name__)

CONCURRENCY = 32  # rows in flight at once, each to a different recipient
BATCH = 256  # due rows read per look at the table
REFRESH_SECONDS = 2.0  # a long wave still looks again this often, for new urgent rows
POLL_SECONDS = 1.0  # an idle sender looks for new rows this often
STOP_GRACE_SECONDS = 20.0  # stop() lets sends already on the wire finish this long
TOWN_OFFICE_WAIT = timedelta(minutes=10)  # a row for a town office nobody can reach yet
ERROR_LENGTH = 500
CHAT_NOT_FOUND = "chat not found"
NOBODY_IN_OFFICE = "nobody in the town office can get messages yet"


class Outcome(StrEnum):
    SENT = "sent"
    UNDELIVERABLE = "undeliverable"
    FAILED = "failed"
    SKIPPED = "skipped"
    FORWARDED = "forwarded"
    RETRY = "retry"  # back in the queue until its not_before
    HELD = "held"  # a town-office row with nobody to reach yet
    INTERRUPTED = "interrupted"  # the sender stopped; the row is still queued
    GONE = "gone"  # no longer queued when its turn came
    REDIRECTED = "redirected"  # the office group moved: queued again for its new id, now

    @property
    def settled(self) -> bool:
        return self in SETTLED


SETTLED = frozenset(
    {Outcome.SENT, Outcome.UNDELIVERABLE, Outcome.FAILED, Outcome.SKIPPED, Outcome.FORWARDED}
)


@dataclass(frozen=True)
class Failure:
    outcome: Outcome
    error: str
    too_long: bool = False  # Telegram refused the part for its length: split it smaller
    migrated_to: int | None = None  # the group became this supergroup


@dataclass(frozen=True)
class Delivery:
    """A row ready to send: where, what, and how far an earlier try got."""

    row_id: int
    chat_id: int
    person_id: int | None
    parts: list[OutgoingMessage]
    parts_sent: int


class OutboxSender:
    def __init__(
        self,
        app: App,
        bot: Bot,
        *,
        concurrency: int = CONCURRENCY,
        poll_seconds: float = POLL_SECONDS,
        renderers: Mapping[str, Renderer] = RENDERERS,
    ) -> None:
        self.app = app
        self.bot = bot
        self.renderers = renderers
        self.pacer = pacer_of(bot)  # the bot's one pacer, shared with the replies
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def settings(self) -> Settings:
        return self.app.settings

    # Running.

    async def start(self) -> None:
        """Start delivering in the background, until `stop()`."""
        if self._task is None:
            self.pacer.reopen(Priority.BACKGROUND)
            self._task = asyncio.create_task(self.run(), name="outbox-sender")

    async def stop(self) -> None:
        """Stop taking rows; sends already on the wire finish and are recorded (rows still
        waiting for a slot stay queued). Replies keep their slots."""
        self._stopping.set()
        self.pacer.close(Priority.BACKGROUND)
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), STOP_GRACE_SECONDS)
        except TimeoutError:
            log.warning("outbox sender did not stop in %ss; cancelling", STOP_GRACE_SECONDS)
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.drain_once()
            except Exception:
                log.exception("outbox sender pass failed; looking again shortly")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.poll_seconds)

    async def drain_once(self) -> int:
        """Deliver every row due now (and the rows that creates, like a town-office row
        fanned out); returns how many rows were settled. Rows put back for a later retry
        wait for their time."""
        settled = 0
        in_flight: dict[asyncio.Task[Outcome], tuple[int, str]] = {}
        troubled: set[int] = set()  # rows that raised: not retaken in this pass
        waiting: list[tuple[int, str]] = []
        looked_at = float("-inf")
        look_again = True
        while True:
            if not self._stopping.is_set():
                if look_again or time.monotonic() - looked_at > REFRESH_SECONDS:
                    taken = {row for row, _ in in_flight.values()} | troubled
                    waiting = await self._due(taken, {lane for _, lane in in_flight.values()})
                    looked_at, look_again = time.monotonic(), False
                waiting = self._start(waiting, in_flight)
            if not in_flight:
                if waiting and not self._stopping.is_set():
                    continue
                break
            done, _ = await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                row_id, _ = in_flight.pop(task)
                outcome = task.result()
                settled += outcome.settled
                if outcome == Outcome.RETRY:
                    troubled.add(row_id)
            # A finished row may have added rows (fanned out, "unreachable" notices).
            look_again = not waiting
        return settled

    def _start(
        self,
        waiting: list[tuple[int, str]],
        in_flight: dict[asyncio.Task[Outcome], tuple[int, str]],
    ) -> list[tuple[int, str]]:
        """Start rows while there is room, one per recipient; returns the rows left."""
        lanes = {lane for _, lane in in_flight.values()}
        left: list[tuple[int, str]] = []
        for row_id, lane in waiting:
            if len(in_flight) >= self.concurrency or lane in lanes:
                left.append((row_id, lane))
                continue
            lanes.add(lane)
            task = asyncio.create_task(self._deliver_safely(row_id), name=f"outbox-{row_id}")
            in_flight[task] = (row_id, lane)
        return left

    async def _due(self, taken: set[int], busy_lanes: set[str]) -> list[tuple[int, str]]:
        now = self.app.clock.now()
        query = select(OutboxMessage.id, OutboxMessage.recipient).where(
            OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.not_before <= now
        )
        if in_quiet_hours(self.settings, now):
            query = query.where(OutboxMessage.urgent.is_(True))
        if taken:
            query = query.where(OutboxMessage.id.not_in(taken))
        if busy_lanes:
            query = query.where(OutboxMessage.recipient.not_in(busy_lanes))
        query = query.order_by(
            OutboxMessage.urgent.desc(), OutboxMessage.not_before, OutboxMessage.id
        ).limit(BATCH)
        async with self.app.uow() as uow:
            return [(row_id, lane) for row_id, lane in await uow.session.execute(query)]

    # One row.

    async def _deliver_safely(self, row_id: int) -> Outcome:
        try:
            if not await claims.claim(self.app, row_id):
                return Outcome.GONE  # another sender has it, or it is no longer due
            return await self._deliver(row_id)
        except PacerClosed:
            await claims.release(self.app, row_id)
            return Outcome.INTERRUPTED
        except Exception as error:
            # A bug or a database hiccup: the row stays queued and is tried again later.
            log.exception("outbox row %s failed unexpectedly", row_id)
            await self._retry_later(row_id, repr(error))
            return Outcome.RETRY

    async def _deliver(self, row_id: int) -> Outcome:
        prepared = await self._prepare(row_id)
        if isinstance(prepared, Outcome):
            return prepared
        parts, index = prepared.parts, prepared.parts_sent
        while index < len(parts):
            failure = await self._send(prepared.chat_id, parts[index])
            if isinstance(failure, int):  # Telegram accepted it: the message's id
                index += 1
                await self._record_part(prepared, index, len(parts), failure)
                continue
            smaller = parts[index].smaller() if failure.too_long else []
            if not smaller:
                return await self._record_failure(prepared, failure)
            log.warning("outbox row %s: part %s refused as too long; split", row_id, index + 1)
            parts = parts[:index] + smaller + parts[index + 1 :]
            await self._store_parts(prepared.row_id, parts, index)
        return Outcome.SENT

    async def _prepare(self, row_id: int) -> Delivery | Outcome:
        """Find the row's chat and render it (once); settle rows that cannot be sent."""
        async with self.app.uow() as uow:
            row = await uow.session.get(OutboxMessage, row_id)
            if row is None or row.status != OutboxStatus.QUEUED:
                return Outcome.GONE
            recipient = Recipient.parse(row.recipient)
            if recipient.person_id is None and recipient.chat_id is None:
                outcome = await self._fan_out(uow, row)
                await uow.commit()
                return outcome
            person, chat_id = await addressee(uow, recipient)
            if recipient.person_id is not None and (person is None or not person.active):
                return await self._settle(uow, row, Outcome.SKIPPED, "person no longer active")
            if chat_id is None:
                assert person is not None
                await reachability.mark_unreachable(uow, self.settings, person.id, uow.clock.now())
                return await self._settle(uow, row, Outcome.UNDELIVERABLE, "never started the bot")
            if row.parts is None:
                language = (person.language if person else None) or self.settings.default_language
                try:
                    messages = await render(uow, row, language, self.renderers)
                except NoRenderer as error:
                    return await self._settle(uow, row, Outcome.FAILED, str(error))
                if not messages:
                    return await self._settle(uow, row, Outcome.SKIPPED, "nothing left to say")
                row.parts = [message.stored() for message in fit_for_telegram(messages)]
                await uow.commit()
            elif (refitted := refit_stored(row.parts, row.parts_sent)) is not None:
                row.parts = refitted  # stored before parts were measured in UTF-16 units
                await uow.commit()
            return Delivery(
                row.id,
                chat_id,
                person.id if person else None,
                [OutgoingMessage.from_stored(part) for part in row.parts],
                row.parts_sent,
            )

    async def _fan_out(self, uow: UnitOfWork, row: OutboxMessage) -> Outcome:
        if await fan_out_town_office(uow, self.settings, row):
            return Outcome.FORWARDED
        row.not_before, row.last_error = uow.clock.now() + TOWN_OFFICE_WAIT, NOBODY_IN_OFFICE
        return Outcome.HELD

    async def _settle(
        self, uow: UnitOfWork, row: OutboxMessage, outcome: Outcome, why: str
    ) -> Outcome:
        row.status = OutboxStatus(outcome.value)
        row.last_error = why
        await uow.commit()
        return outcome

    async def _send(self, chat_id: int, message: OutgoingMessage) -> Failure | int:
        """Send one part; the sent message's id once Telegram accepted it. The bot's session
        paces it behind the replies and waits out a 429."""
        try:
            with background_sends():
                return await message.send(self.bot, chat_id)  # text, photo or document
        except TelegramForbiddenError as error:
            return Failure(Outcome.UNDELIVERABLE, error.message)
        except TelegramMigrateToChat as error:
            return Failure(
                Outcome.FAILED,
                f"the group became the supergroup {error.migrate_to_chat_id}",
                migrated_to=error.migrate_to_chat_id,
            )
        except TelegramBadRequest as error:
            if CHAT_NOT_FOUND in error.message.lower():
                return Failure(Outcome.UNDELIVERABLE, error.message)
            return Failure(Outcome.FAILED, error.message, is_length_refusal(error.message))
        except TelegramAPIError as error:  # network errors, 5xx, and the unexpected
            return Failure(Outcome.RETRY, f"{type(error).__name__}: {error.message}")

    async def _store_parts(self, row_id: int, parts: list[OutgoingMessage], sent: int) -> None:
        """Keep the row's parts as now split; the first `sent` were sent and stay as they were."""
        async with self.app.uow() as uow:
            await uow.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id, OutboxMessage.parts_sent == sent)
                .values(parts=[part.stored() for part in parts])
            )
            await uow.commit()

    async def _record_part(
        self, delivery: Delivery, parts_sent: int, parts: int, message_id: int
    ) -> None:
        finished = parts_sent == parts
        async with self.app.uow() as uow:
            lease = claims.lease_end(self.app, uow.clock.now())  # the row stays this sender's
            values: dict[str, object] = {"parts_sent": parts_sent, "message_id": message_id}
            values |= {"not_before": lease}
            if finished:
                values |= {"status": OutboxStatus.SENT, "sent_at": uow.clock.now()}
                values |= {"last_error": None}
            await uow.session.execute(
                update(OutboxMessage).where(OutboxMessage.id == delivery.row_id).values(**values)
            )
            if finished and delivery.person_id is not None:
                await reachability.mark_reachable(uow, delivery.person_id)
            await uow.commit()

    async def _record_failure(self, delivery: Delivery, failure: Failure) -> Outcome:
        moved_to = failure.migrated_to
        if moved_to and await redirect_to_moved_group(self.app, delivery.row_id, moved_to):
            return Outcome.REDIRECTED
        if failure.outcome == Outcome.RETRY:
            await self._retry_later(delivery.row_id, failure.error)
            return Outcome.RETRY
        async with self.app.uow() as uow:
            row = await uow.session.get(OutboxMessage, delivery.row_id)
            assert row is not None
            if failure.outcome == Outcome.UNDELIVERABLE and delivery.person_id is not None:
                await reachability.mark_unreachable(
                    uow, self.settings, delivery.person_id, uow.clock.now()
                )
            log.warning("outbox row %s %s: %s", row.key, failure.outcome, failure.error)
            return await self._settle(uow, row, failure.outcome, failure.error[:ERROR_LENGTH])

    async def _retry_later(self, row_id: int, error: str) -> None:
        async with self.app.uow() as uow:
            row = await uow.session.get(OutboxMessage, row_id)
            if row is None or row.status != OutboxStatus.QUEUED:
                return
            row.attempts += 1
            row.not_before = uow.clock.now() + retry_delay(row.attempts)
            row.last_error = error[:ERROR_LENGTH]
            await uow.commit()
        log.warning("outbox row %s: try %s failed (%s); again later", row_id, row.attempts, error)
