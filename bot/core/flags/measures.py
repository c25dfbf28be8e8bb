"""The household's assistance plan (一户一方案、一人一措施): measures with a type, what is done,
who is responsible, an amount and a deadline.

The town office, or the village admin of the household's village, adds them. The notice's
rule for households that no longer enjoy policies (不享受政策的脱贫户) is enforced here: a
subsidy needs a stated major event (disaster or family crisis).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from sqlalchemy import select

from bot.config import Settings
from bot.core.flags.acknowledgement import WITHDRAWN_FLAG
from bot.core.free_text import optional_text, required_text
from bot.core.households.my_households import household_name
from bot.core.policy import Actor, readable_household
from bot.domain.model import Category, FlagStatus, Role
from bot.domain.text_rules import NAME_MAX_CHARS
from bot.errors import Conflict, InvalidInput, NotAllowed, NotFound
from bot.i18n import N_, gettext
from bot.storage.models import AssistanceMeasure, Household, RedFlag
from bot.storage.uow import App, UnitOfWork

ACTIVE = "active"  # AssistanceMeasure.status: the measure is in place
ENDED = "ended"  # … it was ended (carried out, or no longer needed)
RESPONSIBLE_MAX_CHARS = NAME_MAX_CHARS  # AssistanceMeasure.responsible: a name or an office
MAX_AMOUNT = Decimal(100_000_000)  # yuan for one measure: anything above is a typing slip


class MeasureType(StrEnum):
    """The measure types of DOMAIN.md, with the Chinese name people know in the comment."""

    DIBAO = "dibao"  # 农村低保
    WUBAO = "wubao"  # 五保/特困供养
    DISABILITY = "disability"  # 残疾人补贴
    MEDICAL = "medical"  # 医保/医疗救助
    TEMPORARY_RELIEF = "temporary_relief"  # 临时救助
    EMERGENCY_FUND = "emergency_fund"  # 乡村救急救难基金
    EDUCATION = "education"  # 教育资助
    HOUSING = "housing"  # 危房改造
    WATER = "water"  # 饮水
    INDUSTRY = "industry"  # 产业扶贫
    EMPLOYMENT = "employment"  # 就业扶贫/公益岗位
    CONSUMPTION = "consumption"  # 消费扶贫
    RELOCATION = "relocation"  # 易地扶贫搬迁后续帮扶
    CREDIT = "credit"  # 金融/小额信贷
    OTHER = "other"  # 其他

    @property
    def label(self) -> str:
        return gettext(MEASURE_LABELS[self])

    @property
    def is_subsidy(self) -> bool:
        return self in SUBSIDIES


MEASURE_LABELS: dict[MeasureType, str] = {
    MeasureType.DIBAO: N_("Rural minimum living allowance"),
    MeasureType.WUBAO: N_("Five guarantees / extreme poverty support"),
    MeasureType.DISABILITY: N_("Disability allowance"),
    MeasureType.MEDICAL: N_("Medical insurance / medical aid"),
    MeasureType.TEMPORARY_RELIEF: N_("Temporary relief"),
    MeasureType.EMERGENCY_FUND: N_("Village emergency relief fund"),
    MeasureType.EDUCATION: N_("Education aid"),
    MeasureType.HOUSING: N_("Dilapidated house renovation"),
    MeasureType.WATER: N_("Drinking water"),
    MeasureType.INDUSTRY: N_("Industry support"),
    MeasureType.EMPLOYMENT: N_("Employment / public welfare job"),
    MeasureType.CONSUMPTION: N_("Help selling farm produce"),
    MeasureType.RELOCATION: N_("Follow-up support after relocation"),
    MeasureType.CREDIT: N_("Finance / microcredit"),
    MeasureType.OTHER: N_("Other"),
}

# Money paid out of poverty-relief or social-assistance funds (财政扶贫资金补贴补助类政策):
# the notice stops these for 不享受政策 households, unless a major event strikes.
SUBSIDIES = frozenset(
    {
        MeasureType.DIBAO,
        MeasureType.WUBAO,
        MeasureType.DISABILITY,
        MeasureType.TEMPORARY_RELIEF,
        MeasureType.EMERGENCY_FUND,
        MeasureType.EDUCATION,
        MeasureType.HOUSING,
    }
)

NO_POLICY_RULE = N_(
    "This household is lifted and no longer enjoys policies (不享受政策). The notice says such "
    "households in principle get no more subsidies, unless a major natural disaster or a major "
    "family crisis causes a problem with the six guarantees that they cannot bear. Please state "
    "the major event to add this subsidy."
)


def parse_amount(text: str) -> Decimal:
    """An amount in yuan a person typed (500, 1,200, 800元): 0 or more, to the fen."""
    cleaned = text.strip().removesuffix("元").replace(",", "").replace("，", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or not Decimal(0) <= amount < MAX_AMOUNT:
        raise InvalidInput(N_("The amount is in yuan, 0 or more, not {value}."), value=text)
    return amount.quantize(Decimal("0.01"))


def validate_what(settings: Settings, what: str | None) -> str:
    """What will be done: required, at most `note_max_chars` characters."""
    return required_text(what, settings.note_max_chars, N_("Please say what will be done."))


def validate_responsible(responsible: str | None) -> str:
    """Who is responsible (责任人): a name or an office, on one line."""
    return required_text(
        responsible, RESPONSIBLE_MAX_CHARS, N_("Please say who is responsible."), one_line=True
    )


def validate_major_event(settings: Settings, major_event: str | None) -> str | None:
    """The major event a subsidy for a 不享受政策 household needs; None when not given."""
    return optional_text(major_event, settings.note_max_chars)


async def household_for_village_work(uow: UnitOfWork, actor: Actor, household_id: int) -> Household:
    """The household, if the actor is the town office or an admin of its village."""
    household = await readable_household(uow, actor, household_id)
    if actor.role == Role.TOWN_OFFICE:
        return household
    if actor.role == Role.VILLAGE_ADMIN and actor.village_id == household.village_id:
        return household
    raise NotAllowed(
        N_("Only the town office or this village's admins can change the assistance plan.")
    )


async def add_measure(
    app: App,
    actor: Actor,
    household_id: int,
    kind: MeasureType | str,
    what: str,
    responsible: str,
    amount: Decimal | None = None,
    deadline: date | None = None,
    major_event: str | None = None,
    flag_id: int | None = None,
) -> AssistanceMeasure:
    """Add a measure to the household's plan, audited. A subsidy for a 不享受政策 household
    without a stated major event is refused with the notice's rule."""
    try:
        kind = MeasureType(kind)
    except ValueError:
        raise InvalidInput(N_("Unknown type of measure.")) from None
    what = validate_what(app.settings, what)
    responsible = validate_responsible(responsible)
    major_event = validate_major_event(app.settings, major_event)
    if amount is not None and amount < 0:
        raise InvalidInput(N_("The amount is in yuan, 0 or more, not {value}."), value=amount)
    async with app.uow() as uow:
        household = await household_for_village_work(uow, actor, household_id)
        today = uow.clock.today()
        if deadline is not None and deadline < today:
            raise InvalidInput(N_("The deadline {day} has already passed."), day=deadline)
        if kind.is_subsidy and household.category == Category.LIFTED_NO_POLICY and not major_event:
            raise InvalidInput(NO_POLICY_RULE)
        if flag_id is not None:
            flag = await uow.session.get(RedFlag, flag_id)
            if flag is None or flag.household_id != household.id:
                raise NotAllowed(N_("That red flag is not on this household."))
            if flag.status == FlagStatus.WITHDRAWN:
                raise Conflict(WITHDRAWN_FLAG)
        measure = AssistanceMeasure(
            household_id=household.id,
            flag_id=flag_id,
            kind=kind,
            what=what,
            responsible=responsible,
            amount=amount,
            started_on=today,
            deadline=deadline,
            status=ACTIVE,
            major_event=major_event,
            created_by_id=actor.person_id,
            created_at=uow.clock.now(),
        )
        await uow.add_audited(
            actor,
            measure,
            "assistance_measure",
            {
                "household_id": household.id,
                "flag_id": flag_id,
                "kind": str(kind),
                "what": what,
                "responsible": responsible,
                "amount": None if amount is None else str(amount),
                "deadline": None if deadline is None else deadline.isoformat(),
                "major_event": major_event,
            },
        )
        await uow.commit()
    return measure


