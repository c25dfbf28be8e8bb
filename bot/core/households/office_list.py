"""The office's household list (农户查询): search and filters over every household the actor
may read (the town office: all; a village admin: their village), for the dashboard.

Search: a head's name containing the text (1–2 characters are enough), a 户编号 ending with
it, or a 身份证号 ending with it (4 characters or more: the tail people read off a card).
Filters: village, group (组), category, status, contacted in the month or not (counted as the
coverage counts: monitored households assigned during the month), an open red flag, no
contact person now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, or_, select

from bot.clock import Month
from bot.core.coverage.progress import contacted_in
from bot.core.households.my_households import mask_id_number
from bot.core.households.ordering import group_number, household_key
from bot.core.paging import page_of
from bot.core.policy import Act, Actor, require, visible_households
from bot.domain.model import OPEN_FLAG_STATUSES, HouseholdStatus
from bot.storage.models import Assignment, Household, Person, RedFlag, Village
from bot.storage.uow import App

PAGE_SIZE = 50
ID_TAIL_MIN = 4


@dataclass(frozen=True)
class HouseholdFilter:
    text: str = ""
    village_id: int | None = None
    group: str = ""
    category: str = ""
    status: str = HouseholdStatus.MONITORED  # "" for any
    contacted: bool | None = None  # in `month`
    flagged: bool | None = None  # an open red flag now
    unassigned: bool = False  # no contact person now


@dataclass(frozen=True)
class OfficeHouseholdLine:
    household_id: int
    number: str
    head_name: str
    village: str
    group: str
    category: str
    status: str
    masked_id_number: str
    contact_persons: list[str]
    contacted: bool
    flagged: bool


@dataclass(frozen=True)
class OfficeHouseholdList:
    lines: list[OfficeHouseholdLine]
    page: int
    pages: int
    total: int
    villages: dict[int, str]  # the villages the actor may filter by
    groups: list[str]


def _has_open_flag():  # type: ignore[no-untyped-def]
    return exists().where(
        RedFlag.household_id == Household.id, RedFlag.status.in_(OPEN_FLAG_STATUSES)
    )


def _assigned_during(start: datetime, end: datetime):  # type: ignore[no-untyped-def]
    return exists().where(
        Assignment.household_id == Household.id,
        Assignment.started_at < end,
        or_(Assignment.ended_at.is_(None), Assignment.ended_at > start),
    )


def _assigned_now():  # type: ignore[no-untyped-def]
    return exists().where(Assignment.household_id == Household.id, Assignment.ended_at.is_(None))


def _search(text: str):  # type: ignore[no-untyped-def]
    matches = [
        Household.head_name.icontains(text, autoescape=True),
        Household.number.endswith(text, autoescape=True),
    ]
    if len(text) >= ID_TAIL_MIN:
        matches.append(Household.id_number.endswith(text.upper(), autoescape=True))
    return or_(*matches)


async def office_households(
    app: App, actor: Actor, wanted: HouseholdFilter, month: Month, page: int = 0
) -> OfficeHouseholdList:
    """One page of the households the actor may read that fit `wanted`, in register order
    (village, group, pinyin of the head's name)."""
    require(actor, Act.USE_DASHBOARD)
    start, end = month.utc_bounds(app.settings.tz)
    query = visible_households(actor).add_columns(
        contacted_in(month).label("contacted"), _has_open_flag().label("flagged")
    )
    text = wanted.text.strip()
    if text:
        query = query.where(_search(text))
    if wanted.village_id is not None:
        query = query.where(Household.village_id == wanted.village_id)
    if wanted.group:
        query = query.where(Household.group_name == wanted.group)
    if wanted.category:
        query = query.where(Household.category == wanted.category)
    if wanted.status:
        query = query.where(Household.status == wanted.status)
    if wanted.contacted is not None:
        counted = and_(
            Household.status == HouseholdStatus.MONITORED,
            Household.created_at < end,
            _assigned_during(start, end),
        )
        seen = contacted_in(month)
        query = query.where(counted, seen if wanted.contacted else ~seen)
    if wanted.flagged is not None:
        query = query.where(_has_open_flag() if wanted.flagged else ~_has_open_flag())
    if wanted.unassigned:
        query = query.where(~_assigned_now())
    async with app.uow() as uow:
        rows = (await uow.session.execute(query)).all()
        rows.sort(key=lambda row: (row[0].village.name, household_key(row[0]), row[0].id))
        found = page_of(rows, page, PAGE_SIZE)
        ids = [row[0].id for row in found.items]
        people = (
            await uow.session.execute(
                select(Assignment.household_id, Person.name)
                .join(Person, Person.id == Assignment.person_id)
                .where(Assignment.household_id.in_(ids), Assignment.ended_at.is_(None))
                .order_by(Person.name)
            )
        ).all()
        scope = visible_households(actor).subquery()
        villages = dict(
            (
                await uow.session.execute(
                    select(Village.id, Village.name)
                    .where(Village.id.in_(select(scope.c.village_id)))
                    .order_by(Village.name)
                )
            ).all()
        )
        groups = sorted(
            (await uow.session.execute(select(scope.c.group_name).distinct())).scalars(),
            key=lambda name: (group_number(name), name),
        )
    names: dict[int, list[str]] = {}
    for household_id, name in people:
        names.setdefault(household_id, []).append(name)
    lines = [
        OfficeHouseholdLine(
            household_id=household.id,
            number=household.number,
            head_name=household.head_name,
            village=household.village.name,
            group=household.group_name,
            category=household.category,
            status=household.status,
            masked_id_number=mask_id_number(household.id_number),
            contact_persons=names.get(household.id, []),
            contacted=bool(contacted),
            flagged=bool(flagged),
        )
        for household, contacted, flagged in found.items
    ]
    return OfficeHouseholdList(lines, found.page, found.pages, found.total, villages, groups)
