"""What the town office does with a red flag's alert (红色预警), and when it is told again.

The town office acknowledges a flag (recording who and when) and sets a deadline to remove
the risk (限期消除风险点: 7, 15 or 30 days). A flag still unacknowledged after
`flag_ack_hours`, or open past its deadline, is alerted again, once per occasion.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import aliased

from bot.clock import local_minute
from bot.config import Settings
from bot.core.delivery.kinds import MessageKind
from bot.core.delivery.outbox import office_of_household, queue
from bot.core.policy import Act, Actor, readable_flag, require
from bot.domain.model import OPEN_FLAG_STATUSES, FlagStatus
from bot.errors import Conflict, InvalidInput
from bot.i18n import N_
from bot.storage.models import Household, OutboxMessage, Person, RedFlag
from bot.storage.uow import App, UnitOfWork

WITHDRAWN_FLAG = N_("This red flag was withdrawn: there is nothing to do with it.")
DEADLINE_CHOICES = (7, 15, 30)  # the buttons under an alert; a deadline is one of these
# A deadline is for removing the risk: it stops mattering once the village asks for removal.
DEADLINE_STATUSES = (FlagStatus.RAISED, FlagStatus.ACKNOWLEDGED)
REMOVAL_ASKED = N_(
    "The village has asked for this red flag's removal: no deadline is needed now. Please "
    "review the request (📋 Details); if you reject it, a new deadline can be set."
)
REMOVAL_APPROVED = N_(
    "The town office has approved this red flag's removal and the county's decision is "
    "awaited: no deadline is needed."
)

# Why an alert was sent again; kept in the outbox payload so each occasion is alerted once.
UNACKNOWLEDGED = "unacknowledged"
DEADLINE_PASSED = "deadline"


@dataclass(frozen=True)
class FlagView:
    """A flag with the names an alert shows."""

    flag: RedFlag
    household: Household
    raised_by: str | None
    acknowledged_by: str | None

    @property
    def is_open(self) -> bool:
        return self.flag.status in OPEN_FLAG_STATUSES


async def flag_view(uow: UnitOfWork, flag_id: int) -> FlagView | None:
    raiser = aliased(Person)
    acknowledger = aliased(Person)
    query = (
        select(RedFlag, Household, raiser.name, acknowledger.name)
        .join(Household, Household.id == RedFlag.household_id)
        .outerjoin(raiser, raiser.id == RedFlag.raised_by_id)
        .outerjoin(acknowledger, acknowledger.id == RedFlag.acknowledged_by_id)
        .where(RedFlag.id == flag_id)
    )
    row = (await uow.session.execute(query)).unique().one_or_none()
    return None if row is None else FlagView(*row)


async def acknowledge(app: App, actor: Actor, flag_id: int) -> FlagView:
    """The town office confirms it has seen the flag; the first to press is recorded."""
    async with app.uow() as uow:
        flag = await _flag_for_town_office(uow, actor, flag_id)
        if not await _record_acknowledgement(uow, actor, flag):
            view = await flag_view(uow, flag_id)
            assert view is not None
            raise Conflict(
                N_("Already acknowledged by {name} on {when}."),
                name=view.acknowledged_by or "—",
                when=local_minute(flag.acknowledged_at, app.settings.tz),
            )
        await uow.commit()
        return await _fresh_view(uow, flag_id)


async def set_deadline(app: App, actor: Actor, flag_id: int, days: int) -> FlagView:
    """The town office gives the village `days` to remove the risk. Setting a deadline also
    acknowledges a flag nobody had acknowledged yet. A deadline stands until it has passed
    (then a new one may be set): a second press, or a colleague's, changes nothing."""
    if days not in DEADLINE_CHOICES:
        raise InvalidInput(N_("A deadline is 7, 15 or 30 days."))
    async with app.uow() as uow:
        flag = await _flag_for_town_office(uow, actor, flag_id)
        if flag.status == FlagStatus.REMOVAL_REQUESTED:
            raise Conflict(
                REMOVAL_APPROVED if flag.removal_approved_at is not None else REMOVAL_ASKED
            )
        if deadline_stands(flag, uow.clock.today()):
            assert flag.deadline is not None
            raise Conflict(
                N_("The deadline is already set: remove the risk by {deadline}."),
                deadline=flag.deadline.isoformat(),
            )
        # Acknowledges it unless someone already did (perhaps a moment ago).
        await _record_acknowledgement(uow, actor, flag)
        old = flag.deadline
        flag.deadline = uow.clock.today() + timedelta(days=days)
        uow.audit_by(
            actor,
            "red_flag",
            flag.id,
            "set_deadline",
            {"deadline": [_iso(old), flag.deadline.isoformat()], "days": days},
        )
        await uow.commit()
        return await _fresh_view(uow, flag_id)


