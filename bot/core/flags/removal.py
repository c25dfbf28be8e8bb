"""A red flag's way to removal (销号): the village asks, the town reviews, the county decides.

    acknowledged → removal_requested (the village admin of the household's village, a reason)
                 → approved by the town office → county decision recorded → closed
                 ↘ rejected by the town office (a reason) → acknowledged again

Each step is a `FlagStep` row, kept for good, and an audit entry. The town office is told of
a request, the village admins and the household's contact persons of each decision, through
the outbox in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import select

from bot.core.delivery.kinds import MessageKind
from bot.core.delivery.outbox import PersonAudience, TownOffice, VillageAdmins, queue
from bot.core.flags.acknowledgement import WITHDRAWN_FLAG, FlagView, flag_view
from bot.core.free_text import required_text
from bot.core.policy import Act, Actor, readable_flag, require, visible_households
from bot.core.roster.assignments import contact_person_ids
from bot.domain.model import OPEN_FLAG_STATUSES, FlagStatus, Role
from bot.domain.text_rules import DOCUMENT_MAX_CHARS
from bot.errors import Conflict, InvalidInput, NotAllowed
from bot.i18n import N_
from bot.storage.models import FlagStep, Household, RedFlag
from bot.storage.uow import App, UnitOfWork

WAIT_FOR_SIGN_OFF = N_(
    "Next: the town office signs for (acknowledges) this red flag. After that you can request "
    "its removal here; meanwhile, add the measures taken."
)


class StepKind(StrEnum):
    REMOVAL_REQUESTED = "removal_requested"  # 申请销号
    REMOVAL_APPROVED = "removal_approved"  # 乡镇审核通过
    REMOVAL_REJECTED = "removal_rejected"  # 乡镇审核不通过
    COUNTY_DECISION = "county_decision"  # 县级审定, the flag closes


class FlagAct(StrEnum):
    """What a person may do with a flag now; the flag card shows one button each."""

    ACKNOWLEDGE = "ack"
    ADD_MEASURE = "measure"
    REQUEST_REMOVAL = "remove"
    APPROVE = "approve"
    REJECT = "reject"
    COUNTY_DECISION = "county"


@dataclass(frozen=True)
class FlagPanel:
    """A flag with its household, names and steps, and what the actor may do with it."""

    view: FlagView
    steps: list[FlagStep]
    acts: list[FlagAct]
    next_step: str | None = None  # a msgid: what the actor waits for, when no button says it

    @property
    def flag(self) -> RedFlag:
        return self.view.flag

    @property
    def household(self) -> Household:
        return self.view.household

    @property
    def awaiting_county(self) -> bool:
        return self.flag.status == FlagStatus.REMOVAL_REQUESTED and bool(
            self.flag.removal_approved_at
        )


def allowed_acts(actor: Actor, flag: RedFlag, household: Household) -> list[FlagAct]:
    """The acts the roles allow on the flag in its present state."""
    if flag.status not in OPEN_FLAG_STATUSES:
        return []
    town = actor.role == Role.TOWN_OFFICE
    village_admin = actor.role == Role.VILLAGE_ADMIN and actor.village_id == household.village_id
    acts: list[FlagAct] = []
    if town and flag.status == FlagStatus.RAISED:
        acts.append(FlagAct.ACKNOWLEDGE)
    if town or village_admin:
        acts.append(FlagAct.ADD_MEASURE)
    if village_admin and flag.status == FlagStatus.ACKNOWLEDGED:
        acts.append(FlagAct.REQUEST_REMOVAL)
    if town and flag.status == FlagStatus.REMOVAL_REQUESTED:
        if flag.removal_approved_at is None:
            acts += [FlagAct.APPROVE, FlagAct.REJECT]
        else:
            acts.append(FlagAct.COUNTY_DECISION)
    return acts


def next_step(actor: Actor, flag: RedFlag, household: Household) -> str | None:
    """Why the village admin sees no 📝 request removal yet: the town office signs first."""
    village_admin = actor.role == Role.VILLAGE_ADMIN and actor.village_id == household.village_id
    if village_admin and flag.status == FlagStatus.RAISED:
        return WAIT_FOR_SIGN_OFF
    return None


async def steps_of(uow: UnitOfWork, flag_ids: list[int]) -> list[FlagStep]:
    query = (
        select(FlagStep).where(FlagStep.flag_id.in_(flag_ids)).order_by(FlagStep.at, FlagStep.id)
    )
    return list((await uow.session.execute(query)).scalars())


async def flag_panel(app: App, actor: Actor, flag_id: int) -> FlagPanel:
    """The flag, if the actor may read its household (NotAllowed otherwise)."""
    async with app.uow() as uow:
        flag, household = await readable_flag(uow, actor, flag_id)
        view = await flag_view(uow, flag.id)
        assert view is not None
        steps = await steps_of(uow, [flag.id])
        return FlagPanel(
            view, steps, allowed_acts(actor, flag, household), next_step(actor, flag, household)
        )


async def open_flag_panels(app: App, actor: Actor) -> list[FlagPanel]:
    """The open flags the actor may read (the town: all; a village admin: the village's)."""
    async with app.uow() as uow:
        visible = visible_households(actor).subquery()
        query = (
            select(RedFlag, Household)
            .join(Household, Household.id == RedFlag.household_id)
            .where(
                RedFlag.status.in_(OPEN_FLAG_STATUSES),
                RedFlag.household_id.in_(select(visible.c.id)),
            )
            .order_by(RedFlag.raised_at, RedFlag.id)
        )
        rows = (await uow.session.execute(query)).unique().all()
        return [
            FlagPanel(
                FlagView(flag, household, None, None), [], allowed_acts(actor, flag, household)
            )
            for flag, household in rows
        ]


async def request_removal(app: App, actor: Actor, flag_id: int, reason: str) -> FlagStep:
    """The village admin of the household's village asks to remove the risk (申请销号)."""
    reason = required_text(
        reason, app.settings.note_max_chars, N_("Please say why the risk is gone.")
    )
    async with app.uow() as uow:
        flag, household = await readable_flag(uow, actor, flag_id)
        if actor.role != Role.VILLAGE_ADMIN or actor.village_id != household.village_id:
            raise NotAllowed(N_("Only an admin of this household's village can request removal."))
        if flag.status == FlagStatus.RAISED:
            raise Conflict(N_("The town office has not acknowledged this red flag yet."))
        if flag.status != FlagStatus.ACKNOWLEDGED:
            raise Conflict(_state_problem(flag))
        flag.status = FlagStatus.REMOVAL_REQUESTED
        step = await _step(uow, actor, flag, StepKind.REMOVAL_REQUESTED, reason=reason)
        await queue(
            uow,
            uow.settings,
            TownOffice(),
            f"flag:{flag.id}:step:{step.id}",
            MessageKind.FLAG_REMOVAL_REQUEST,
            {"flag_id": flag.id, "step_id": step.id},
        )
        await uow.commit()
        return step


async def review_removal(
    app: App, actor: Actor, flag_id: int, approve: bool, reason: str | None = None
) -> FlagStep:
    """The town office approves the village's request (then the county decides), or rejects
    it with a reason and the flag is acknowledged (open) again."""
    reason = (reason or "").strip() or None
    if not approve or reason is not None:
        reason = required_text(
            reason, app.settings.note_max_chars, N_("Please give the reason for rejecting.")
        )
    async with app.uow() as uow:
        flag, household = await _town_office_flag(uow, actor, flag_id)
        if flag.status != FlagStatus.REMOVAL_REQUESTED or flag.removal_approved_at is not None:
            raise Conflict(_state_problem(flag))
        if approve:
            flag.removal_approved_at = uow.clock.now()
            kind = StepKind.REMOVAL_APPROVED
        else:
            flag.status = FlagStatus.ACKNOWLEDGED
            kind = StepKind.REMOVAL_REJECTED
        step = await _step_for_the_village(uow, actor, flag, household, kind, reason=reason)
        await uow.commit()
        return step


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
    was raised or the town approved its removal, not after today."""
    flag, household = await _town_office_flag(uow, actor, flag_id)
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


async def _town_office_flag(
    uow: UnitOfWork, actor: Actor, flag_id: int
) -> tuple[RedFlag, Household]:
    require(actor, Act.DECIDE_REMOVAL)
    return await readable_flag(uow, actor, flag_id)


def _state_problem(flag: RedFlag) -> str:
    if flag.status == FlagStatus.CLOSED:
        return N_("This red flag is already closed.")
    if flag.status == FlagStatus.WITHDRAWN:
        return WITHDRAWN_FLAG
    if flag.status == FlagStatus.REMOVAL_REQUESTED and flag.removal_approved_at is not None:
        return N_("The town office has approved the removal; the county's decision is awaited.")
    if flag.status == FlagStatus.REMOVAL_REQUESTED:
        return N_("Removal has been requested already and awaits the town office's review.")
    return N_("No removal has been requested for this red flag.")


async def _step(
    uow: UnitOfWork,
    actor: Actor,
    flag: RedFlag,
    kind: StepKind,
    *,
    reason: str | None = None,
    decided_on: date | None = None,
    document: str | None = None,
) -> FlagStep:
    step = FlagStep(
        flag_id=flag.id,
        kind=kind,
        actor_id=actor.person_id,
        actor_label=actor.label,
        at=uow.clock.now(),
        reason=reason,
        decided_on=decided_on,
        document=document,
    )
    uow.session.add(step)
    await uow.session.flush()
    uow.audit_by(
        actor,
        "red_flag",
        flag.id,
        str(kind),
        {
            "status": flag.status,
            "reason": reason,
            "decided_on": None if decided_on is None else decided_on.isoformat(),
            "document": document,
        },
    )
    return step


async def _step_for_the_village(
    uow: UnitOfWork,
    actor: Actor,
    flag: RedFlag,
    household: Household,
    kind: StepKind,
    **details: Any,
) -> FlagStep:
    """A decision on the village's request or on the flag (review, the county's decision),
    recorded and told to the village."""
    step = await _step(uow, actor, flag, kind, **details)
    await _tell_the_village(uow, flag, household, step)
    return step


async def _tell_the_village(
    uow: UnitOfWork, flag: RedFlag, household: Household, step: FlagStep
) -> None:
    """The decision goes to the village admins and to the household's contact persons."""
    key = f"flag:{flag.id}:step:{step.id}"
    payload = {"flag_id": flag.id, "step_id": step.id}
    await queue(
        uow,
        uow.settings,
        VillageAdmins(household.village_id),
        key,
        MessageKind.FLAG_DECISION,
        payload,
    )
    for person_id in await contact_person_ids(uow, household.id):
        await queue(
            uow,
            uow.settings,
            PersonAudience(person_id),
            f"{key}:contact:{person_id}",
            MessageKind.FLAG_DECISION,
            payload,
        )
