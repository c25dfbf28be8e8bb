"""A contact person's progress this month (本月已联系 7/12)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, exists, select

from bot.clock import Month
from bot.core.households.ordering import by_group_and_pinyin
from bot.core.policy import Actor, assigned_to
from bot.domain.model import ContactStatus, HouseholdStatus
from bot.storage.models import Contact, Household
from bot.storage.uow import App, UnitOfWork


@dataclass(frozen=True)
class MonthProgress:
    month: Month
    contacted: int
    total: int
    remaining: list[Household]  # monitored households not contacted yet this month

    def days_left(self, today: date) -> int:
        """Days left in the month, today included (1 on the last day, 0 once it is over)."""
        return max(0, (self.month.last_day - today).days + 1)


def contacted_in(month: Month):  # type: ignore[no-untyped-def]
    """SQL condition: the household has an active contact dated in the month."""
    return contacted_between(month.first_day, month.last_day)


def contacted_between(first_day: date | ColumnElement[date], last_day: date | ColumnElement[date]):  # type: ignore[no-untyped-def]
    """SQL condition: the household has an active contact dated from `first_day` to
    `last_day` (dates, or bound parameters for a statement built once)."""
    return exists().where(
        Contact.household_id == Household.id,
        Contact.status == ContactStatus.ACTIVE,
        Contact.occurred_on >= first_day,
        Contact.occurred_on <= last_day,
    )


async def month_progress(
    uow: UnitOfWork, actor: Actor, month: Month | None = None
) -> MonthProgress:
    """Progress over the monitored households assigned to the actor now."""
    month = month or uow.clock.this_month()
    query = select(Household, contacted_in(month).label("contacted")).where(
        Household.id.in_(assigned_to(actor.person_id or -1)),
        Household.status == HouseholdStatus.MONITORED,
    )
    rows = (await uow.session.execute(query)).all()
    remaining = by_group_and_pinyin(household for household, contacted in rows if not contacted)
    return MonthProgress(month, len(rows) - len(remaining), len(rows), remaining)


async def progress_this_month(app: App, actor: Actor) -> MonthProgress:
    """The actor's progress this month, in a transaction of its own (for 📅 This month)."""
    async with app.uow() as uow:
        return await month_progress(uow, actor)
