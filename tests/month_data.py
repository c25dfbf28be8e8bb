"""A generated month of a small town, written straight through the models, and an independent
count of its coverage in plain Python over the generated rows (what the summary must say).

February 2026 is the month under test; the generated rows reach into January and March so that
every edge of the month's bounds is exercised: households created after it, assignments that
end or start inside it, backdated and withdrawn contacts, flags raised, acknowledged, closed
and overdue around it.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.clock import Month
from bot.domain.model import Category, ContactChannel, HouseholdStatus, Role
from bot.storage.models import Assignment, Contact, Household, Person, RedFlag, Village
from bot.storage.uow import App

TZ = ZoneInfo("Asia/Shanghai")
FEBRUARY = Month(2026, 2)
MARCH = Month(2026, 3)
VILLAGE_NAMES = ["大河村", "柳树村", "石门村", "桃园村"]
PEOPLE_NAMES = ["王建国", "李秀兰", "张德明", "刘玉珍", "陈志强", "杨春花", "黄长林", "赵金山"]
ASSIGNMENT_PATTERNS = [
    "whole_month",
    "reassigned_mid_month",
    "ended_before_month",
    "started_late_in_month",
    "never_assigned",
    "ended_in_month",
    "starts_after_month",
    "two_at_once",
    "stand_in_for_a_week",
]


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


@dataclass
class Generated:
    villages: list[Village] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    households: list[Household] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    flags: list[RedFlag] = field(default_factory=list)


def generate(seed: int = 7, households: int = 96) -> Generated:
    rng = random.Random(seed)
    data = Generated()
    data.villages = [Village(id=n + 1, name=name) for n, name in enumerate(VILLAGE_NAMES)]
    for n, name in enumerate(PEOPLE_NAMES):
        data.people.append(
            Person(
                id=n + 1,
                name=name,
                phone=f"1390564{n:04d}",
                role=Role.CONTACT,
                village_id=data.villages[n % len(data.villages)].id,
                active=n != 7,
                unreachable_since=at(date(2026, 2, 20)) if n in (3, 7) else None,
                created_at=at(date(2025, 10, 1)),
            )
        )
    old = at(date(2025, 11, 1))
    for n in range(households):
        village = data.villages[n % len(data.villages)]
        status = rng.choices(list(HouseholdStatus), weights=[8, 1, 1])[0]
        created = rng.choices([old, at(date(2026, 2, 14)), at(date(2026, 3, 2))], [8, 1, 1])[0]
        household = Household(
            id=n + 1,
            number=f"34152310{n:08d}",
            village_id=village.id,
            group_name=f"{1 + n % 3}组",
            head_name=PEOPLE_NAMES[(n * 3) % 8][0] + "户" + str(n),
            id_number=f"341523198001{n:06d}",
            phone=f"1385564{n:04d}",
            members=1 + n % 5,
            category=list(Category)[n % 4],
            income=Decimal("5200.00"),
            income_measured_on=date(2025, 12, 31),
            risk_types=[],
            status=status,
            created_at=created,
            updated_at=created,
        )
        data.households.append(household)
        _assign(data, rng, household, ASSIGNMENT_PATTERNS[(n // 4) % len(ASSIGNMENT_PATTERNS)])
        _contacts(data, rng, household)
        _flags(data, rng, household)
    return data


def _assign(data: Generated, rng: random.Random, household: Household, pattern: str) -> None:
    first, second = rng.sample(data.people, 2)
    spans: list[tuple[Person, datetime, datetime | None]] = {
        "whole_month": [(first, at(date(2025, 11, 1)), None)],
        "reassigned_mid_month": [
            (first, at(date(2025, 11, 1)), at(date(2026, 2, 15))),
            (second, at(date(2026, 2, 15)), None),
        ],
        "ended_before_month": [(first, at(date(2025, 11, 1)), at(date(2026, 1, 20)))],
        "started_late_in_month": [(first, at(date(2026, 2, 20)), None)],
        "never_assigned": [],
        "ended_in_month": [(first, at(date(2025, 12, 1)), at(date(2026, 2, 10)))],
        "starts_after_month": [(first, at(date(2026, 3, 2)), None)],
        "stand_in_for_a_week": [
            (first, at(date(2025, 11, 1)), None),
            (second, at(date(2026, 2, 5)), at(date(2026, 2, 12))),
        ],
        "two_at_once": [
            (first, at(date(2025, 11, 1)), None),
            (second, at(date(2026, 1, 5)), None),
        ],
    }[pattern]
    for person, started, ended in spans:
        data.assignments.append(
            Assignment(
                id=len(data.assignments) + 1,
                household_id=household.id,
                person_id=person.id,
                started_at=started,
                ended_at=ended,
            )
        )


def _contacts(data: Generated, rng: random.Random, household: Household) -> None:
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        day = random_day(rng, date(2026, 1, 20), date(2026, 3, 9))
        backdated = rng.random() < 0.25
        entered = at(day, 12) + (timedelta(days=rng.randint(2, 12)) if backdated else timedelta())
        data.contacts.append(
            Contact(
                household_id=household.id,
                person_id=rng.choice(data.people).id,
                occurred_on=day,
                entered_at=min(entered, at(date(2026, 3, 10), 9)),
                channel=rng.choice(list(ContactChannel)),
                problems=[],
                events=[],
                status="withdrawn" if rng.random() < 0.15 else "active",
                draft_key=f"gen-{len(data.contacts)}",
            )
        )


def _flags(data: Generated, rng: random.Random, household: Household) -> None:
    for _ in range(rng.choice([0, 0, 0, 1, 2])):
        raised = at(random_day(rng, date(2026, 1, 1), date(2026, 3, 9)), 9)
        acknowledged = raised + timedelta(days=rng.randint(0, 20)) if rng.random() < 0.7 else None
        deadline = (raised + timedelta(days=rng.choice([7, 15, 30]))).date()
        closed = raised + timedelta(days=rng.randint(3, 40)) if rng.random() < 0.4 else None
        data.flags.append(
            RedFlag(
                household_id=household.id,
                source="platform",
                reason="省平台红色预警",
                status="closed" if closed else ("acknowledged" if acknowledged else "raised"),
                raised_at=raised,
                acknowledged_at=acknowledged,
                deadline=deadline if acknowledged else None,
                closed_at=closed,
            )
        )


async def insert(app: App, data: Generated) -> None:
    async with app.uow() as uow:
        for rows in (data.villages, data.people, data.households, data.assignments):
            uow.session.add_all(rows)
            await uow.session.flush()
        uow.session.add_all(data.contacts)
        uow.session.add_all(data.flags)
        await uow.commit()


@dataclass
class Expected:
    households: Counter[tuple[int, int]] = field(default_factory=Counter)  # (village, person)
    contacted: Counter[tuple[int, int]] = field(default_factory=Counter)
    home_visited: Counter[tuple[int, int]] = field(default_factory=Counter)
    channels: dict[tuple[int, int], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    uncontacted: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    unassigned: set[int] = field(default_factory=set)
    flags: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    person_flags: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    unreachable: set[int] = field(default_factory=set)


def count_by_hand(data: Generated, month: Month, now: datetime) -> Expected:
    """The summary's numbers, counted the slow obvious way over the generated rows."""
    start, end = month.utc_bounds(TZ)
    as_of = min(end, now)
    expected = Expected()
    village_of = {household.id: household.village_id for household in data.households}
    counted_for: dict[int, int] = {}
    for household in data.households:
        if household.status != "monitored" or household.created_at >= end:
            continue
        spans = [
            a
            for a in data.assignments
            if a.household_id == household.id
            and a.started_at < end
            and (a.ended_at is None or a.ended_at > start)
        ]
        held_at_end = [
            a
            for a in data.assignments
            if a.household_id == household.id
            and a.started_at <= as_of
            and (a.ended_at is None or a.ended_at > as_of)
        ]
        if not held_at_end:
            expected.unassigned.add(household.id)
        if not spans:
            continue
        open_at_end = [a for a in spans if a.ended_at is None or a.ended_at >= end]
        chosen = max(open_at_end or spans, key=lambda a: (a.started_at, a.id))
        counted_for[household.id] = chosen.person_id

    for household_id, person_id in counted_for.items():
        key = (village_of[household_id], person_id)
        expected.households[key] += 1
        mine = [
            c
            for c in data.contacts
            if c.household_id == household_id
            and c.status == "active"
            and month.first_day <= c.occurred_on <= month.last_day
        ]
        if mine:
            expected.contacted[key] += 1
            expected.home_visited[key] += any(c.channel == "home_visit" for c in mine)
            expected.channels[key].update(c.channel for c in mine)
        else:
            expected.uncontacted[key[0]].add(household_id)

    for flag in data.flags:
        counts = Counter(
            raised=start <= flag.raised_at < end,
            acknowledged=bool(flag.acknowledged_at and start <= flag.acknowledged_at < end),
            closed=bool(flag.closed_at and start <= flag.closed_at < end),
            past_deadline=bool(
                flag.deadline
                and flag.deadline < as_of.astimezone(TZ).date()
                and flag.raised_at < as_of
                and (flag.closed_at is None or flag.closed_at >= as_of)
            ),
        )
        expected.flags[village_of[flag.household_id]].update(counts)
        if flag.household_id in counted_for:
            expected.person_flags[counted_for[flag.household_id]].update(counts)

    expected.unreachable = {
        p.id
        for p in data.people
        if p.active and p.unreachable_since and p.unreachable_since <= as_of
    }
    return expected