def deadline_stands(flag: RedFlag, today: date) -> bool:
    """Whether the flag has a deadline that has not passed yet."""
    return flag.deadline is not None and flag.deadline >= today


def deadline_can_be_set(flag: RedFlag, today: date) -> bool:
    """Whether a (new) deadline makes sense: the risk is still being removed (no removal asked
    for, or the town sent the request back) and no deadline stands."""
    return flag.status in DEADLINE_STATUSES and not deadline_stands(flag, today)


async def queue_flag_realerts(uow: UnitOfWork, settings: Settings, now: datetime) -> int:
    """Alert the town office again about flags unacknowledged for `flag_ack_hours`, and about
    flags past their deadline whose removal nobody has asked for yet (once asked, the town
    office's review is the next step, not the deadline). Each occasion is alerted once,
    whenever this runs."""
    today = now.astimezone(settings.tz).date()
    unacknowledged_since = now - timedelta(hours=settings.flag_ack_hours)
    query = (
        select(RedFlag)
        .where(
            or_(
                (RedFlag.status == FlagStatus.RAISED) & (RedFlag.raised_at <= unacknowledged_since),
                RedFlag.status.in_(DEADLINE_STATUSES) & (RedFlag.deadline < today),
            )
        )
        .order_by(RedFlag.id)
    )
    queued = 0
    for flag in (await uow.session.execute(query)).scalars():
        for occasion in _occasions(flag, today, unacknowledged_since):
            queued += await _realert(uow, settings, flag, occasion)
    return queued


def _occasions(flag: RedFlag, today: date, unacknowledged_since: datetime) -> list[str]:
    occasions = []
    if flag.status == FlagStatus.RAISED and flag.raised_at <= unacknowledged_since:
        occasions.append(UNACKNOWLEDGED)
    if flag.status in DEADLINE_STATUSES and flag.deadline is not None and flag.deadline < today:
        occasions.append(f"{DEADLINE_PASSED}:{flag.deadline.isoformat()}")
    return occasions


async def _realert(uow: UnitOfWork, settings: Settings, flag: RedFlag, occasion: str) -> int:
    """Queue repeat number n+1 for the occasion, unless an alert for it exists already."""
    earlier = (
        await uow.session.execute(
            select(OutboxMessage.payload).where(OutboxMessage.key.like(f"flag:{flag.id}:alert:%"))
        )
    ).scalars()
    payloads = list(earlier)
    if any(payload.get("occasion") == occasion for payload in payloads):
        return 0
    repeat = 1 + max((int(payload.get("repeat", 0)) for payload in payloads), default=0)
    return await queue(
        uow,
        settings,
        await office_of_household(uow, flag.household_id),
        f"flag:{flag.id}:alert:{repeat}",
        MessageKind.FLAG_ALERT,
        {
            "flag_id": flag.id,
            "repeat": repeat,
            "occasion": occasion,
            "hours": settings.flag_ack_hours,
        },
        # A risk nobody has seen is urgent at any hour; a passed deadline can wait for morning.
        urgent=occasion == UNACKNOWLEDGED,
    )


async def _flag_for_town_office(uow: UnitOfWork, actor: Actor, flag_id: int) -> RedFlag:
    require(actor, Act.ACKNOWLEDGE_FLAG)
    flag, _household = await readable_flag(uow, actor, flag_id)
    if flag.status == FlagStatus.CLOSED:
        raise Conflict(N_("This red flag is already closed."))
    if flag.status == FlagStatus.WITHDRAWN:
        raise Conflict(WITHDRAWN_FLAG)
    return flag


async def _record_acknowledgement(uow: UnitOfWork, actor: Actor, flag: RedFlag) -> bool:
    """Acknowledge the flag if it is still raised; False if someone else was first.

    A conditional UPDATE, not a read-then-write: two people pressing ✅ at the same moment
    both read "raised", but only one UPDATE finds it still raised."""
    if flag.status != FlagStatus.RAISED:
        return False
    claimed = await uow.session.execute(
        update(RedFlag)
        .where(RedFlag.id == flag.id, RedFlag.status == FlagStatus.RAISED)
        .values(
            status=FlagStatus.ACKNOWLEDGED,
            acknowledged_by_id=actor.person_id,
            acknowledged_at=uow.clock.now(),
        )
        .execution_options(synchronize_session=False)
    )
    await uow.session.refresh(flag)  # the winner's name and time, if it was not us
    if claimed.rowcount != 1:
        return False
    uow.audit_by(
        actor,
        "red_flag",
        flag.id,
        "acknowledge",
        {"status": [FlagStatus.RAISED.value, FlagStatus.ACKNOWLEDGED.value]},
    )
    return True


async def _fresh_view(uow: UnitOfWork, flag_id: int) -> FlagView:
    view = await flag_view(uow, flag_id)
    assert view is not None
    return view


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
