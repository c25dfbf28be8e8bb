"""A contact person's households: the paged list with this month's status, search, the card.

Reading goes through bot.core.policy: the list and search cover only the actor's own
assigned households; the card follows the role rules (own / village / town).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from sqlalchemy import Date, Integer, Select, bindparam, exists, or_, select

from bot.clock import Month
from bot.core.coverage.progress import contacted_between, contacted_in
from bot.core.flags.raising import open_flags
from bot.core.households.ordering import household_key
from bot.core.paging import page_of
from bot.core.policy import Actor, assigned_to, readable_household
from bot.core.roster.assignments import contact_persons_of
from bot.domain.model import (
    OPEN_FLAG_STATUSES,
    Category,
    ContactChannel,
    ContactStatus,
    FlagStatus,
    Guarantee,
    HouseholdStatus,
)
from bot.storage.core_statements import as_core
from bot.storage.models import Contact, Household, RedFlag, Village
from bot.storage.quick_reads import QuickRead
from bot.storage.uow import App, UnitOfWork

RECENT_CONTACTS = 3
CARD_FLAGS = 5  # a card must stay far below Telegram's 4,096 characters; the rest are counted


@dataclass(frozen=True)
class HouseholdLine:
    """One household as a line of a list: who, where, and this month's status."""

    household_id: int
    number: str  # 户编号
    head_name: str
    group_name: str
    village_name: str
    contacted: bool  # an active contact dated this month
    flagged: bool  # an open red flag

    @property
    def status_marks(self) -> str:
        return ("✅" if self.contacted else "⏳") + ("🚩" if self.flagged else "")


@dataclass(frozen=True)
class HouseholdPage:
    lines: list[HouseholdLine]
    page: int  # 0-based, already clamped to the pages that exist
    pages: int
    total: int
    search: str | None

    @property
    def has_previous(self) -> bool:
        return self.page > 0

    @property
    def has_next(self) -> bool:
        return self.page + 1 < self.pages


@dataclass(frozen=True)
class ContactSummary:
    occurred_on: date
    channel: ContactChannel
    problems: list[Guarantee]


@dataclass(frozen=True)
class FlagSummary:
    flag_id: int
    raised_on: date  # local day
    reason: str
    status: FlagStatus


@dataclass(frozen=True)
class HouseholdCard:
    household_id: int
    number: str
    head_name: str
    village_name: str
    group_name: str
    category: Category
    status: HouseholdStatus
    members: int
    income: Decimal | None
    income_measured_on: date | None
    masked_id_number: str
    phone: str | None
    contact_persons: list[str]
    contacted_this_month: bool
    recent_contacts: list[ContactSummary]
    open_flags: list[FlagSummary]  # the first CARD_FLAGS
    more_open_flags: int  # open flags not listed
    actor_is_contact_person: bool  # only the assigned contact person logs contacts


class NamedHousehold(Protocol):
    head_name: str
    group_name: str


def household_name(household: NamedHousehold) -> str:
    """How people name a household: the head's name, then the group: 张桂英（3组）."""
    if not household.group_name:
        return household.head_name
    return f"{household.head_name}（{household.group_name}）"


def mask_id_number(id_number: str) -> str:
    """身份证号 as people may see it: the first 4 and last 4 characters, the rest starred."""
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]


def _has_open_flag():  # type: ignore[no-untyped-def]
    # `status = … OR status = …`, not `IN (…)`: SQLAlchemy expands an IN list again at every
    # execution of a statement built once (its "post-compile" step, ~0.1 ms a press).
    return exists().where(
        RedFlag.household_id == Household.id,
        or_(*(RedFlag.status == status for status in OPEN_FLAG_STATUSES)),
    )


def _own_monitored_statement() -> Select[Any]:
    """The list's columns only (no ORM objects: a list is read at every menu press), built
    once with the person and the month as parameters, so SQLAlchemy neither builds it nor
    works out its cache key again at every press."""
    return (
        select(
            Household.id,
            Household.number,
            Household.head_name,
            Household.group_name,
            Village.name.label("village_name"),
            contacted_between(
                bindparam("first_day", type_=Date), bindparam("last_day", type_=Date)
            ).label("contacted"),
            _has_open_flag().label("flagged"),
        )
        .join(Village, Village.id == Household.village_id)
        .where(
            Household.id.in_(assigned_to(bindparam("person_id", type_=Integer))),
            Household.status == HouseholdStatus.MONITORED,
        )
    )


OWN_MONITORED = _own_monitored_statement()
OWN_MONITORED_CORE = as_core(OWN_MONITORED)


def _own_monitored(search: str | None) -> Select[Any]:
    """The actor's own monitored households; `search` narrows them."""
    if not search:
        return OWN_MONITORED_CORE
    return OWN_MONITORED.where(
        or_(
            Household.head_name.icontains(search, autoescape=True),
            Household.number.endswith(search, autoescape=True),
        )
    )


