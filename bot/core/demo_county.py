"""A demo county (示范县) to try one installation for a whole county: 20 towns, 250
villages, 50,000 households, 1,500 contact persons, a town office person for each town and
a county office person, last month's contacts (most households; a few towns behind) and
this month's so far, so the towns compared and each town's summary have a month to show.

Unlike the demo town (`demo.py`, which goes through the real roster import), the county is
written in bulk (multi-row INSERTs, a few thousand rows a statement): fast enough to try
the scale on a laptop. Its rows are the same kinds the import writes, minus the audit trail
of each row (one audit entry records the demo county). A fixed seed: every demo county is the
same county.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text, update

from bot.core.demo import (
    CATEGORY_MIX,
    CHANNEL_WEIGHTS,
    COUNTY_CODE,
    FEMALE_NAMES,
    INCOME_RANGE,
    MALE_NAMES,
    SURNAMES,
)
from bot.core.policy import CLI_OPERATOR
from bot.core.reports.summaries import keep_for_sending
from bot.domain.model import HouseholdStatus, Role
from bot.domain.validation import id_check_character
from bot.errors import Conflict
from bot.i18n import N_
from bot.storage.models import (
    FIRST_TOWN_ID,
    Assignment,
    Contact,
    Household,
    Person,
    Town,
    Village,
)
from bot.storage.uow import App, UnitOfWork

SEED = 20200321
BATCH = 2_000  # rows per INSERT statement
COUNTY_OFFICE_NAME = "县乡村振兴局郑科长"
# 霍山县's towns first; the rest are made-up names in the same style.
TOWN_NAMES = (
    "佛子岭镇",
    "诸佛庵镇",
    "落儿岭镇",
    "下符桥镇",
    "但家庙镇",
    "与儿街镇",
    "大化坪镇",
    "漫水河镇",
    "上土市镇",
    "单龙寺镇",
    "磨子潭镇",
    "黑石渡镇",
    "衡山镇",
    "东西溪乡",
    "太阳乡",
    "太平畈乡",
    "舞旗河镇",
    "青枫岭镇",
    "白莲崖镇",
    "桃源河镇",
)
VILLAGE_FIRST = "东西南北上下前后大小新老黄白青石桃柳杨梅竹松"
VILLAGE_SECOND = "河山岭冲湾畈桥岗湖店塘坪"


@dataclass(frozen=True)
class CountySize:
    """The county: a town has 12 or 13 villages, 200 households each, 6 contact persons per
    village (tests ask for a smaller one)."""

    towns: int = 20
    villages: int = 250
    households: int = 50_000
    contact_persons: int = 1_500

    @property
    def households_per_village(self) -> int:
        return self.households // self.villages

    @property
    def contacts_per_village(self) -> int:
        return self.contact_persons // self.villages


@dataclass(frozen=True)
class DemoCounty:
    towns: int
    villages: int
    households: int
    contact_persons: int
    contacts_last_month: int
    contacts_this_month: int
    office_people: tuple[str, ...]  # a town office person per town, then the county's


async def fill_demo_county(app: App, size: CountySize = CountySize()) -> DemoCounty:
    """Fill an empty database with the demo county; refused when households exist already."""
    if size.towns > len(TOWN_NAMES) or size.villages > len(VILLAGE_FIRST) * len(VILLAGE_SECOND):
        raise ValueError(f"the demo county has names for at most {len(TOWN_NAMES)} towns")
    async with app.uow() as uow:
        existing = (await uow.session.execute(select(func.count(Household.id)))).scalar_one()
        if existing:
            raise Conflict(
                N_(
                    "The database already has {count} households. Demo data is only added to "
                    "an empty database, so nothing was changed."
                ),
                count=existing,
            )
        rng = random.Random(SEED)
        town_ids = await _towns(uow, size)
        villages = await _villages(uow, town_ids, size)
        people = await _people(uow, rng, villages, size)
        office = await _offices(uow, town_ids)
        households = await _households(uow, rng, villages, size)
        await _assign(uow, households, people)
        last, this = await _contacts(uow, rng, households)
        # The planner's statistics still say the tables are empty (autovacuum analyzes them
        # a minute later, at best): last month's county summary planned on them took 290 s
        # on PostgreSQL, 0.4 s once analyzed. The transaction's own rows are counted.
        await uow.session.execute(text("ANALYZE"))
        # Last month's summary went out on this month's 1st, as in a county that has been
        # running (as the demo town's): the dashboard's trend starts there.
        await keep_for_sending(uow, uow.clock.this_month().previous(), app.settings.tz)
        uow.audit_by(
            CLI_OPERATOR,
            "county",
            0,
            "demo",
            {"towns": len(town_ids), "villages": len(villages), "households": len(households)},
        )
        await uow.commit()
    return DemoCounty(
        towns=len(town_ids),
        villages=len(villages),
        households=len(households),
        contact_persons=sum(len(ids) for ids in people.values()),
        contacts_last_month=last,
        contacts_this_month=this,
        office_people=office,
    )


async def _towns(uow: UnitOfWork, size: CountySize) -> list[int]:
    """The first town (the one the migrations made) takes the first name; then the rest."""
    await uow.session.execute(
        update(Town).where(Town.id == FIRST_TOWN_ID).values(name=TOWN_NAMES[0])
    )
    await _insert(uow, Town, [{"name": name} for name in TOWN_NAMES[1 : size.towns]])
    ids = select(Town.id).where(Town.name.in_(TOWN_NAMES[: size.towns])).order_by(Town.id)
    return list((await uow.session.execute(ids)).scalars())


async def _villages(uow: UnitOfWork, town_ids: Sequence[int], size: CountySize) -> dict[int, int]:
    """Village id → town id, the villages spread evenly over the towns."""
    names = [a + b + "村" for b in VILLAGE_SECOND for a in VILLAGE_FIRST][: size.villages]
    rows = [
        {"name": name, "town_id": town_ids[index * len(town_ids) // size.villages]}
        for index, name in enumerate(names)
    ]
    await _insert(uow, Village, rows)
    found = await uow.session.execute(select(Village.id, Village.town_id).order_by(Village.id))
    return {village_id: town_id for village_id, town_id in found.all()}


async def _people(
    uow: UnitOfWork, rng: random.Random, villages: dict[int, int], size: CountySize
) -> dict[int, list[int]]:
    """Each village's contact persons (village cadres and work-team members), by village."""
    now = uow.clock.now()
    rows = [
        {
            "name": _name(rng, rng.random() < 0.6),
            "phone": _mobile(rng),
            "role": Role.CONTACT.value,
            "village_id": village_id,
            "town_id": town_id,
            "active": True,
            "created_at": now,
        }
        for village_id, town_id in villages.items()
        for _n in range(size.contacts_per_village)
    ]
    await _insert(uow, Person, rows)
    found = await uow.session.execute(
        select(Person.id, Person.village_id).where(Person.role == Role.CONTACT).order_by(Person.id)
    )
    people: dict[int, list[int]] = {village_id: [] for village_id in villages}
    for person_id, village_id in found.all():
        people[village_id].append(person_id)
    return people


