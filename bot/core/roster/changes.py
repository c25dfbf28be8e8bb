"""Roster changes between imports (动态调整), all by the town office and all audited.

Changes decided at a meeting carry its record (会议记录: meeting date and reason) in
`household_changes`, where the forms' 调整类型 / 调整原因 / 会议记录日期 come from:
a newly found household (新增), a category change, a household adjusted out (动态调整掉).
Reassigning a household and deactivating a contact person are day-to-day work: audited only.
A deactivated person's households stay unassigned, and are listed, until reassigned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import exists, func, select

from bot.config import Settings
from bot.core.free_text import required_text
from bot.core.households.my_households import household_name
from bot.core.onboarding.invites import withdraw_invites
from bot.core.policy import (
    Act,
    Actor,
    in_reach,
    reachable_person,
    require,
    visible_households,
)
from bot.core.roster.assignments import (
    contact_person_ids,
    contact_persons_of,
    end_assignments,
    start_assignments,
)
from bot.core.roster.columns import RawRow
from bot.core.roster.contact_persons import contact_persons_for
from bot.core.roster.people import people_called
from bot.core.roster.rows import RosterRow, check_rows
from bot.core.signin.sessions import end_sessions_of
from bot.domain.model import Category, HouseholdStatus, Role
from bot.errors import Conflict, InvalidInput, NotFound
from bot.i18n import N_, join_list
from bot.storage.models import Assignment, Household, HouseholdChange, Person, Village
from bot.storage.uow import App, UnitOfWork

ASSIGNABLE_ROLES = (Role.CONTACT, Role.VILLAGE_ADMIN)


class ChangeKind(StrEnum):
    ADDED = "added"  # 新增
    CATEGORY = "category"  # 类别调整, e.g. 转为脱贫监测
    ADJUSTED_OUT = "adjusted_out"  # 动态调整掉 (风险消除, 自然减少 …: the reason says which)


@dataclass(frozen=True)
class MeetingRecord:
    """会议记录: when the village committee and work team decided, and why."""

    meeting_on: date
    reason: str


@dataclass(frozen=True)
class Assignable:
    person_id: int
    name: str
    households: int  # how many they hold now


@dataclass(frozen=True)
class Reassignment:
    """What a reassignment screen names: the household, the one chosen (None while choosing)
    and who holds it now (names; empty when nobody does)."""

    household: str  # 河口村 张桂英（一组）
    person: Person | None
    current: list[str]


def town_office_only(actor: Actor) -> None:
    """Roster changes are the town office's: every step of one (its buttons, its cancel)
    asks here first, so nobody else's press can even touch the message it was on."""
    require(actor, Act.CHANGE_ROSTER)


def meeting_reason(settings: Settings, reason: str | None) -> str:
    """The reason the meeting record gives: required, at most `note_max_chars` characters."""
    return required_text(
        reason, settings.note_max_chars, N_("Please give the reason for the change.")
    )


def meeting_record(app: App, meeting_on: date | None, reason: str | None) -> MeetingRecord:
    """A meeting record: both required, and the meeting not in the future."""
    reason = meeting_reason(app.settings, reason)
    if meeting_on is None:
        raise InvalidInput(N_("Please give the date of the meeting that decided it."))
    if meeting_on > app.clock.today():
        raise InvalidInput(N_("The meeting date {day} is in the future."), day=meeting_on)
    return MeetingRecord(meeting_on, reason)


def _record(
    uow: UnitOfWork,
    actor: Actor,
    household: Household,
    kind: ChangeKind,
    old: str | None,
    new: str | None,
    meeting: MeetingRecord,
) -> None:
    uow.session.add(
        HouseholdChange(
            household_id=household.id,
            kind=kind,
            old_value=old,
            new_value=new,
            reason=meeting.reason,
            meeting_on=meeting.meeting_on,
            actor_id=actor.person_id,
            actor_label=actor.label,
            at=uow.clock.now(),
        )
    )
    uow.audit_by(
        actor,
        "household",
        household.id,
        str(kind),
        {
            "before": old,
            "after": new,
            "reason": meeting.reason,
            "meeting_on": meeting.meeting_on.isoformat(),
        },
    )


async def _household(uow: UnitOfWork, actor: Actor, household_id: int) -> Household:
    """The household, if in the actor's town (another town's reads as not there)."""
    query = visible_households(actor).where(Household.id == household_id)
    household = (await uow.session.execute(query)).scalar_one_or_none()
    if household is None:
        raise NotFound(N_("That household does not exist."))
    return household


