"""The county's decision (县级审定) on a removal the town approved: recorded by the county
office in the bot once one of its people has opened their invitation; until then the town
office records it on the county's behalf (date and document number). It closes the flag
(销号), and the village admins and contact persons are told."""

from __future__ import annotations

from datetime import date

from bot.core.flags.removal import StepKind, _step_for_the_village
from bot.core.free_text import required_text
from bot.core.policy import Act, Actor, readable_flag, require
from bot.core.roster.towns import county_decides
from bot.domain.model import FlagStatus, Role
from bot.domain.text_rules import DOCUMENT_MAX_CHARS
from bot.errors import Conflict, InvalidInput, NotAllowed
from bot.i18n import N_
from bot.storage.models import FlagStep, Household, RedFlag
from bot.storage.uow import App, UnitOfWork

COUNTY_RECORDS_IT = N_(
    "The county office now records its decisions in the bot itself: no need to type the "
    "county's document number here."
)


async def record_county_decision(
    app: App, actor: Actor, flag_id: int, decided_on: date, document: str
) -> FlagStep:
    """The county's decision (date, document number) closes the flag (销号)."""
    document = _county_document(document)
    async with app.uow() as uow:
        flag, household = await _county_decision_due(uow, actor, flag_id, decided_on)
        flag.status = FlagStatus.CLOSED
        flag.closed_at = uow.clock.now()
        flag.county_decided_on = decided_on
        flag.county_document = document
        step = await _step_for_the_village(
            uow,
            actor,
            flag,
            household,
            StepKind.COUNTY_DECISION,
            decided_on=decided_on,
            document=document,
        )
        await uow.commit()
        return step


async def check_county_decision(
    app: App, actor: Actor, flag_id: int, decided_on: date, document: str
) -> str:
    """The county's decision checked as `record_county_decision` will check it, before the
    confirm screen shows it; returns the document number as it will be recorded."""
    document = _county_document(document)
    await check_county_decision_day(app, actor, flag_id, decided_on)
    return document


async def check_county_decision_day(app: App, actor: Actor, flag_id: int, decided_on: date) -> None:
    """The decision day alone, checked as soon as it is typed (before the document number)."""
    async with app.uow() as uow:
        await _county_decision_due(uow, actor, flag_id, decided_on)


def _county_document(document: str) -> str:
    return required_text(
        document,
        DOCUMENT_MAX_CHARS,
        N_("Please give the county's document number."),
        one_line=True,
    )


async def _county_decision_due(
    uow: UnitOfWork, actor: Actor, flag_id: int, decided_on: date
) -> tuple[RedFlag, Household]:
    """The flag, awaiting the county, and a decision day that can be true: not before the flag
    was raised or the town approved its removal, not after today. The county office decides
    once one of its people uses the bot; till then the town office records it."""
    require(actor, Act.RECORD_COUNTY_DECISION)
    if actor.role != Role.COUNTY_OFFICE and await county_decides(uow):
        raise NotAllowed(COUNTY_RECORDS_IT)
    flag, household = await readable_flag(uow, actor, flag_id)
    if flag.status != FlagStatus.REMOVAL_REQUESTED or flag.removal_approved_at is None:
        raise Conflict(N_("The town office must approve the removal before the county's decision."))
    if decided_on > uow.clock.today():
        raise InvalidInput(N_("The decision date {day} is in the future."), day=decided_on)
    # Each day the decision cannot precede, by its name in the refusal, in the order checked.
    earliest = {
        "raised": (
            uow.clock.local_date(flag.raised_at),
            N_("The decision date {day} is before the red flag was raised ({raised})."),
        ),
        "approved": (
            uow.clock.local_date(flag.removal_approved_at),
            N_("The decision date {day} is before the town approved the removal ({approved})."),
        ),
    }
    for name, (since, refusal) in earliest.items():
        if decided_on < since:
            raise InvalidInput(refusal, day=decided_on, **{name: since})
    return flag, household