async def _offices(uow: UnitOfWork, town_ids: Sequence[int]) -> tuple[str, ...]:
    """A town office person for each town (named after it), and the county office's."""
    now = uow.clock.now()
    names = [f"{name}扶贫办" for name in TOWN_NAMES[: len(town_ids)]]
    rows: list[dict[str, Any]] = [
        {"name": name, "role": Role.TOWN_OFFICE.value, "town_id": town_id}
        for name, town_id in zip(names, town_ids, strict=True)
    ]
    rows.append({"name": COUNTY_OFFICE_NAME, "role": Role.COUNTY_OFFICE.value, "town_id": None})
    for row in rows:
        row.update(active=True, created_at=now, phone=None, village_id=None)
    await _insert(uow, Person, rows)
    return (*names, COUNTY_OFFICE_NAME)


async def _households(
    uow: UnitOfWork, rng: random.Random, villages: dict[int, int], size: CountySize
) -> list[tuple[int, int]]:
    """(household id, village id) of the county's households."""
    created, today = _roster_moment(uow), uow.clock.today()
    rows = []
    for village_number, village_id in enumerate(villages, start=1):
        for index in range(size.households_per_village):
            category = CATEGORY_MIX[index % len(CATEGORY_MIX)]
            low, high = INCOME_RANGE[category]
            male = rng.random() < 0.7
            rows.append(
                {
                    "number": f"{COUNTY_CODE}{village_number:04d}{index + 1:06d}",
                    "village_id": village_id,
                    "group_name": f"{1 + index * 8 // size.households_per_village}组",
                    "head_name": _name(rng, male),
                    "id_number": _id_number(rng, male, village_number * 1000 + index),
                    "phone": _mobile(rng),
                    "members": rng.choice((1, 2, 3, 3, 4, 4, 5, 6)),
                    "category": category.value,
                    "income": rng.randrange(low, high, 10),
                    "income_measured_on": today,
                    "risk_types": [],
                    "status": HouseholdStatus.MONITORED.value,
                    "created_at": created,
                    "updated_at": created,
                }
            )
    await _insert(uow, Household, rows)
    found = await uow.session.execute(
        select(Household.id, Household.village_id).order_by(Household.id)
    )
    return [(household_id, village_id) for household_id, village_id in found.all()]


