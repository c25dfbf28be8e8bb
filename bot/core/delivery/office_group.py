"""The offices' groups: each town office's (镇办工作群) and the county office's; which chat
each is, and how it is set.

A town office person adds the bot to a group; the bot asks there whether this is the
office's group, and a town office person confirms with a button. The group's id is kept in
the database (`OfficeGroup`). The `TOWN_OFFICE_CHAT_ID` setting, when set, overrides it (an
installation that already had it keeps working). Everything that reads the office's chat
(alerts and escalations, the chat-scope check, `bangfu doctor`, `/office`) asks `resolve`,
so there is one answer.

In a county each town's office confirms its own group (a row per town, `town_id`), and the
county office its own (`town_id` None); the setting is the first town's (a single-town
installation's). A group is one office's at most.

A group that Telegram upgraded to a supergroup gets a new id: `follow_migration` moves the
stored id along, so nothing needs setting by hand. The bot removed from the stored group
forgets it, so alerts go to each town office person privately again instead of nowhere.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, tzinfo
from enum import StrEnum

from sqlalchemy import ColumnElement, select

from bot.config import Settings
from bot.core.policy import ALLOWED, Act, Actor, require
from bot.domain.model import Role
from bot.domain.text_rules import control_character
from bot.errors import NotAllowed
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.storage.models import FIRST_TOWN_ID, OfficeGroup, Person, Town
from bot.storage.uow import App, UnitOfWork

log = logging.getLogger(__name__)

COUNTY = None  # the county office's group has no town
ANOTHER_OFFICES_GROUP = N_(
    "This group is already another office's group. Each office needs a group of its own."
)
TITLE_MAX_CHARS = 255  # OfficeGroup.title
ONLY_TOWN_OFFICE = ALLOWED[Act.SET_OFFICE_GROUP][1]  # also for a presser not registered


class Source(StrEnum):
    SETTING = "setting"  # TOWN_OFFICE_CHAT_ID in .env or the environment
    DATABASE = "database"  # confirmed in the group by a town office person


class Migration(StrEnum):
    """What a group's move to a supergroup meant for the stored office group."""

    NOT_OFFICE = "not_office"  # another group (or the setting decides)
    MOVED = "moved"  # the stored office group moved now
    ALREADY = "already"  # the same move, reported before: it is the new id already


@dataclass(frozen=True)
class ResolvedGroup:
    """The office's group and where that answer came from."""

    chat_id: int
    source: Source
    title: str | None = None
    confirmed_by: str | None = None
    confirmed_at: datetime | None = None


@dataclass(frozen=True)
class Office:
    """An office the bot sends to: a town's (`town_id`, `name`) or the county's (None)."""

    town_id: int | None
    name: str
    group: ResolvedGroup | None


@dataclass(frozen=True)
class Confirmed:
    """What confirming changed: the group replaced (if another one was set) and the
    setting that still overrides the database (if TOWN_OFFICE_CHAT_ID names another chat)."""

    chat_id: int
    replaced: ResolvedGroup | None
    overridden_by: int | None


async def resolve(
    uow: UnitOfWork, settings: Settings | None, town_id: int | None = FIRST_TOWN_ID
) -> ResolvedGroup | None:
    """The town's office group (the county office's, for `town_id` None): the setting if set
    (the first town's), else the confirmed one, else None."""
    if town_id == FIRST_TOWN_ID and (setting := from_setting(settings)) is not None:
        return setting
    return await _stored(uow, town_id)


def from_setting(settings: Settings | None) -> ResolvedGroup | None:
    """The TOWN_OFFICE_CHAT_ID override, when set."""
    if settings is None or settings.town_office_chat_id is None:
        return None
    return ResolvedGroup(settings.town_office_chat_id, Source.SETTING)


async def office_chat_id(
    uow: UnitOfWork, settings: Settings | None, town_id: int | None = FIRST_TOWN_ID
) -> int | None:
    group = await resolve(uow, settings, town_id)
    return group.chat_id if group else None


async def resolve_now(app: App, town_id: int | None = FIRST_TOWN_ID) -> ResolvedGroup | None:
    async with app.uow() as uow:
        return await resolve(uow, app.settings, town_id)


async def every_office(app: App) -> list[Office]:
    """Each town's office with its group (the first town's: TOWN_OFFICE_CHAT_ID when set),
    then the county office's when the county has several towns or its group is set."""
    async with app.uow() as uow:
        towns = (await uow.session.execute(select(Town.id, Town.name).order_by(Town.id))).all()
        offices = [
            Office(town_id, name, await resolve(uow, app.settings, town_id))
            for town_id, name in towns
        ]
        county = await resolve(uow, app.settings, COUNTY)
    if len(offices) > 1 or county is not None:
        offices.append(Office(COUNTY, "", county))
    return offices


def office_of(actor: Actor) -> int | None:
    """The office an office person works in: their town's, or the county's (None)."""
    return None if actor.role == Role.COUNTY_OFFICE else actor.town_id


async def offices_of_chat(
    uow: UnitOfWork, settings: Settings | None, chat_id: int
) -> set[int | None]:
    """The offices (town ids; None: the county's) whose group this chat is: none, or one."""
    found: set[int | None] = set()
    if settings is not None and settings.town_office_chat_id == chat_id:
        found.add(FIRST_TOWN_ID)
    rows = await uow.session.execute(
        select(OfficeGroup.town_id).where(OfficeGroup.chat_id == chat_id)
    )
    found.update(rows.scalars())
    return found


