"""Red flags (红色标注): raised by a contact person, a guarantee problem, a rule or the platform.

Raising a flag writes the town office's alert, and the notice to the village's admins (who
help the household and later request the removal), to the outbox in the same transaction,
so they exist exactly when the flag does.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from bot.config import Settings
from bot.core.delivery.kinds import MessageKind
from bot.core.delivery.outbox import VillageAdmins, office_of_household, queue
from bot.core.free_text import required_text
from bot.core.policy import Actor, readable_household
from bot.domain.model import OPEN_FLAG_STATUSES, FlagSource, FlagStatus
from bot.domain.problems import problem_list
from bot.i18n import N_, use_language
from bot.i18n import gettext as _
from bot.storage.models import Household, RedFlag
from bot.storage.uow import App, UnitOfWork

TOWN_OFFICE = "town_office"
FLAG_REASON = N_("Problem found at a contact: {problems}.")
FLAG_REASON_NOTE = N_("Note: {note}")


async def raise_flag(
    uow: UnitOfWork,
    actor: Actor,
    household: Household,
    source: FlagSource,
    reason: str,
    contact_id: int | None = None,
    problems: Sequence[str] = (),
) -> RedFlag:
    """Add a flag and queue its alert; the caller commits. `problems`: the guarantees whose
    problems raised it (a contact's flag)."""
    flag = RedFlag(
        household_id=household.id,
        source=source,
        reason=reason,
        problems=list(problems),
        status=FlagStatus.RAISED,
        raised_by_id=actor.person_id,
        contact_id=contact_id,
        raised_at=uow.clock.now(),
    )
    await uow.add_audited(
        actor,
        flag,
        "red_flag",
        {"household_id": household.id, "source": str(source), "reason": reason},
    )
    await queue(
        uow,
        uow.settings,
        await office_of_household(uow, household.id),
        f"flag:{flag.id}:alert:0",
        MessageKind.FLAG_ALERT,
        {"flag_id": flag.id, "repeat": 0},
        urgent=True,
    )
    await queue(
        uow,
        uow.settings,
        VillageAdmins(household.village_id, or_town_office=False),
        f"flag:{flag.id}:village",
        MessageKind.VILLAGE_FLAG,
        {"flag_id": flag.id},
        # The village helps in the morning: unlike the office's alert, it waits out quiet hours.
    )
    return flag


def problem_reason(settings: Settings, problems: Sequence[str], note: str | None) -> str:
    """A contact's flag's reason, in the town's language (the town office reads it), each
    problem named as a problem: "联系时发现问题：住房安全无保障。"."""
    with use_language(settings.default_language):
        reason = _(FLAG_REASON).format(problems=problem_list(problems))
        if note:
            reason += " " + _(FLAG_REASON_NOTE).format(note=note)
    return reason


async def open_flags(uow: UnitOfWork, household_id: int) -> list[RedFlag]:
    query = (
        select(RedFlag)
        .where(RedFlag.household_id == household_id, RedFlag.status.in_(OPEN_FLAG_STATUSES))
        .order_by(RedFlag.raised_at)
    )
    return list((await uow.session.execute(query)).scalars())


def validate_reason(settings: Settings, reason: str) -> str:
    """The reason for a risk report, trimmed; required, at most `note_max_chars` long and free
    of control characters."""
    return required_text(reason, settings.note_max_chars, N_("Please say what the risk is."))


async def report_risk(app: App, actor: Actor, household_id: int, reason: str) -> RedFlag:
    """A person reports a risk on a household (红色标注): its contact person, the village admin
    of its village, or the town office. The flag, its alert and its audit entry are written
    together. An open flag already on the household does not stop a new report."""
    reason = validate_reason(app.settings, reason)
    async with app.uow() as uow:
        household = await readable_household(uow, actor, household_id)
        flag = await raise_flag(uow, actor, household, FlagSource.CONTACT_PERSON, reason)
        await uow.commit()
    return flag
