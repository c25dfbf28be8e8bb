"""The outbox (待发消息): every message the service starts is a row here, written in the same
transaction as the fact that caused it; `scheduler/sender.py` delivers the rows.

`queue` fans an audience out when it queues, so each row goes to ONE recipient:

- `"person:<id>"`: a registered person; the sender finds their Telegram chat and language
  when it sends (a person who re-registers on a new phone is still reached);
- `"chat:<id>"`: a chat by its Telegram id (the town office group);
- `"town_office"` (the first town) or `"town_office:<town id>"`: a town's office when
  nobody can be named yet (no group confirmed, no town-office person of that town on
  Telegram); `"county_office"` likewise for the county office. The sender fans such a row
  out when it is due, and holds it while there is still nobody, so an early red-flag alert
  waits for the office's first account instead of being lost.

A row's key is the caller's key plus `@<recipient>`. A key queued before, to anyone, is not
queued again: a job run twice, or caught up after downtime, adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import case, func, select

from bot.config import Settings
from bot.core.delivery import office_group
from bot.domain.model import Role
from bot.storage.batches import rows_in_batches
from bot.storage.models import FIRST_TOWN_ID, Household, OutboxMessage, Person, Village
from bot.storage.uow import App, UnitOfWork

TOWN_OFFICE = "town_office"
COUNTY_OFFICE = "county_office"
KEY_LENGTH = 200  # OutboxMessage.key
SEEN_BATCH = 1000  # keys per query looking for those queued before


class OutboxStatus(StrEnum):
    QUEUED = "queued"  # waiting for its first try, or for a retry (attempts > 0)
    SENT = "sent"  # Telegram accepted every part
    UNDELIVERABLE = "undeliverable"  # blocked, never started the bot, or chat not found
    FAILED = "failed"  # Telegram refused the message itself, or it could not be rendered
    SKIPPED = "skipped"  # nothing left to say when it was due (e.g. the household was contacted)
    FORWARDED = "forwarded"  # a "town_office" row, fanned out into one row per recipient


RETRYING = "retrying"  # queued rows that failed at least once (a count, not a status)


# Audiences: who a message is for, as the caller thinks of them.


@dataclass(frozen=True)
class TownOffice:
    """A town's office: its group (office_group.resolve) when there is one, else every
    town-office person of that town on Telegram. The first town is a single-town
    installation's one town."""

    town_id: int = FIRST_TOWN_ID


@dataclass(frozen=True)
class CountyOffice:
    """The county office: its group when there is one, else every county office person on
    Telegram."""


@dataclass(frozen=True)
class PersonAudience:
    person_id: int


@dataclass(frozen=True)
class VillageAdmins:
    """The village's admins on Telegram; the town office when the village has none, unless
    `or_town_office` is False (news the town office has had already)."""

    village_id: int
    or_town_office: bool = True


@dataclass(frozen=True)
class ChatAudience:
    chat_id: int


Audience = TownOffice | CountyOffice | PersonAudience | VillageAdmins | ChatAudience


def person_recipient(person_id: int) -> str:
    return f"person:{person_id}"


def chat_recipient(chat_id: int) -> str:
    return f"chat:{chat_id}"


def office_recipient(office: TownOffice | CountyOffice) -> str:
    """The held row's recipient of an office nobody can be reached in yet."""
    if isinstance(office, CountyOffice):
        return COUNTY_OFFICE
    return TOWN_OFFICE if office.town_id == FIRST_TOWN_ID else f"{TOWN_OFFICE}:{office.town_id}"


@dataclass(frozen=True)
class Recipient:
    """A row's recipient, parsed: `person_id` or `chat_id` is set, or `office` (an office
    nobody could be named in when it was queued)."""

    person_id: int | None = None
    chat_id: int | None = None
    office: TownOffice | CountyOffice | None = None

    @classmethod
    def parse(cls, recipient: str) -> Recipient:
        kind, _, ident = recipient.partition(":")
        if kind == "person":
            return cls(person_id=int(ident))
        if kind == "chat":
            return cls(chat_id=int(ident))
        if recipient == COUNTY_OFFICE:
            return cls(office=CountyOffice())
        if kind == TOWN_OFFICE:
            return cls(office=TownOffice(int(ident) if ident else FIRST_TOWN_ID))
        raise ValueError(f"unknown outbox recipient {recipient!r}")


def row_key(key: str, recipient: str) -> str:
    held = recipient == COUNTY_OFFICE or recipient.partition(":")[0] == TOWN_OFFICE
    return key if held else f"{key}@{recipient}"