async def confirm(app: App, actor: Actor | None, chat_id: int, title: str) -> Confirmed:
    """Make `chat_id` the office's group, as the town office person `actor` confirmed in it.
    Anyone else is refused (NotAllowed); confirming the group already set changes nothing."""
    if actor is None or actor.person_id is None:
        raise NotAllowed(ONLY_TOWN_OFFICE)
    require(actor, Act.SET_OFFICE_GROUP)
    title = _shown_title(title) or str(chat_id)
    office = office_of(actor)
    async with app.uow() as uow:
        if await offices_of_chat(uow, app.settings, chat_id) - {office}:
            raise NotAllowed(ANOTHER_OFFICES_GROUP)
        before = await _stored(uow, office)
        row = await _row(uow, office)
        now = uow.clock.now()
        if row is None:
            row = OfficeGroup(town_id=office, chat_id=chat_id, title=title, confirmed_at=now)
            uow.session.add(row)
        elif row.chat_id != chat_id:
            row.chat_id, row.confirmed_at = chat_id, now
        row.title, row.confirmed_by_id = title, actor.person_id
        await uow.session.flush()
        uow.audit(
            actor.person_id,
            actor.name,
            "office_group",
            row.id,
            "confirmed",
            {"chat_id": chat_id, "before": before.chat_id if before else None, "town": office},
        )
        await uow.commit()
    setting = app.settings.town_office_chat_id if office == FIRST_TOWN_ID else None
    return Confirmed(
        chat_id=chat_id,
        replaced=before if before is not None and before.chat_id != chat_id else None,
        overridden_by=setting if setting is not None and setting != chat_id else None,
    )


async def follow_migration(app: App, old_chat_id: int, new_chat_id: int) -> Migration:
    """The group `old_chat_id` became the supergroup `new_chat_id`: when it is the stored
    office group, store the new id (several messages and failed sends report one move)."""
    async with app.uow() as uow:
        row = await _row_of_chat(uow, new_chat_id) or await _row_of_chat(uow, old_chat_id)
        if row is None:
            return Migration.NOT_OFFICE
        if row.chat_id == new_chat_id:
            return Migration.ALREADY
        row.chat_id = new_chat_id
        uow.audit(
            None,
            "telegram",
            "office_group",
            row.id,
            "migrated",
            {"from": old_chat_id, "to": new_chat_id},
        )
        await uow.commit()
    log.info("the town office group %s is now supergroup %s", old_chat_id, new_chat_id)
    return Migration.MOVED


async def forget_if_removed(app: App, chat_id: int) -> bool:
    """The bot was removed from `chat_id`: if it was the stored office group, forget it, so
    the town office gets its messages privately again. True when it was forgotten."""
    async with app.uow() as uow:
        row = await _row_of_chat(uow, chat_id)
        if row is None:
            return False
        uow.audit(None, "telegram", "office_group", row.id, "removed", {"chat_id": chat_id})
        await uow.session.delete(row)
        await uow.commit()
    log.warning("the bot was removed from the town office group %s; forgotten", chat_id)
    return True


async def _row(uow: UnitOfWork, town_id: int | None) -> OfficeGroup | None:
    query = select(OfficeGroup).where(_office_is(town_id)).order_by(OfficeGroup.id).limit(1)
    return (await uow.session.execute(query)).scalar_one_or_none()


async def _row_of_chat(uow: UnitOfWork, chat_id: int) -> OfficeGroup | None:
    query = select(OfficeGroup).where(OfficeGroup.chat_id == chat_id).limit(1)
    return (await uow.session.execute(query)).scalar_one_or_none()


def _office_is(town_id: int | None) -> ColumnElement[bool]:
    if town_id is None:
        return OfficeGroup.town_id.is_(None)
    return OfficeGroup.town_id == town_id


async def _stored(uow: UnitOfWork, town_id: int | None) -> ResolvedGroup | None:
    query = (
        select(OfficeGroup, Person.name)
        .outerjoin(Person, Person.id == OfficeGroup.confirmed_by_id)
        .where(_office_is(town_id))
        .order_by(OfficeGroup.id)
        .limit(1)
    )
    found = (await uow.session.execute(query)).first()
    if found is None:
        return None
    row, name = found
    return ResolvedGroup(row.chat_id, Source.DATABASE, row.title, name, row.confirmed_at)


def describe(group: ResolvedGroup | None, tz: tzinfo, *, with_id: bool = False) -> str:
    """Which group is the office's and where that came from, in the reader's language (for
    `/office` and `bangfu doctor`). The chat id only `with_id`: it is for the IT person
    (`bangfu doctor`), and means nothing to the people in a chat."""
    if group is None:
        return _(
            "No town office group is set: alerts go to each town office person privately. "
            "To set one, a town office person adds me to the office's group and taps “Yes” "
            "under my question there."
        )
    if group.source == Source.SETTING:
        if not with_id:
            return _("Town office group: the one set by TOWN_OFFICE_CHAT_ID.")
        return _("Town office group: {chat_id}, set by TOWN_OFFICE_CHAT_ID.").format(
            chat_id=group.chat_id
        )
    confirmed = {
        "title": group.title,
        "name": group.confirmed_by or "?",
        "date": f"{group.confirmed_at.astimezone(tz):%Y-%m-%d}" if group.confirmed_at else "?",
    }
    if not with_id:
        return _(
            "Town office group: “{title}”, confirmed in the group by {name} on {date}."
        ).format(**confirmed)
    return _(
        "Town office group: “{title}” ({chat_id}), confirmed in the group by {name} on {date}."
    ).format(chat_id=group.chat_id, **confirmed)


def _shown_title(title: str) -> str:
    """The group's title as Telegram gave it, on one line, without characters no stored text
    may hold (a title is not typed into the bot, so it is cleaned rather than refused)."""
    kept = "".join(ch for ch in title if control_character(ch) is None)
    return " ".join(kept.split())[:TITLE_MAX_CHARS]
