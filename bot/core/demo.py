"""A demo town (示范数据) to try bangfu with: three villages of 佛子岭镇, about sixty households
in all four categories, eight contact persons and two months of contacts up to today.

The roster goes through the real import (households, contact persons, assignments, audit);
the contacts are written straight into the tables, backdated over two months. Everything is
drawn from a fixed seed, so every demo town is the same town.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import count

from sqlalchemy import func, select

from bot.clock import FrozenClock, Month
from bot.core.flags.raising import problem_reason, raise_flag
from bot.core.policy import CLI_OPERATOR, Actor
from bot.core.reports.summaries import keep_for_sending
from bot.core.roster.columns import HEADERS, Table, roster_rows
from bot.core.roster.importing import import_roster
from bot.domain.model import (
    ROSTER_NAME_BY_CATEGORY,
    Category,
    ContactChannel,
    ContactEvent,
    FlagSource,
    Guarantee,
    Role,
)
from bot.domain.validation import id_check_character
from bot.errors import Conflict
from bot.i18n import N_, use_language
from bot.storage.models import Assignment, AuditEntry, Contact, Household, Person
from bot.storage.uow import App, UnitOfWork

SEED = 20200321  # the day of the town's notice
COUNTY_CODE = "341525"  # 霍山县, where 佛子岭镇 lies
# Village: (its code in household numbers, its contact persons).
VILLAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "大河村": ("103", ("李春华", "陈国庆", "刘晓燕")),
    "黄巢寺村": ("107", ("王志刚", "张丽萍", "周德胜")),
    "佛子岭村": ("112", ("吴建平", "徐红梅")),
}
HOUSEHOLDS_PER_VILLAGE = 20
CATEGORY_MIX = (
    [Category.MARGINAL] * 5
    + [Category.LIFTED_MONITORED] * 5
    + [Category.LIFTED_POLICY] * 6
    + [Category.LIFTED_NO_POLICY] * 4
)
# Yearly income per person, in yuan, around each category's line (5,000 and 15,416 in 2020).
INCOME_RANGE = {
    Category.MARGINAL: (3800, 6200),
    Category.LIFTED_MONITORED: (4200, 6800),
    Category.LIFTED_POLICY: (7000, 15000),
    Category.LIFTED_NO_POLICY: (15500, 26000),
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙胡朱高林何郭马罗汪储程"
MALE_NAMES = ("德明", "建国", "长林", "金山", "家富", "志强", "学文", "大勇", "传宝", "永和")
FEMALE_NAMES = ("桂英", "秀兰", "玉珍", "春花", "凤英", "淑芬", "翠兰", "明霞", "红梅", "小琴")
MOBILE_PREFIXES = ("138", "139", "155", "156", "158", "159", "177", "180", "182", "187")
CHANNEL_WEIGHTS = {
    ContactChannel.HOME_VISIT: 45,
    ContactChannel.PHONE: 30,
    ContactChannel.WECHAT: 15,
    ContactChannel.SMS: 5,
    ContactChannel.VIDEO: 5,
}
FINE_NOTES = (
    "家里一切正常，老人身体还好。",
    "孩子在镇中学上学，住校，情况正常。",
    "春耕准备好了，种子化肥已备齐。",
    "在外务工的儿子每月按时寄钱回家。",
    "低保金按时到账，家里吃穿不愁。",
    "茶园长势好，今年预计增收。",
    "慢性病按时吃药，家庭医生上月来过。",
    None,
    None,
    None,
)
# The problems found this month: (guarantee, what the contact person wrote).
PROBLEMS = (
    (Guarantee.HOUSING, "屋后山墙有裂缝，下雨渗水，需要鉴定是否危房。"),
    (Guarantee.MEDICAL, "户主住院做手术，自付部分约两万元，家里拿不出。"),
)
DEMO_RISK_TYPES = ["因病", "因残", "因学", "缺劳动力", "因灾", "因务工就业不稳", "因意外事故"]
LAST_MONTH_SHARE = 0.96  # last month: all but two or three households contacted
REPORTED_RISK = "儿子在外务工受伤，已停工两个月，家中主要收入中断，有返贫风险。"


@dataclass(frozen=True)
class DemoTown:
    villages: int
    households: int
    contact_persons: int
    contacts_last_month: int
    contacts_this_month: int
    flags: int
    contact_names: tuple[str, ...] = ()  # to try the bot as one of them (bangfu invite)


async def fill_demo_town(app: App) -> DemoTown:
    """Fill an empty database with the demo town; refused when households exist already."""
    async with app.uow() as uow:
        existing = (await uow.session.execute(select(func.count(Household.id)))).scalar_one()
    if existing:
        raise Conflict(
            N_(
                "The database already has {count} households. Demo data is only added to an "
                "empty database, so nothing was changed."
            ),
            count=existing,
        )
    rng = random.Random(SEED)
    this_month = app.clock.this_month()
    last_month = this_month.previous()
    # The roster was imported a few days before last month began, so both months are covered.
    imported_at = datetime.combine(
        last_month.first_day - timedelta(days=3), time(9, 0), app.clock.tz
    )
    table: Table = [list(HEADERS)]
    table += [[row.get(header) for header in HEADERS] for row in _roster_rows(rng)]
    past = dataclasses.replace(app, clock=FrozenClock(app.clock.tz, imported_at))
    report = await import_roster(past, CLI_OPERATOR, roster_rows(table))

    async with app.uow() as uow:
        pairs = await _households_and_contacts(uow)
        writer = _ContactWriter(uow, rng)
        last = writer.month(pairs, last_month, LAST_MONTH_SHARE)
        # This month is covered about as far as it has gone, as in a real town.
        share = min(0.85, 0.25 + 0.6 * app.clock.today().day / this_month.last_day.day)
        this = writer.month(pairs, this_month, share)
        this += await _raise_flags(writer, app, pairs, {c.household_id for c in this})
        await _audit_contacts(uow)
        # Last month's summary went out on this month's 1st, as in a town that has been
        # running: the dashboard's trend starts there (months before a summary are not counted).
        await uow.session.flush()
        await keep_for_sending(uow, last_month, app.settings.tz)
        await uow.commit()
    return DemoTown(
        villages=len(VILLAGES),
        households=report.created,
        contact_persons=report.contact_persons_created,
        contacts_last_month=len(last),
        contacts_this_month=len(this),
        flags=len(PROBLEMS) + 1,
        contact_names=tuple(sorted({person.name for _household, person in pairs})),
    )


def _roster_rows(rng: random.Random) -> list[dict[str, str]]:
    rows = []
    used_names: set[str] = set()
    for village, (code, contact_names) in VILLAGES.items():
        contacts = [(name, _mobile(rng)) for name in contact_names]
        categories = list(CATEGORY_MIX)
        rng.shuffle(categories)
        for index, category in enumerate(categories):
            group = 1 + index * 5 // HOUSEHOLDS_PER_VILLAGE
            male = rng.random() < 0.7
            name = _unique_name(rng, male, used_names)
            low, high = INCOME_RANGE[category]
            contact_name, contact_phone = contacts[index % len(contacts)]
            rows.append(
                {
                    "村": village,
                    "组": f"{group}组",
                    "户编号": f"{COUNTY_CODE}{code}{group:03d}{index + 1:04d}",
                    "户主姓名": name,
                    "身份证号": _id_number(rng, male),
                    "联系电话": _household_phone(rng),
                    "家庭人口数": str(rng.choices((1, 2, 3, 4, 5, 6), (8, 20, 25, 25, 15, 7))[0]),
                    "类别": ROSTER_NAME_BY_CATEGORY[category],
                    "年人均纯收入": str(rng.randrange(low, high, 10)),
                    "风险类型": "、".join(_risk_types(rng, category)),
                    "帮扶联系人": contact_name,
                    "帮扶联系人电话": contact_phone,
                    **_form_columns(category, index),
                }
            )
    return rows


def _form_columns(category: Category, index: int) -> dict[str, str]:
    """脱贫年度, 低保/特困/残疾 and 原识别时间, from the household's place in the list (not the
    random generator, so the rest of the demo town stays as it was)."""
    marginal = category == Category.MARGINAL
    identified = date(2019 if marginal else 2014, 1 + index % 12, 1 + index % 28)
    support = ("低保", "", "残疾", "", "低保、残疾", "", "特困", "")[index % 8]
    return {
        "脱贫年度": "" if marginal else str(2014 + index % 6),
        "低保/特困/残疾": support if category in SURVEYED else "",
        "原识别时间": identified.isoformat(),
    }


SURVEYED = (Category.MARGINAL, Category.LIFTED_MONITORED)  # the 摸底表 ask for 低保/特困/残疾


def _unique_name(rng: random.Random, male: bool, used: set[str]) -> str:
    while True:
        name = rng.choice(SURNAMES) + rng.choice(MALE_NAMES if male else FEMALE_NAMES)
        if name not in used:
            used.add(name)
            return name


def _id_number(rng: random.Random, male: bool) -> str:
    """An ID number of the county: birth date, serial (odd for men) and its check digit."""
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(365 * 45))
    serial = rng.randrange(0, 999, 2) + (1 if male else 0)
    body = f"{COUNTY_CODE}{born:%Y%m%d}{serial:03d}"
    return body + id_check_character(body)


def _mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def _household_phone(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.8:
        return _mobile(rng)
    if roll < 0.9:
        return f"0564-{rng.randrange(5_000_000, 6_000_000)}"  # a landline in 六安
    return ""  # an old person living alone, without a phone


def _risk_types(rng: random.Random, category: Category) -> list[str]:
    if category == Category.LIFTED_NO_POLICY:
        return []
    count = rng.choice((0, 1)) if category == Category.LIFTED_POLICY else rng.choice((1, 1, 2))
    return rng.sample(DEMO_RISK_TYPES, count)


async def _households_and_contacts(uow: UnitOfWork) -> list[tuple[Household, Person]]:
    """Every household with its current contact person."""
    query = (
        select(Household, Person)
        .join(Assignment, Assignment.household_id == Household.id)
        .join(Person, Person.id == Assignment.person_id)
        .where(Assignment.ended_at.is_(None))
        .order_by(Household.number)
    )
    return [(household, person) for household, person in await uow.session.execute(query)]


@dataclass
class _ContactWriter:
    """Adds demo contacts, each with its own draft key."""

    uow: UnitOfWork
    rng: random.Random
    serial: Iterator[int] = dataclasses.field(default_factory=lambda: count(1))

    def month(
        self, pairs: list[tuple[Household, Person]], month: Month, share: float
    ) -> list[Contact]:
        """Contacts on `share` of the households in the month, up to today; a few twice."""
        rng, clock = self.rng, self.uow.clock
        last_day = min(month.last_day, clock.today()).day
        chosen = rng.sample(pairs, round(len(pairs) * share))
        contacts = []
        for household, person in chosen + rng.sample(chosen, len(chosen) // 10):
            day = date(month.year, month.month, rng.randint(1, last_day))
            entered = datetime.combine(day, time(rng.randint(8, 18), rng.randrange(60)), clock.tz)
            channel = rng.choices(list(CHANNEL_WEIGHTS), list(CHANNEL_WEIGHTS.values()))[0]
            contact = self.add(household, person, day, min(entered, clock.now()), channel)
            contact.note = rng.choice(FINE_NOTES)
            if rng.random() < 0.05:
                contact.events = [str(ContactEvent.ILLNESS)]
            contacts.append(contact)
        return contacts

    def add(
        self,
        household: Household,
        person: Person,
        day: date,
        entered_at: datetime,
        channel: ContactChannel,
        problems: Sequence[Guarantee] = (),
    ) -> Contact:
        contact = Contact(
            household_id=household.id,
            person_id=person.id,
            occurred_on=day,
            entered_at=entered_at,
            channel=channel,
            problems=[str(problem) for problem in problems],
            events=[],
            status="active",
            draft_key=f"demo:{next(self.serial)}",
        )
        self.uow.session.add(contact)
        return contact


async def _raise_flags(
    writer: _ContactWriter,
    app: App,
    pairs: list[tuple[Household, Person]],
    contacted: set[int],
) -> list[Contact]:
    """Today's home visits that found a guarantee problem, and one risk a contact person
    reported; each is a red flag with its alert. Returns the new contacts."""
    uow, now = writer.uow, app.clock.now()
    flagged = writer.rng.sample([p for p in pairs if p[0].id not in contacted], len(PROBLEMS) + 1)
    contacts = []
    with use_language(app.settings.default_language):
        for (household, person), (guarantee, note) in zip(flagged, PROBLEMS, strict=False):
            contact = writer.add(
                household, person, app.clock.today(), now, ContactChannel.HOME_VISIT, (guarantee,)
            )
            contact.note = note
            await uow.session.flush()
            reason = problem_reason(app.settings, [guarantee], note)  # as a contact's flag's
            await raise_flag(
                uow,
                _actor(person),
                household,
                FlagSource.GUARANTEE,
                reason,
                contact.id,
                problems=[guarantee],
            )
            contacts.append(contact)
    household, person = flagged[-1]
    await raise_flag(uow, _actor(person), household, FlagSource.CONTACT_PERSON, REPORTED_RISK)
    return contacts


def _actor(person: Person) -> Actor:
    return Actor(person.id, person.name, Role(person.role), person.village_id, person.town_id)


async def _audit_contacts(uow: UnitOfWork) -> None:
    """Each demo contact's audit entry, dated when it was entered, by who entered it."""
    await uow.session.flush()
    people = {p.id: p.name for p in (await uow.session.execute(select(Person))).scalars()}
    for contact in (await uow.session.execute(select(Contact))).scalars():
        uow.session.add(
            AuditEntry(
                at=contact.entered_at,
                actor_id=contact.person_id,
                actor_label=people[contact.person_id],
                entity="contact",
                entity_id=contact.id,
                action="create",
                changes={
                    "household_id": contact.household_id,
                    "occurred_on": contact.occurred_on.isoformat(),
                    "channel": contact.channel,
                    "problems": contact.problems,
                },
            )
        )