async def household_by_number(app: App, actor: Actor, number: str) -> Household:
    async with app.uow() as uow:
        query = visible_households(actor).where(Household.number == number.strip())
        household = (await uow.session.execute(query)).scalar_one_or_none()
    if household is None:
        raise NotFound(N_("No household has the number {number}."), number=number)
    return household


async def change_category(
    app: App, actor: Actor, household_id: int, category: Category, meeting: MeetingRecord
) -> Household:
    town_office_only(actor)
    async with app.uow() as uow:
        household = await _household(uow, actor, household_id)
        if household.category == category:
            raise Conflict(N_("The household is already in that category."))
        old = household.category
        household.category = category
        household.updated_at = uow.clock.now()
        _record(uow, actor, household, ChangeKind.CATEGORY, old, str(category), meeting)
        await uow.commit()
        return household


async def adjust_out(
    app: App, actor: Actor, household_id: int, meeting: MeetingRecord
) -> Household:
    """动态调整掉: off the monitoring list, kept on record; its contact person is released."""
    town_office_only(actor)
    async with app.uow() as uow:
        household = await _household(uow, actor, household_id)
        if household.status != HouseholdStatus.MONITORED:
            raise Conflict(N_("This household is no longer on the monitoring list."))
        household.status = HouseholdStatus.ADJUSTED_OUT
        household.updated_at = uow.clock.now()
        await end_assignments(uow, actor, Assignment.household_id == household.id)
        old, new = HouseholdStatus.MONITORED.value, HouseholdStatus.ADJUSTED_OUT.value
        _record(uow, actor, household, ChangeKind.ADJUSTED_OUT, old, new, meeting)
        await uow.commit()
        return household


def check_new_household(cells: dict[str, object], today: date) -> RosterRow:
    """The roster's own row checks on one typed household; RosterRejected lists every problem."""
    return check_rows([RawRow(number=1, cells=cells)], today)[0]


async def add_household(
    app: App, actor: Actor, cells: dict[str, object], meeting: MeetingRecord
) -> Household:
    """A newly found household (新发现), given by the roster's columns and checked by the
    roster's own row checks (RosterRejected lists every problem). Its village must exist."""
    town_office_only(actor)
    row = check_new_household(cells, app.clock.today())
    async with app.uow() as uow:
        village = (
            await uow.session.execute(
                select(Village).where(Village.name == row.village, in_reach(actor, Village.id))
            )
        ).scalar_one_or_none()
        if village is None:
            raise NotFound(N_("There is no village called {name}."), name=row.village)
        clash = (
            await uow.session.execute(
                select(Household.number, Household.head_name).where(
                    (Household.number == row.number) | (Household.id_number == row.id_number)
                )
            )
        ).first()
        if clash is not None:
            raise Conflict(
                N_("Household {number} ({name}) already has this number or ID number."),
                number=clash.number,
                name=clash.head_name,
            )
        people = await contact_persons_for(uow, actor, [row], {village.name: village})
        now = uow.clock.now()
        fields = row.household_fields()
        household = Household(
            number=row.number,
            village_id=village.id,
            status=HouseholdStatus.MONITORED,
            income_measured_on=uow.clock.today() if row.income is not None else None,
            created_at=now,
            updated_at=now,
            **fields,
        )
        await uow.add_audited(
            actor,
            household,
            "household",
            {"number": row.number, "village": village.name, **_jsonable(fields)},
        )
        await start_assignments(uow, actor, [(household.id, people.for_row(row).id)])
        _record(uow, actor, household, ChangeKind.ADDED, None, str(row.category), meeting)
        await uow.commit()
        return household


def _jsonable(fields: dict[str, Any]) -> dict[str, Any]:
    return {key: value if value is None else str(value) for key, value in fields.items()}


async def check_reassignment(
    app: App, actor: Actor, household_id: int, person_id: int
) -> Reassignment:
    """What `reassign` would check, before its confirm screen is shown."""
    async with app.uow() as uow:
        household, person = await _reassignment(uow, actor, household_id, person_id)
        return await _described(uow, household, person)


async def reassignment_of(app: App, actor: Actor, household_id: int) -> Reassignment:
    """The household about to get a new contact person, and who holds it now."""
    town_office_only(actor)
    async with app.uow() as uow:
        return await _described(uow, await _household(uow, actor, household_id), None)