async def queue(
    uow: UnitOfWork,
    settings: Settings | None,
    audience: Audience,
    key: str,
    kind: str,
    payload: dict[str, Any],
    *,
    urgent: bool = False,
    not_before: datetime | None = None,
) -> int:
    """Queue one row per recipient of `audience`, in the caller's transaction; returns how
    many rows were added: 0 when `key` was queued before. The caller commits."""
    if await already_queued(uow, key):
        return 0
    targets = await recipients(uow, settings, audience)
    for recipient in targets:
        _add(uow, key, recipient, kind, payload=dict(payload), urgent=urgent, not_before=not_before)
    return len(targets)


async def queue_to_people(
    uow: UnitOfWork, kind: str, messages: list[tuple[int, str, dict[str, Any]]]
) -> int:
    """`queue` for many messages each to one person, (person id, key, payload), with one
    query per thousand keys for those queued before (skipped, as `queue` skips them)."""
    seen = await queued_before(uow, [key for _person, key, _payload in messages])
    new: list[tuple[str, str, str, dict[str, Any]]] = []
    for person_id, key, payload in messages:
        if key not in seen:
            seen.add(key)
            recipient = person_recipient(person_id)
            new.append((_full_key(key, recipient), key, recipient, payload))
    await uow.queue_messages(kind, new)
    return len(new)


async def already_queued(uow: UnitOfWork, key: str) -> bool:
    """Whether `key` was queued before, to anyone (this transaction's rows included)."""
    return key in await queued_before(uow, [key])


async def queued_before(uow: UnitOfWork, keys: list[str]) -> set[str]:
    """Which of `keys` were queued before, to anyone (this transaction's rows included),
    looked for a thousand at a time."""
    rows = await rows_in_batches(
        uow.session,
        lambda batch: select(OutboxMessage.base_key).where(OutboxMessage.base_key.in_(batch)),
        keys,
        SEEN_BATCH,
    )
    return {key for (key,) in rows}


async def recipients(uow: UnitOfWork, settings: Settings | None, audience: Audience) -> list[str]:
    match audience:
        case PersonAudience(person_id):
            return [person_recipient(person_id)]
        case ChatAudience(chat_id):
            return [chat_recipient(chat_id)]
        case VillageAdmins(village_id, or_town_office):
            admins = await _reachable_people(uow, Role.VILLAGE_ADMIN, village_id)
            if admins:
                return [person_recipient(person_id) for person_id in admins]
            if not or_town_office:
                return []
            office = TownOffice(await _town_of_village(uow, village_id))
            return await office_recipients(uow, settings, office) or [office_recipient(office)]
        case TownOffice() | CountyOffice():
            found = await office_recipients(uow, settings, audience)
            return found or [office_recipient(audience)]
    raise TypeError(f"unknown audience {audience!r}")


async def office_recipients(
    uow: UnitOfWork, settings: Settings | None, office: TownOffice | CountyOffice
) -> list[str]:
    """A town's or the county's office as recipients now; empty when nobody can be reached
    yet. Another town's office is never among them."""
    town_id = office.town_id if isinstance(office, TownOffice) else None
    group = await office_group.office_chat_id(uow, settings, town_id)
    if group is not None:
        return [chat_recipient(group)]
    if town_id is None:
        people = await _reachable_people(uow, Role.COUNTY_OFFICE)
    else:
        people = await _reachable_people(uow, Role.TOWN_OFFICE, town_id=town_id)
    return [person_recipient(person_id) for person_id in people]


async def town_office_recipients(
    uow: UnitOfWork, settings: Settings | None, town_id: int = FIRST_TOWN_ID
) -> list[str]:
    """The town's office as recipients now; empty when nobody can be reached yet."""
    return await office_recipients(uow, settings, TownOffice(town_id))


async def office_of_household(uow: UnitOfWork, household_id: int) -> TownOffice:
    """The office of the household's town: its alerts go there, and to no other town."""
    town_id = (
        await uow.session.execute(
            select(Village.town_id)
            .join(Household, Household.village_id == Village.id)
            .where(Household.id == household_id)
        )
    ).scalar_one_or_none()
    return TownOffice(town_id if town_id is not None else FIRST_TOWN_ID)


async def _town_of_village(uow: UnitOfWork, village_id: int) -> int:
    town_id = (
        await uow.session.execute(select(Village.town_id).where(Village.id == village_id))
    ).scalar_one_or_none()
    return town_id if town_id is not None else FIRST_TOWN_ID