def _roster_moment(uow: UnitOfWork) -> datetime:
    """When the county's roster was "imported": before last month began, so both months are
    covered."""
    first_of_month = uow.clock.today().replace(day=1)
    moment = datetime.combine(first_of_month - timedelta(days=40), time(9), uow.clock.tz)
    return min(moment, uow.clock.now())


async def _assign(
    uow: UnitOfWork, households: Sequence[tuple[int, int]], people: dict[int, list[int]]
) -> None:
    """Each household to one of its village's contact persons, in turn."""
    started = _roster_moment(uow)
    turn: dict[int, int] = {}
    rows = []
    for household_id, village_id in households:
        persons = people[village_id]
        index = turn[village_id] = turn.get(village_id, -1) + 1
        person_id = persons[index % len(persons)]
        rows.append({"household_id": household_id, "person_id": person_id, "started_at": started})
    await _insert(uow, Assignment, rows)


async def _contacts(
    uow: UnitOfWork, rng: random.Random, households: Sequence[tuple[int, int]]
) -> tuple[int, int]:
    """Last month's contacts, 76-99% of each town's households, and this month's so far:
    about as far as the month has gone, a little behind in some towns (so the county's
    comparison has something to show). How many of each."""
    clock = uow.clock
    today, this_month = clock.today(), clock.this_month()
    last_month = this_month.previous()
    found = await uow.session.execute(
        select(Assignment.household_id, Assignment.person_id).where(Assignment.ended_at.is_(None))
    )
    month = _MonthOfContacts(rng, dict(found.all()), clock.tz, clock.now())
    last = month.rows(households, last_month.first_day, last_month.last_day, "last", 0.76, 0.99)
    so_far = min(0.9, 0.2 + 0.7 * today.day / 28)
    this = month.rows(households, this_month.first_day, today, "this", 0.7 * so_far, so_far)
    await _insert(uow, Contact, last + this)
    return len(last), len(this)


@dataclass
class _MonthOfContacts:
    rng: random.Random
    holder: dict[int, int]  # household -> its contact person
    tz: ZoneInfo
    now: datetime

    def rows(
        self,
        households: Sequence[tuple[int, int]],
        first: date,
        last: date,
        key: str,
        low: float,
        high: float,
    ) -> list[dict[str, Any]]:
        """Contacts between `first` and `last`, of a share of each town's households drawn
        between `low` and `high`."""
        rng = self.rng
        town_share: dict[int, float] = {}
        rows = []
        for serial, (household_id, village_id) in enumerate(households):
            share = town_share.setdefault(village_id // 13, rng.uniform(low, high))
            if rng.random() >= share:
                continue
            day = first + timedelta(days=rng.randrange((last - first).days + 1))
            entered = datetime.combine(day, time(rng.randint(8, 18), rng.randrange(60)), self.tz)
            channel = rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
            rows.append(
                {
                    "household_id": household_id,
                    "person_id": self.holder[household_id],
                    "occurred_on": day,
                    "entered_at": min(entered, self.now),
                    "channel": channel.value,
                    "problems": [],
                    "events": [],
                    "status": "active",
                    "draft_key": f"demo-county:{key}:{serial}",
                }
            )
        return rows


async def _insert(uow: UnitOfWork, model: type[Any], rows: Iterable[dict[str, Any]]) -> None:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            await uow.session.execute(insert(model), batch)
            batch = []
    if batch:
        await uow.session.execute(insert(model), batch)


def _name(rng: random.Random, male: bool) -> str:
    return rng.choice(SURNAMES) + rng.choice(MALE_NAMES if male else FEMALE_NAMES)


def _mobile(rng: random.Random) -> str:
    return rng.choice(("138", "139", "155", "158", "177", "187")) + f"{rng.randrange(10**8):08d}"


def _id_number(rng: random.Random, male: bool, serial: int) -> str:
    """A well-formed ID number of the county, unique by `serial` (its birth day and order)."""
    born = date(1940, 1, 1) + timedelta(days=serial % (365 * 45))
    order = (serial // (365 * 45)) * 2 % 1000 + (1 if male else 0)
    body = f"{COUNTY_CODE}{born:%Y%m%d}{order:03d}"
    return body + id_check_character(body)