async def _described(uow: UnitOfWork, household: Household, person: Person | None) -> Reassignment:
    current = [name for _id, name in await contact_persons_of(uow, household.id)]
    village = await uow.session.get(Village, household.village_id)
    label = household_name(household)
    return Reassignment(f"{village.name} {label}" if village else label, person, current)


async def reassign(app: App, actor: Actor, household_id: int, person_id: int) -> Person:
    """The household's contact person becomes `person_id`; the current assignment ends."""
    async with app.uow() as uow:
        household, person = await _reassignment(uow, actor, household_id, person_id)
        await end_assignments(uow, actor, Assignment.household_id == household.id)
        await start_assignments(uow, actor, [(household.id, person.id)])
        await uow.commit()
        return person


async def _reassignment(
    uow: UnitOfWork, actor: Actor, household_id: int, person_id: int
) -> tuple[Household, Person]:
    town_office_only(actor)
    household = await _household(uow, actor, household_id)
    if household.status != HouseholdStatus.MONITORED:
        raise Conflict(N_("This household is no longer on the monitoring list."))
    person = await reachable_person(uow, actor, person_id)
    if person is None or not person.active or person.role not in ASSIGNABLE_ROLES:
        raise InvalidInput(N_("Choose an active contact person."))
    if await contact_person_ids(uow, household.id) == [person.id]:
        raise Conflict(N_("{name} is already this household's contact person."), name=person.name)
    return household, person


async def find_person(app: App, actor: Actor, name: str, phone: str | None = None) -> Person:
    """The one active person by this name (and phone, to tell namesakes apart) in the
    actor's reach."""
    async with app.uow() as uow:
        people = await people_called(uow, name, phone or None, active_only=True, reach=actor)
    if not people:
        raise NotFound(N_("No active person is called {name}."), name=name)
    if len(people) > 1:
        raise Conflict(
            N_("Several people are called {name} ({phones}); give the phone too."),
            name=name,
            phones=join_list(person.phone or "—" for person in people),
        )
    return people[0]


async def deactivate_person(app: App, actor: Actor, person_id: int) -> list[Household]:
    """The person can no longer use the bot, nor any link they were sent before; their
    households become unassigned (returned)."""
    town_office_only(actor)
    async with app.uow() as uow:
        person = await reachable_person(uow, actor, person_id)
        if person is None:
            raise NotFound(N_("That person does not exist."))
        if not person.active:
            raise Conflict(N_("{name} is already deactivated."), name=person.name)
        person.active = False
        uow.audit_by(actor, "person", person.id, "deactivate", {"active": False})
        await withdraw_invites(uow, person.id)
        await end_sessions_of(uow, person.id)  # signed in to the dashboard: out at once
        ended = await end_assignments(uow, actor, Assignment.person_id == person.id)
        await uow.commit()
        if not ended:
            return []
        found = await uow.session.execute(
            select(Household).where(Household.id.in_(ended)).order_by(Household.head_name)
        )
        return list(found.scalars())


async def unassigned_households(app: App, actor: Actor) -> list[Household]:
    """Monitored households without a contact person, by village and name (town office)."""
    town_office_only(actor)
    current = exists().where(Assignment.household_id == Household.id, Assignment.ended_at.is_(None))
    async with app.uow() as uow:
        found = await uow.session.execute(
            select(Household)
            .join(Village, Village.id == Household.village_id)
            .where(
                Household.status == HouseholdStatus.MONITORED,
                ~current,
                in_reach(actor, Household.village_id),
            )
            .order_by(Village.name, Household.head_name, Household.id)
        )
        return list(found.scalars())


async def assignable_people(app: App, actor: Actor, household_id: int) -> list[Assignable]:
    """The active contact persons and admins of the household's village, with their loads."""
    town_office_only(actor)
    load = (
        select(func.count(Assignment.id))
        .where(Assignment.person_id == Person.id, Assignment.ended_at.is_(None))
        .scalar_subquery()
    )
    async with app.uow() as uow:
        household = await _household(uow, actor, household_id)
        rows = await uow.session.execute(
            select(Person.id, Person.name, load)
            .where(
                Person.village_id == household.village_id,
                Person.active.is_(True),
                Person.role.in_(ASSIGNABLE_ROLES),
            )
            .order_by(Person.name, Person.id)
        )
        return [Assignable(pid, name, count) for pid, name, count in rows.all()]
