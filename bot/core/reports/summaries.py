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

from sqlalchemy import Row, bindparam, select, text
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
from bot.storage.models import Contact, CoverageSnapshot, Household, Person, Village
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
        uow.session.add(
            CoverageSnapshot(
                month=str(month), created_at=uow.clock.now(), data=summary_to_json(summary)
            )
        )
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
    uow.session.add(
        CoverageSnapshot(
            month=str(month), created_at=uow.clock.now(), data=summary_to_json(summary)
        )
    )
    return summary


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
    month never sent is left out). One statement; the database takes the two numbers out of
    the stored JSON (a county's sent summary is megabytes, a trend needs 250 pairs)."""
    if not months:
        return {}
    by_name = {str(month): month for month in months}
    if uow.session.bind.dialect.name == "postgresql":
        query = text(
            "SELECT s.month, (v->>'village_id')::int, (v->'tally'->>'households')::int,"
            " (v->'tally'->>'contacted')::int FROM coverage_snapshots s,"
            " jsonb_array_elements(s.data::jsonb->'villages') v WHERE s.month IN :months"
        )
    else:
        query = text(
            "SELECT s.month, json_extract(v.value, '$.village_id'),"
            " json_extract(v.value, '$.tally.households'),"
            " json_extract(v.value, '$.tally.contacted')"
            " FROM coverage_snapshots s, json_each(s.data, '$.villages') v"
            " WHERE s.month IN :months"
        )
    query = query.bindparams(bindparam("months", expanding=True))
    counts: dict[Month, dict[int, tuple[int, int]]] = {}
    sent = select(CoverageSnapshot.month).where(CoverageSnapshot.month.in_(by_name))
    for name in (await uow.session.execute(sent)).scalars():
        counts[by_name[name]] = {}  # sent, even with no village
    for name, village_id, households, contacted in await uow.session.execute(
        query, {"months": list(by_name)}
    ):
        counts[by_name[name]][int(village_id)] = (int(households), int(contacted))
    return counts


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
