"""Builds a small town straight in the database for tests: villages, people, households,
assignments, contacts and flags, with realistic Chinese names and numbers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import count

from sqlalchemy import select

from bot.core.policy import Actor
from bot.domain.model import Category, ContactChannel, FlagSource, Role
from bot.storage.models import (
    FIRST_TOWN_ID,
    Assignment,
    Contact,
    Household,
    Person,
    RedFlag,
    Town,
    Village,
)
from bot.storage.uow import App

# 百家姓 and common given names, so lists and searches look like a real village's.
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN_NAMES = ["桂英", "秀兰", "建国", "德明", "玉珍", "志强", "家富", "春花", "长林", "金山"]


def id_number(serial: int) -> str:
    """A well-formed 18-digit 身份证号 (六安 area code, with its checksum)."""
    body = f"341523{1950 + serial % 50}0101{serial % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


@dataclass
class TownBuilder:
    app: App
    _serial: count = field(default_factory=lambda: count(1))

    async def town(self, name: str) -> Town:
        """A town (乡镇) of the county; the first town is the one the migrations made."""
        async with self.app.uow() as uow:
            found = (
                await uow.session.execute(select(Town).where(Town.name == name))
            ).scalar_one_or_none()
            if found is None:
                found = Town(name=name)
                uow.session.add(found)
                await uow.commit()
            return found

    async def village(self, name: str, town: Town | None = None) -> Village:
        """The village, made in `town` (the first town when none is given) if new."""
        async with self.app.uow() as uow:
            found = (
                await uow.session.execute(select(Village).where(Village.name == name))
            ).scalar_one_or_none()
            if found is None:
                found = Village(name=name, town_id=town.id if town else FIRST_TOWN_ID)
                uow.session.add(found)
                await uow.commit()
            return found

    async def person(
        self,
        name: str,
        role: Role = Role.CONTACT,
        village: Village | None = None,
        telegram_user_id: int | None = None,
        language: str | None = None,
        town: Town | None = None,
    ) -> Actor:
        """A person with a made-up phone, as the use cases see them (an Actor)."""
        phone = f"1390564{next(self._serial):04d}"
        person = await self.add_person(name, role, village, telegram_user_id, language, phone, town)
        return Actor(person.id, person.name, role, person.village_id, person.town_id)

    async def add_person(
        self,
        name: str,
        role: Role = Role.CONTACT,
        village: Village | None = None,
        telegram_user_id: int | None = None,
        language: str | None = None,
        phone: str | None = None,
        town: Town | None = None,
    ) -> Person:
        """A person row, active from now (bound to a Telegram account when one is given), of
        the village's town, else of `town`, else of the first town (the county office: none)."""
        town_id = village.town_id if village else town.id if town else FIRST_TOWN_ID
        async with self.app.uow() as uow:
            person = Person(
                name=name,
                phone=phone,
                role=role,
                village_id=village.id if village else None,
                town_id=None if role == Role.COUNTY_OFFICE else town_id,
                telegram_user_id=telegram_user_id,
                language=language,
                active=True,
                created_at=uow.clock.now(),
            )
            uow.session.add(person)
            await uow.commit()
            await uow.session.refresh(person)
            return person

    async def assign(
        self, household: Household, person_id: int | None, since: timedelta = timedelta(0)
    ) -> Assignment:
        """Make the person the household's contact person (帮扶联系人), `since` ago."""
        async with self.app.uow() as uow:
            assignment = Assignment(
                household_id=household.id,
                person_id=person_id,
                started_at=uow.clock.now() - since,
            )
            uow.session.add(assignment)
            await uow.commit()
            await uow.session.refresh(assignment)
            return assignment

    async def household(
        self,
        village: Village,
        head_name: str | None = None,
        contact: Actor | None = None,
        group_name: str = "1组",
        category: Category = Category.MARGINAL,
        **fields: object,
    ) -> Household:
        serial = next(self._serial)
        async with self.app.uow() as uow:
            now = uow.clock.now()
            household = Household(
                number=fields.pop("number", f"3415231010{serial:06d}"),
                village_id=village.id,
                group_name=group_name,
                head_name=head_name
                or SURNAMES[serial % len(SURNAMES)] + GIVEN_NAMES[serial % len(GIVEN_NAMES)],
                id_number=fields.pop("id_number", id_number(serial)),
                phone=fields.pop("phone", f"1385564{serial:04d}"),
                members=fields.pop("members", 3),
                category=category,
                income=fields.pop("income", Decimal("5200.00")),
                income_measured_on=fields.pop("income_measured_on", date(2025, 12, 31)),
                risk_types=fields.pop("risk_types", []),
                status=fields.pop("status", "monitored"),
                created_at=now,
                updated_at=now,
                **fields,
            )
            uow.session.add(household)
            await uow.commit()
            await uow.session.refresh(household)
        if contact is not None:
            await self.assign(household, contact.person_id, since=timedelta(days=90))
        household.village = village
        return household

    async def contact(
        self,
        household: Household,
        by: Actor,
        occurred_on: date,
        channel: ContactChannel = ContactChannel.HOME_VISIT,
        problems: list[str] | None = None,
        status: str = "active",
    ) -> Contact:
        async with self.app.uow() as uow:
            row = Contact(
                household_id=household.id,
                person_id=by.person_id,
                occurred_on=occurred_on,
                entered_at=uow.clock.now(),
                channel=channel,
                problems=problems or [],
                events=[],
                status=status,
                draft_key=f"test-{next(self._serial)}",
            )
            uow.session.add(row)
            await uow.commit()
            return row

    async def flag(self, household: Household, reason: str, status: str = "raised") -> RedFlag:
        async with self.app.uow() as uow:
            row = RedFlag(
                household_id=household.id,
                source=FlagSource.PLATFORM,
                reason=reason,
                status=status,
                raised_at=uow.clock.now(),
            )
            uow.session.add(row)
            await uow.commit()
            return row
