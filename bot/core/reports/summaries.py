"""Monthly summaries for the town office, kept as they were sent.

Once a month's summary has gone out (`record_sent`), asking for that month again returns the
stored snapshot: numbers the town office already reported upward do not change behind its back.
A contact backdated into such a month afterwards is a *late entry* (补录): it is listed in the
next summary computed after it was entered, exactly once.

Late entries of month M = active contacts dated in an earlier month that has a snapshot, entered
after the newest snapshot of any month before M was taken (so an entry listed by the summary of
M-1 is not listed again by M's).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, func, select
from sqlalchemy.exc import IntegrityError

from bot.clock import Month
from bot.core.coverage.month_coverage import month_coverage
from bot.core.coverage.month_summary import (
    HouseholdLine,
    LateEntry,
    MonthCoverage,
    summary_from_json,
    summary_to_json,
)
from bot.core.policy import Act, Actor, require, town_villages, villages_in_reach
from bot.domain.model import ContactStatus
from bot.storage.models import Contact, Household, Person, Village
from bot.storage.summary_models import CoverageSnapshot, SentVillageCount
from bot.storage.uow import App, UnitOfWork


def _require_town_office(actor: Actor) -> None:
    require(actor, Act.READ_TOWN_SUMMARY)


async def summary_for_month(app: App, actor: Actor, month: Month) -> MonthCoverage:
    """The month's summary of the actor's town (the county's, for the county office): as
    sent, if it was; else computed now, with late entries."""
    _require_town_office(actor)
    async with app.uow() as uow:
        reach = await villages_in_reach(uow, actor)
        return (await summary_of_month(uow, month, app.settings.tz)).narrowed(reach)


async def summary_of_month(uow: UnitOfWork, month: Month, tz: ZoneInfo) -> MonthCoverage:
    """The whole county's summary of the month: as sent, if it was; else computed now, with
    late entries. The callers narrow it to what their reader may see."""
    stored = await _snapshot(uow, month)
    if stored is not None:
        return summary_from_json(stored.data)
    summary = await month_coverage(uow, month, tz)
    summary.late_entries = await late_entries(uow, month)
    return summary


async def record_sent(app: App, month: Month, summary: MonthCoverage) -> MonthCoverage:
    """Keep the summary as sent. A month is recorded once: a second call returns the first."""
    async with app.uow() as uow:
        _keep(uow, month, summary)
        try:
            await uow.commit()
        except IntegrityError:
            # Sent twice (a retried job, two operators): the first one stands.
            await uow.rollback()
            stored = await _snapshot(uow, month)
            assert stored is not None
            return summary_from_json(stored.data)
        return summary


async def keep_for_sending(uow: UnitOfWork, month: Month, tz: ZoneInfo) -> MonthCoverage:
    """The month's summary as it goes out now, kept in the caller's transaction (the
    scheduler commits it with the messages that deliver it). A month kept before stays."""
    stored = await _snapshot(uow, month)
    if stored is not None:
        return summary_from_json(stored.data)
    summary = await month_coverage(uow, month, tz)
    summary.late_entries = await late_entries(uow, month)
    _keep(uow, month, summary)
    return summary


def _keep(uow: UnitOfWork, month: Month, summary: MonthCoverage) -> None:
    """Add the month's summary as sent, and its villages' two numbers for the trend."""
    uow.session.add(
        CoverageSnapshot(
            month=str(month), created_at=uow.clock.now(), data=summary_to_json(summary)
        )
    )
    uow.session.add_all(
        SentVillageCount(
            month=str(month),
            village_id=village.village_id,
            households=village.tally.households,
            contacted=village.tally.contacted,
        )
        for village in summary.villages
    )


async def sent_summary(uow: UnitOfWork, month: Month) -> MonthCoverage | None:
    """The month's summary exactly as it was kept when sent; None if it never was."""
    stored = await _snapshot(uow, month)
    return None if stored is None else summary_from_json(stored.data)


async def villages_of_town(uow: UnitOfWork, town_id: int) -> set[int]:
    """The town's villages, to narrow the county's summary to one town's office."""
    return set((await uow.session.execute(town_villages(town_id))).scalars())


async def was_sent(app: App, month: Month) -> bool:
    async with app.uow() as uow:
        return await _snapshot(uow, month) is not None


async def sent_village_counts(
    uow: UnitOfWork, months: Collection[Month]
) -> dict[Month, dict[int, tuple[int, int]]]:
    """Each village's (households, contacted) in each of these months' summaries as sent (a
    month never sent is left out). Read from their own rows, not the summary's JSON (a
    county's sent summary is megabytes, a trend needs 250 pairs)."""
    if not months:
        return {}
    by_name = {str(month): month for month in months}
    counts: dict[Month, dict[int, tuple[int, int]]] = {}
    sent = select(CoverageSnapshot.month).where(CoverageSnapshot.month.in_(by_name))
    for name in (await uow.session.execute(sent)).scalars():
        counts[by_name[name]] = {}  # sent, even with no village
    numbers = select(
        SentVillageCount.month,
        SentVillageCount.village_id,
        SentVillageCount.households,
        SentVillageCount.contacted,
    ).where(SentVillageCount.month.in_(by_name))
    for name, village_id, households, contacted in await uow.session.execute(numbers):
        counts[by_name[name]][village_id] = (households, contacted)
    return counts


async def first_sent_month(uow: UnitOfWork) -> Month | None:
    """The first month whose summary was sent (None: none yet). The bot kept no summary of
    any month before it: a fresh installation's months before it began, or history imported."""
    first = await uow.session.scalar(select(func.min(CoverageSnapshot.month)))
    return None if first is None else Month.parse(first)


async def sent_months(app: App) -> set[str]:
    """The months ("YYYY-MM") whose summary was sent, so kept as it was then (frozen)."""
    async with app.uow() as uow:
        return set((await uow.session.execute(select(CoverageSnapshot.month))).scalars())


async def _snapshot(uow: UnitOfWork, month: Month) -> CoverageSnapshot | None:
    query = select(CoverageSnapshot).where(CoverageSnapshot.month == str(month))
    return (await uow.session.execute(query)).scalar_one_or_none()


async def late_entries(uow: UnitOfWork, month: Month) -> list[LateEntry]:
    """Contacts backdated into already-sent months since the last summary before `month`."""
    earlier = select(CoverageSnapshot.month, CoverageSnapshot.created_at).where(
        CoverageSnapshot.month < str(month)
    )
    sent = {row.month: row.created_at for row in await uow.session.execute(earlier)}
    if not sent:
        return []
    since = max(sent.values())
    earliest = Month.parse(min(sent))  # "YYYY-MM" sorts as months do
    query = (
        select(
            Contact.id,
            Contact.occurred_on,
            Contact.entered_at,
            Contact.channel,
            Household.id.label("household_id"),
            Household.number,
            Household.group_name,
            Household.head_name,
            Village.name.label("village"),
            Person.name.label("logged_by"),
        )
        .join(Household, Household.id == Contact.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(Person, Person.id == Contact.person_id)
        .where(
            Contact.status == ContactStatus.ACTIVE,
            Contact.entered_at > since,
            Contact.occurred_on >= earliest.first_day,
            Contact.occurred_on < month.first_day,
        )
        .order_by(Contact.occurred_on, Contact.id)
    )
    rows = (await uow.session.execute(query)).all()
    return [_late(row) for row in rows if _after_its_snapshot(row, sent)]


def _after_its_snapshot(row: Row[Any], sent: dict[str, datetime]) -> bool:
    taken = sent.get(str(Month.of(row.occurred_on)))
    return taken is not None and row.entered_at > taken


def _late(row: Row[Any]) -> LateEntry:
    return LateEntry(
        contact_id=row.id,
        household=HouseholdLine(
            household_id=row.household_id,
            number=row.number,
            village=row.village,
            group=row.group_name,
            head_name=row.head_name,
        ),
        occurred_on=row.occurred_on,
        entered_at=row.entered_at,
        channel=row.channel,
        logged_by=row.logged_by,
    )