class _Listed(NamedTuple):
    """A row of the list's statement, as a plain tuple: sorting 40 rows reads each field
    several times, and a SQLAlchemy row's fields by name cost ~6x a tuple's."""

    id: int
    number: str
    head_name: str
    group_name: str
    village_name: str
    contacted: bool
    flagged: bool


QUICK_OWN_MONITORED = QuickRead(OWN_MONITORED_CORE, _Listed)  # what a menu press runs


def _list_order(row: _Listed) -> tuple[bool, bool, tuple[int, str, str, str], int]:
    return (bool(row.contacted), not row.flagged, household_key(row), row.id)


def _line(household: Household, contacted: bool, flagged: bool) -> HouseholdLine:
    return HouseholdLine(
        household_id=household.id,
        number=household.number,
        head_name=household.head_name,
        group_name=household.group_name,
        village_name=household.village.name,
        contacted=bool(contacted),
        flagged=bool(flagged),
    )


async def list_households(
    app: App, actor: Actor, page: int = 0, search: str | None = None
) -> HouseholdPage:
    """The actor's own monitored households: not yet contacted this month first, then those
    with an open red flag, then by group (组) and the pinyin of the head's name. `search`
    narrows to heads whose name contains it or whose 户编号 ends with it."""
    search = (search or "").strip() or None
    month = app.clock.this_month()
    parameters = {
        "person_id": actor.person_id or -1,
        "first_day": month.first_day,
        "last_day": month.last_day,
    }
    if search:
        async with app.reading() as connection:  # one statement that reads: no session
            result = await connection.execute(_own_monitored(search), parameters)
            rows = sorted(map(_Listed._make, result), key=_list_order)
    else:
        rows = sorted(await QUICK_OWN_MONITORED.rows(app.reader, parameters), key=_list_order)
    found = page_of(rows, page, app.settings.households_page_size)
    lines = [
        HouseholdLine(
            household_id=row.id,
            number=row.number,
            head_name=row.head_name,
            group_name=row.group_name,
            village_name=row.village_name,
            contacted=bool(row.contacted),
            flagged=bool(row.flagged),
        )
        for row in found.items
    ]
    return HouseholdPage(
        lines=lines, page=found.page, pages=found.pages, total=found.total, search=search
    )


async def household_line(app: App, actor: Actor, household_id: int) -> HouseholdLine:
    """One household the actor may read, as a list line (NotAllowed otherwise)."""
    async with app.uow() as uow:
        household = await readable_household(uow, actor, household_id)
        month = uow.clock.this_month()
        return _line(
            household,
            await _contacted(uow, household.id, month),
            bool(await open_flags(uow, household.id)),
        )


async def _contacted(uow: UnitOfWork, household_id: int, month: Month) -> bool:
    query = select(contacted_in(month)).where(Household.id == household_id)
    return bool((await uow.session.execute(query)).scalar())


async def household_card(app: App, actor: Actor, household_id: int) -> HouseholdCard:
    """Everything a contact person needs before a visit. The ID number is masked."""
    async with app.uow() as uow:
        household = await readable_household(uow, actor, household_id)
        return await card_of(uow, actor, household)


async def card_of(uow: UnitOfWork, actor: Actor, household: Household) -> HouseholdCard:
    """The card of a household the caller has read through the policy, in its unit of work."""
    people = await contact_persons_of(uow, household.id)
    contacts = (
        await uow.session.execute(
            select(Contact)
            .where(
                Contact.household_id == household.id,
                Contact.status == ContactStatus.ACTIVE,
            )
            .order_by(Contact.occurred_on.desc(), Contact.entered_at.desc())
            .limit(RECENT_CONTACTS)
        )
    ).scalars()
    flags = await open_flags(uow, household.id)
    return HouseholdCard(
        household_id=household.id,
        number=household.number,
        head_name=household.head_name,
        village_name=household.village.name,
        group_name=household.group_name,
        category=Category(household.category),
        status=HouseholdStatus(household.status),
        members=household.members,
        income=household.income,
        income_measured_on=household.income_measured_on,
        masked_id_number=mask_id_number(household.id_number),
        phone=household.phone,
        contact_persons=[name for _id, name in people],
        contacted_this_month=await _contacted(uow, household.id, uow.clock.this_month()),
        recent_contacts=[
            ContactSummary(
                occurred_on=contact.occurred_on,
                channel=ContactChannel(contact.channel),
                problems=[Guarantee(key) for key in contact.problems],
            )
            for contact in contacts
        ],
        open_flags=[
            FlagSummary(
                flag_id=flag.id,
                raised_on=uow.clock.local_date(flag.raised_at),
                reason=flag.reason,
                status=FlagStatus(flag.status),
            )
            for flag in flags[:CARD_FLAGS]
        ],
        more_open_flags=max(0, len(flags) - CARD_FLAGS),
        actor_is_contact_person=any(pid == actor.person_id for pid, _name in people),
    )
