"""Accounts that guess invitation codes are paused: after 5 wrong `/start` codes within 10
minutes, a Telegram account is refused for an hour, without its code even being looked at."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.errors import NotAllowed
from bot.i18n import N_
from bot.storage.models import StartAttempt
from bot.storage.uow import UnitOfWork

WRONG_CODES_ALLOWED = 5
WRONG_CODE_WINDOW = timedelta(minutes=10)
LOCKOUT = timedelta(hours=1)

LOCKED_OUT = N_("Too many wrong invitation codes. For safety, please try again after {time}.")


def record_wrong_code(uow: UnitOfWork, telegram_user_id: int, now: datetime) -> None:
    """A wrong, used or expired code; the caller commits."""
    uow.session.add(StartAttempt(telegram_user_id=telegram_user_id, at=now))


async def refuse_if_guessing(uow: UnitOfWork, telegram_user_id: int, now: datetime) -> None:
    """Refuse the account for an hour after 5 wrong codes within 10 minutes."""
    since = now - LOCKOUT - WRONG_CODE_WINDOW
    times = list(
        (
            await uow.session.execute(
                select(StartAttempt.at)
                .where(StartAttempt.telegram_user_id == telegram_user_id, StartAttempt.at > since)
                .order_by(StartAttempt.at)
            )
        ).scalars()
    )
    span = WRONG_CODES_ALLOWED - 1
    paused_until = max(
        (
            times[i] + LOCKOUT
            for i in range(span, len(times))
            if times[i] - times[i - span] <= WRONG_CODE_WINDOW
        ),
        default=None,
    )
    if paused_until is not None and now < paused_until:
        raise NotAllowed(LOCKED_OUT, time=_local_minute(uow, paused_until))


def _local_minute(uow: UnitOfWork, instant: datetime) -> str:
    """The local time, rounded up to the minute so "after 11:05" is never too early."""
    seconds = instant.timestamp()
    rounded = datetime.fromtimestamp(math.ceil(seconds / 60) * 60, uow.clock.tz)
    if rounded.date() == uow.clock.today():
        return rounded.strftime("%H:%M")
    return rounded.strftime("%Y-%m-%d %H:%M")