async def end_measure(app: App, actor: Actor, measure_id: int) -> AssistanceMeasure:
    """The measure is no longer in place (carried out, or not needed): kept on record,
    audited. The town office, or an admin of the household's village."""
    async with app.uow() as uow:
        measure = await uow.session.get(AssistanceMeasure, measure_id)
        if measure is None:
            raise NotFound(N_("That measure does not exist."))
        await household_for_village_work(uow, actor, measure.household_id)
        if measure.status != ACTIVE:
            raise Conflict(N_("This measure has already been ended."))
        measure.status = ENDED
        uow.audit_by(
            actor,
            "assistance_measure",
            measure.id,
            "end",
            {"status": [ACTIVE, ENDED], "household_id": measure.household_id},
        )
        await uow.commit()
    return measure


async def measures_of(uow: UnitOfWork, household_id: int) -> list[AssistanceMeasure]:
    query = (
        select(AssistanceMeasure)
        .where(AssistanceMeasure.household_id == household_id)
        .order_by(AssistanceMeasure.created_at, AssistanceMeasure.id)
    )
    return list((await uow.session.execute(query)).scalars())


@dataclass(frozen=True)
class MeasureTarget:
    """The household a measure form is for, once the actor may plan for it."""

    household_id: int
    name: str  # 张桂英（3组）
    no_policy: bool  # 不享受政策: a subsidy needs a stated major event

    def needs_major_event(self, kind: MeasureType) -> bool:
        return self.no_policy and kind.is_subsidy


async def measure_target(app: App, actor: Actor, household_id: int) -> MeasureTarget:
    """Checked when a measure form starts, so a wrong role is refused before any typing."""
    async with app.uow() as uow:
        household = await household_for_village_work(uow, actor, household_id)
        return MeasureTarget(
            household.id,
            household_name(household),
            household.category == Category.LIFTED_NO_POLICY,
        )
