"""The office dashboard's overview of a month (办公网页概览): the coverage the bot's /summary
shows (as sent, once it was), the 12 months before it, the open red flags by state and those
past their deadline, and the contact persons to reassign from.

The town office sees the town; a village admin their village (the same scope rules as the
coverage summary, `readable_villages`). One unit of work, read only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import and_, case, func, select

from bot.clock import Month, days_left_in_month
from bot.core.coverage.month_counts import month_window, village_counts
from bot.core.coverage.month_coverage import month_coverage, readable_villages
from bot.core.coverage.month_glance import MonthGlance, VillageGlance, glance_of, month_glance
from bot.core.coverage.month_summary import MonthCoverage
from bot.core.coverage.reminders import PersonToReassign, people_to_reassign
from bot.core.policy import Actor, visible_households
from bot.core.reports.summaries import first_sent_month, sent_summary, sent_village_counts
from bot.domain.model import OPEN_FLAG_STATUSES, FlagStatus
from bot.storage.models import RedFlag
from bot.storage.uow import App, UnitOfWork

TREND_MONTHS = 12
NAMES_SHOWN = 30  # uncontacted households listed per village; the rest are a link away
T = TypeVar("T")


class FlagStage:
    """Where an open flag stands, as the overview and the flags board group them."""

    RAISED = "raised"  # waiting for the town office to acknowledge it
    ACKNOWLEDGED = "acknowledged"  # measures under way
    REMOVAL_REQUESTED = "removal_requested"  # the village asked for 销号; the town reviews
    TOWN_APPROVED = "town_approved"  # the town approved; the county's decision is awaited

    ORDER = (RAISED, ACKNOWLEDGED, REMOVAL_REQUESTED, TOWN_APPROVED)


def flag_stage(flag: RedFlag) -> str:
    return _stage(flag.status, flag.removal_approved_at is not None)


def _stage(status: str, removal_approved: bool) -> str:
    if status == FlagStatus.REMOVAL_REQUESTED:
        return FlagStage.TOWN_APPROVED if removal_approved else FlagStage.REMOVAL_REQUESTED
    return str(status)


@dataclass(frozen=True)
class TrendPoint:
    month: Month
    households: int
    contacted: int
    reported: bool = True  # False: before the first summary sent, no numbers (not counted)

    @property
    def coverage(self) -> float | None:
        return self.contacted / self.households if self.households else None


@dataclass
class OpenFlags:
    by_stage: dict[str, int] = field(default_factory=dict)
    overdue: int = 0  # open, and the deadline day is over

    @property
    def total(self) -> int:
        return sum(self.by_stage.values())


@dataclass(frozen=True)
class Overview:
    month: Month
    is_current: bool
    days_left: int | None  # for the running month
    frozen: bool  # the month's summary was sent on the 1st: its numbers are kept as sent
    coverage: MonthGlance
    trend: list[TrendPoint]
    flags: OpenFlags
    unreachable: list[PersonToReassign]
    inactive: list[PersonToReassign]


async def office_overview(
    app: App, actor: Actor, month: Month, names_shown: int = NAMES_SHOWN
) -> Overview:
    """The overview of `month` for a town office person or a village admin (NotAllowed else),
    listing up to `names_shown` uncontacted households per village."""
    today = app.clock.today()
    async with app.uow() as uow:
        villages = await readable_villages(uow, actor, None)
        coverage, frozen = await _glance(
            uow, app, month, villages, names_shown, as_sent=actor.office
        )
        trend = [
            _point(coverage.month, coverage.villages, villages),
            *await _earlier_points(uow, app, month, villages),
        ]
        flags = await _open_flags(uow, actor, today)
        unreachable, inactive = await _RECENT.get(
            app,
            "people_to_reassign",
            lambda: people_to_reassign(uow, app.settings, app.clock.now()),
            _recount(app),
        )
    if villages is not None:
        unreachable = [p for p in unreachable if p.person.village_id in villages]
        inactive = [p for p in inactive if p.person.village_id in villages]
    current = month == Month.of(today)
    return Overview(
        month=month,
        is_current=current,
        days_left=days_left_in_month(today) if current else None,
        frozen=frozen,
        coverage=coverage,
        trend=list(reversed(trend)),
        flags=flags,
        unreachable=unreachable,
        inactive=inactive,
    )


async def month_report(app: App, actor: Actor, month: Month) -> tuple[MonthCoverage, bool]:
    """The month's coverage as the reports page shows it, and whether it is frozen (sent):
    the town's as /summary shows it, a village admin's village computed now."""
    async with app.uow() as uow:
        villages = await readable_villages(uow, actor, None)
        return await _coverage(uow, app, month, villages, as_sent=actor.office)


async def _glance(
    uow: UnitOfWork,
    app: App,
    month: Month,
    villages: set[int] | None,
    names_shown: int,
    *,
    as_sent: bool,
) -> tuple[MonthGlance, bool]:
    """What the overview shows of the month: as sent (an office's, once it was), else counted
    at most every `web_overview_seconds` per scope, as `_coverage` counts, but only the
    numbers and names the page shows (month_glance)."""
    if as_sent:
        sent = await sent_summary(uow, month)
        if sent is not None:
            return glance_of(sent.narrowed(villages), names_shown), True
    scope = None if villages is None else frozenset(villages)
    counted = await _RECENT.get(
        app,
        ("glance", month, scope, names_shown),
        lambda: month_glance(uow, month, app.settings.tz, villages, names_shown),
        _recount(app),
    )
    return counted, False


async def _coverage(
    uow: UnitOfWork, app: App, month: Month, villages: set[int] | None, *, as_sent: bool = False
) -> tuple[MonthCoverage, bool]:
    """An office's month as /summary shows it (as sent, once it was, narrowed to the office's
    villages), or the reader's villages computed. A month not sent is counted at most every
    `web_overview_seconds` per scope (the page says when it was): a county's running month
    takes seconds to count."""
    if as_sent:
        sent = await sent_summary(uow, month)
        if sent is not None:
            return sent.narrowed(villages), True
    scope = None if villages is None else frozenset(villages)
    counted = await _RECENT.get(
        app,
        ("coverage", month, scope),
        lambda: month_coverage(uow, month, app.settings.tz, villages),
        _recount(app),
    )
    return counted, False


async def _earlier_points(
    uow: UnitOfWork, app: App, month: Month, villages: set[int] | None
) -> list[TrendPoint]:
    """The 11 months before `month` (newest first). A sent month's numbers are those sent on
    the 1st (the town's, or the reader's villages in it), read once for good, all sent months
    in one statement. A month before the first summary sent has none: the bot did not report
    it (a fresh installation's months before it began, or imported history), so the trend
    leaves it out rather than counting a year of a county's records on a page view. A month
    since then not sent (the 1st's summary not out yet) is counted, every
    `web_overview_seconds`, by the same rules as the running month's."""
    scope = None if villages is None else frozenset(villages)
    months = []
    earlier = month
    for _ in range(TREND_MONTHS - 1):
        earlier = earlier.previous()
        months.append(earlier)
    first_sent = await first_sent_month(uow)
    points: dict[Month, TrendPoint | None] = {
        m: (
            _RECENT.known(app, ("sent", m, scope))
            if first_sent is not None and str(m) >= str(first_sent)
            else TrendPoint(m, 0, 0, reported=False)
        )
        for m in months
    }
    unknown = [m for m, point in points.items() if point is None]
    for sent_month, counts in (await sent_village_counts(uow, unknown)).items():
        point = _sum_point(sent_month, counts, villages)
        _RECENT.keep(app, ("sent", sent_month, scope), point)
        points[sent_month] = point
    for counted_month in [m for m, point in points.items() if point is None]:

        async def counted(counted_month: Month = counted_month) -> TrendPoint:
            window = month_window(uow, counted_month, app.settings.tz, villages)
            return _sum_point(counted_month, await village_counts(uow, window), villages)

        key = ("trend", counted_month, scope)
        points[counted_month] = await _RECENT.get(app, key, counted, _recount(app))
    return [point for point in points.values() if point is not None]  # all known by now


def _sum_point(
    month: Month, counts: dict[int, tuple[int, int]], villages: set[int] | None
) -> TrendPoint:
    shown = [n for village, n in counts.items() if villages is None or village in villages]
    return TrendPoint(month, sum(h for h, _c in shown), sum(c for _h, c in shown))


def _recount(app: App) -> timedelta:
    return timedelta(seconds=app.settings.web_overview_seconds)


class _Remembered:
    """Values kept per database (its session factory) and key, for a while (`for_how_long`)
    or for good (None)."""

    def __init__(self) -> None:
        self._by_database: WeakKeyDictionary[object, dict[Hashable, tuple[datetime, Any]]] = (
            WeakKeyDictionary()
        )

    async def get(
        self,
        app: App,
        key: Hashable,
        compute: Callable[[], Awaitable[T]],
        for_how_long: timedelta | None,
    ) -> T:
        known = self._by_database.setdefault(app.sessions, {})
        now = app.clock.now()
        if key in known:
            at, value = known[key]
            if for_how_long is None or now - at < for_how_long:
                return value  # type: ignore[no-any-return]
        value = await compute()
        known[key] = (now, value)
        return value

    def keep(self, app: App, key: Hashable, value: Any) -> None:
        self._by_database.setdefault(app.sessions, {})[key] = (app.clock.now(), value)

    def known(self, app: App, key: Hashable) -> Any:
        """The value kept for good under the key, or None."""
        at_value = self._by_database.get(app.sessions, {}).get(key)
        return None if at_value is None else at_value[1]


_RECENT = _Remembered()


def _point(month: Month, rows: list[VillageGlance], villages: set[int] | None) -> TrendPoint:
    shown = [v for v in rows if villages is None or v.village_id in villages]
    return TrendPoint(
        month, sum(v.tally.households for v in shown), sum(v.tally.contacted for v in shown)
    )


async def _open_flags(uow: UnitOfWork, actor: Actor, today: date) -> OpenFlags:
    """The open flags the actor sees, by stage, and how many are past their deadline: counted
    in the database (a county has thousands open; the page shows only the counts)."""
    visible = visible_households(actor).subquery()
    approved = RedFlag.removal_approved_at.is_not(None)
    overdue = and_(RedFlag.deadline.is_not(None), RedFlag.deadline < today)
    query = (
        select(RedFlag.status, approved, func.count(), func.sum(case((overdue, 1), else_=0)))
        .where(
            RedFlag.status.in_(OPEN_FLAG_STATUSES), RedFlag.household_id.in_(select(visible.c.id))
        )
        .group_by(RedFlag.status, approved)
    )
    flags = OpenFlags(by_stage=dict.fromkeys(FlagStage.ORDER, 0))
    for status, removal_approved, count, past_deadline in await uow.session.execute(query):
        flags.by_stage[_stage(status, bool(removal_approved))] += count
        flags.overdue += past_deadline
    return flags
