"""The six forms (附件1–6): what they show, for the villages an actor may export. The
workbooks themselves are written by bot/documents/forms.py.

Who may export: the town office, every village, with full ID numbers (身份证号); a village
admin, their own village, with ID numbers masked; contact persons not at all.

Where the facts come from: the household row; its current contact person(s); its latest active
contact (摸底人/摸底日期 and the six guarantees as last found); for households that left the
monitoring list, their newest meeting record (`household_changes`: reason, meeting date);
the roster's 脱贫年度, 低保/特困/残疾 and 原识别时间; the active measures (拟帮扶措施).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import Row, and_, func, select

from bot.core.flags.measures import MeasureType
from bot.core.households.my_households import mask_id_number
from bot.core.policy import Actor, in_reach
from bot.core.reports.form_layout import (
    FORMS,
    LEFT_MONITORING,
    STATUS_CHANGE_KINDS,
    HouseholdFacts,
    StatusChange,
)
from bot.domain.model import ContactStatus, HouseholdStatus, Role
from bot.errors import NotAllowed, NotFound
from bot.i18n import N_, use_language
from bot.storage.models import (
    Assignment,
    AssistanceMeasure,
    Contact,
    Household,
    HouseholdChange,
    Person,
    Town,
    Village,
)
from bot.storage.uow import App, UnitOfWork

SURVEYED_FORMS = (3, 4)  # the 摸底表 show the latest contact


async def form_facts(
    app: App, actor: Actor, village: str | None = None, town_id: int | None = None
) -> tuple[dict[int, str], dict[int, list[HouseholdFacts]]]:
    """What the six forms show, for each village the actor may export (of one town, with
    `town_id`): the villages by id, and each village's households; ID numbers in full for
    the offices only."""
    async with app.uow() as uow:
        villages = await _villages_for(uow, actor, village, town_id)
        facts = await _household_facts(uow, villages, full_ids=actor.office)
    return villages, facts


async def exportable_villages(app: App, actor: Actor, town_id: int | None = None) -> dict[int, str]:
    """The villages whose forms the actor may export (of one town, with `town_id`), by id,
    in name order (to offer them)."""
    async with app.uow() as uow:
        return await _villages_for(uow, actor, None, town_id)


async def towns_of(app: App, village_ids: Collection[int]) -> dict[int, tuple[int, str]]:
    """Each village's town (id, name): 填报单位 is the town and the village."""
    async with app.uow() as uow:
        rows = await uow.session.execute(
            select(Village.id, Town.id, Town.name)
            .join(Town, Town.id == Village.town_id)
            .where(Village.id.in_(list(village_ids)))
        )
        return {village_id: (town_id, name) for village_id, town_id, name in rows.all()}


async def exportable_towns(app: App, actor: Actor) -> dict[int, str]:
    """The towns whose villages' forms the actor may export, by id, in name order."""
    async with app.uow() as uow:
        rows = await uow.session.execute(
            select(Town.id, Town.name)
            .where(Town.id.in_(select(Village.town_id).where(in_reach(actor, Village.id))))
            .order_by(Town.name)
        )
        return {town_id: name for town_id, name in rows.all()}


async def exportable_town_named(app: App, actor: Actor, name: str) -> int:
    """The id of the town called `name` whose forms the actor may export; NotFound (naming
    the towns the actor may export) otherwise."""
    towns = await exportable_towns(app, actor)
    found = [town_id for town_id, town in towns.items() if town == name.strip()]
    if not found:
        raise NotFound(
            N_("There is no town called {town}. Known towns: {known}."),
            town=name,
            known="、".join(towns.values()) or "-",
        )
    return found[0]


async def _villages_for(
    uow: UnitOfWork, actor: Actor, name: str | None, town_id: int | None = None
) -> dict[int, str]:
    """The villages to export, by id, in name order; refuses what the actor may not see."""
    if actor.role == Role.CONTACT or (
        actor.role == Role.VILLAGE_ADMIN and actor.village_id is None
    ):
        raise NotAllowed(N_("Only the town office and village admins can export the forms."))
    query = select(Village.id, Village.name).order_by(Village.name)
    if name is not None:
        query = query.where(Village.name == name.strip())
    elif actor.role == Role.VILLAGE_ADMIN:
        query = query.where(Village.id == actor.village_id)
    if actor.office:  # another town's village reads as no such village
        query = query.where(in_reach(actor, Village.id))
    if town_id is not None:
        query = query.where(Village.town_id == town_id)
    villages = {row.id: row.name for row in await uow.session.execute(query)}
    if name is not None and not villages:
        raise NotFound(N_("There is no village called {village}."), village=name)
    if actor.role == Role.VILLAGE_ADMIN and set(villages) != {actor.village_id}:
        raise NotAllowed(N_("You can only export the forms of your own village."))
    return villages


