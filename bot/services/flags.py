"""Red flags (红色标注): raised by a contact person, a guarantee problem, a rule or the platform.

Raising a flag writes the town office's alert to the outbox in the same transaction, so an
alert exists exactly when the flag does.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.domain.model import OPEN_FLAG_STATUSES, FlagSource, FlagStatus
from bot.services.access import Actor
from bot.storage.models import Household, RedFlag
from bot.storage.uow import UnitOfWork

TOWN_OFFICE = "town_office"


async def raise_flag(
    uow: UnitOfWork,
    actor: Actor,
    household: Household,
    source: FlagSource,
    reason: str,
    contact_id: int | None = None,
) -> RedFlag:
    """Add a flag and queue its alert; the caller commits."""
    flag = RedFlag(
        household_id=household.id,
        source=source,
        reason=reason,
        status=FlagStatus.RAISED,
        raised_by_id=actor.person_id,
        contact_id=contact_id,
        raised_at=uow.clock.now(),
    )
    uow.session.add(flag)
    await uow.session.flush()
    uow.audit(
        actor.person_id,
        actor.label,
        "red_flag",
        flag.id,
        "create",
        {"household_id": household.id, "source": str(source), "reason": reason},
    )
    uow.queue_message(
        key=f"flag:{flag.id}:alert:0",
        kind="flag_alert",
        recipient=TOWN_OFFICE,
        payload={"flag_id": flag.id, "repeat": 0},
        urgent=True,
    )
    return flag


async def open_flags(uow: UnitOfWork, household_id: int) -> list[RedFlag]:
    query = (
        select(RedFlag)
        .where(RedFlag.household_id == household_id, RedFlag.status.in_(OPEN_FLAG_STATUSES))
        .order_by(RedFlag.raised_at)
    )
    return list((await uow.session.execute(query)).scalars())