async def fan_out_town_office(
    uow: UnitOfWork, settings: Settings | None, row: OutboxMessage
) -> int:
    """Turn a due office row (`"town_office…"`, `"county_office"`) into one row per
    recipient in that office, if there is anyone to reach now; the row itself becomes
    FORWARDED. Returns the rows added."""
    office = Recipient.parse(row.recipient).office
    assert office is not None
    targets = await office_recipients(uow, settings, office)
    for recipient in targets:
        _add(uow, row.key, recipient, row.kind, payload=dict(row.payload), urgent=row.urgent)
    if targets:
        row.status = OutboxStatus.FORWARDED
        row.last_error = None
    return len(targets)


async def _reachable_people(
    uow: UnitOfWork, role: Role, village_id: int | None = None, town_id: int | None = None
) -> list[int]:
    """Active people in the role with a Telegram account that has not refused the bot."""
    query = (
        select(Person.id)
        .where(
            Person.role == role,
            Person.active.is_(True),
            Person.telegram_user_id.is_not(None),
            Person.unreachable_since.is_(None),
        )
        .order_by(Person.id)
    )
    if village_id is not None:
        query = query.where(Person.village_id == village_id)
    if town_id is not None:
        query = query.where(Person.town_id == town_id)
    return list((await uow.session.execute(query)).scalars())


def _add(uow: UnitOfWork, key: str, recipient: str, kind: str, **row: Any) -> None:
    """One recipient's row of the message queued under `key`."""
    uow.queue_message(_full_key(key, recipient), kind, recipient, base_key=key, **row)


def _full_key(key: str, recipient: str) -> str:
    full_key = row_key(key, recipient)
    if len(full_key) > KEY_LENGTH:
        raise ValueError(f"outbox key longer than {KEY_LENGTH} characters: {full_key!r}")
    return full_key


@dataclass(frozen=True)
class OutboxSummary:
    """What `bangfu outbox status` shows."""

    counts: dict[str, int]  # by status; queued rows already tried count as RETRYING
    oldest_waiting: OutboxMessage | None


async def summary(app: App) -> OutboxSummary:
    retried = case((OutboxMessage.attempts > 0, True), else_=False)
    async with app.uow() as uow:
        rows = await uow.session.execute(
            select(OutboxMessage.status, retried, func.count(OutboxMessage.id)).group_by(
                OutboxMessage.status, retried
            )
        )
        counts = {str(status): 0 for status in OutboxStatus} | {RETRYING: 0}
        for status, was_tried, number in rows:
            name = RETRYING if status == OutboxStatus.QUEUED and was_tried else status
            counts[name] = counts.get(name, 0) + number
        oldest = (
            await uow.session.execute(
                select(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.QUEUED)
                .order_by(OutboxMessage.created_at, OutboxMessage.id)
                .limit(1)
            )
        ).scalar_one_or_none()
    return OutboxSummary(counts, oldest)


async def addressee(uow: UnitOfWork, recipient: Recipient) -> tuple[Person | None, int | None]:
    """The person a row is for (when known) and the chat to send it to (None: the person
    has no Telegram account yet)."""
    if recipient.chat_id is not None:
        person = None
        if recipient.chat_id > 0:  # a private chat's id is the person's Telegram id
            person = (
                await uow.session.execute(
                    select(Person).where(Person.telegram_user_id == recipient.chat_id)
                )
            ).scalar_one_or_none()
        return person, recipient.chat_id
    assert recipient.person_id is not None
    person = await uow.session.get(Person, recipient.person_id)
    return person, person.telegram_user_id if person else None


async def redirect_to_moved_group(app: App, row_id: int, new_chat_id: int) -> bool:
    """The row's group became the supergroup `new_chat_id`. When that group is the town
    office's confirmed one (not the TOWN_OFFICE_CHAT_ID setting, which only the operator
    changes), follow it there: the stored group and this row now point to the new chat, due
    at once. False when the group is not the office's."""
    if app.settings.town_office_chat_id is not None:
        return False
    async with app.uow() as uow:
        row = await uow.session.get(OutboxMessage, row_id)
        recipient = Recipient.parse(row.recipient) if row is not None else None
        if row is None or recipient is None or recipient.chat_id is None:
            return False
        moved = await office_group.follow_migration(app, recipient.chat_id, new_chat_id)
        if moved is office_group.Migration.NOT_OFFICE:
            return False
        row.recipient = chat_recipient(new_chat_id)
        row.not_before = uow.clock.now()
        await uow.commit()
    return True