async def _household_facts(
    uow: UnitOfWork, villages: Collection[int], full_ids: bool
) -> dict[int, list[HouseholdFacts]]:
    """village → its households with what the forms show, in a few queries."""
    in_villages = Household.village_id.in_(villages)
    columns = (
        Household.id,
        Household.village_id,
        Household.number,
        Household.group_name,
        Household.head_name,
        Household.id_number,
        Household.phone,
        Household.members,
        Household.category,
        Household.status,
        Household.income,
        Household.income_measured_on,
        Household.risk_types,
        Household.exit_year,
        Household.social_support,
        Household.identified_on,
    )
    rows = (await uow.session.execute(select(*columns).where(in_villages))).all()
    contacts_now = await _current_contact_persons(uow, in_villages)
    surveyed = await _latest_contacts(uow, in_villages)
    planned = await _planned_measures(uow, in_villages)
    left = [h.id for h in rows if h.status in LEFT_MONITORING]
    changes = await _status_changes(uow, left)
    facts: dict[int, list[HouseholdFacts]] = defaultdict(list)
    for household in rows:
        names, phones = contacts_now.get(household.id, (None, None))
        last = surveyed.get(household.id)
        facts[household.village_id].append(
            HouseholdFacts(
                number=household.number,
                group=household.group_name,
                head_name=household.head_name,
                id_number=household.id_number if full_ids else mask_id_number(household.id_number),
                phone=household.phone,
                members=household.members,
                category=household.category,
                status=household.status,
                income=household.income,
                income_measured_on=household.income_measured_on,
                risk_types=list(household.risk_types or []),
                exit_year=household.exit_year,
                social_support=household.social_support,
                identified_on=household.identified_on,
                planned_measures=planned.get(household.id),
                contact_names=names,
                contact_phones=phones,
                last_contact_on=last.occurred_on if last else None,
                last_contact_by=last.name if last else None,
                last_problems=list(last.problems or []) if last else None,
                change=_status_change(household.status, changes.get(household.id)),
            )
        )
    return facts


async def _current_contact_persons(
    uow: UnitOfWork, in_villages: Any
) -> dict[int, tuple[str, str | None]]:
    query = (
        select(Assignment.household_id, Person.name, Person.phone)
        .join(Person, Person.id == Assignment.person_id)
        .join(Household, Household.id == Assignment.household_id)
        .where(in_villages, Assignment.ended_at.is_(None))
        .order_by(Assignment.household_id, Assignment.started_at)
    )
    people: dict[int, list[Row[Any]]] = defaultdict(list)
    for found in await uow.session.execute(query):
        people[found.household_id].append(found)
    return {
        household_id: (
            "、".join(p.name for p in persons),
            "、".join(p.phone for p in persons if p.phone) or None,
        )
        for household_id, persons in people.items()
    }


async def _latest_contacts(uow: UnitOfWork, in_villages: Any) -> dict[int, Row[Any]]:
    """Each monitored household's latest active contact (the newest entry on its last day)."""
    surveyed = and_(
        in_villages,
        Household.status == HouseholdStatus.MONITORED,
        Household.category.in_([form.category for form in FORMS if form.number in SURVEYED_FORMS]),
    )
    active = Contact.status == ContactStatus.ACTIVE
    last_day = (
        select(Contact.household_id, func.max(Contact.occurred_on).label("day"))
        .join(Household, Household.id == Contact.household_id)
        .where(surveyed, active)
        .group_by(Contact.household_id)
        .subquery()
    )
    query = (
        select(Contact.household_id, Contact.occurred_on, Contact.problems, Person.name)
        .join(
            last_day,
            and_(
                last_day.c.household_id == Contact.household_id,
                last_day.c.day == Contact.occurred_on,
            ),
        )
        .join(Person, Person.id == Contact.person_id)
        .where(active)
        .order_by(Contact.id)
    )
    return {found.household_id: found for found in await uow.session.execute(query)}


async def _planned_measures(uow: UnitOfWork, in_villages: Any) -> dict[int, str]:
    """household → its assistance plan's active measures (一户一方案), as 拟帮扶措施: "农村低保：
    每月300元；危房改造：C级危房加固", in the order they were added. The forms are Chinese
    documents, whatever language the exporting person reads."""
    query = (
        select(AssistanceMeasure.household_id, AssistanceMeasure.kind, AssistanceMeasure.what)
        .join(Household, Household.id == AssistanceMeasure.household_id)
        .where(in_villages, AssistanceMeasure.status == "active")
        .order_by(AssistanceMeasure.created_at, AssistanceMeasure.id)
    )
    measures: dict[int, list[str]] = defaultdict(list)
    with use_language("zh"):
        for found in await uow.session.execute(query):
            measures[found.household_id].append(f"{MeasureType(found.kind).label}：{found.what}")
    return {household_id: "；".join(listed) for household_id, listed in measures.items()}


async def _status_changes(uow: UnitOfWork, household_ids: list[int]) -> dict[int, HouseholdChange]:
    """household → its newest meeting record (会议记录) that took it off the monitoring list."""
    if not household_ids:
        return {}
    query = (
        select(HouseholdChange)
        .where(
            HouseholdChange.household_id.in_(household_ids),
            HouseholdChange.kind == "adjusted_out",
        )
        .order_by(HouseholdChange.at, HouseholdChange.id)
    )
    return {change.household_id: change for change in (await uow.session.scalars(query))}


def _status_change(status: str, record: HouseholdChange | None) -> StatusChange | None:
    """调整类型, 调整原因 and 会议记录日期 of a household that left monitoring."""
    if status not in LEFT_MONITORING:
        return None
    kind = STATUS_CHANGE_KINDS[HouseholdStatus(status)]
    if record is None:
        return StatusChange(kind=kind)
    return StatusChange(kind=kind, reason=record.reason, meeting_date=record.meeting_on.isoformat())
