"""The red-flags board of the office dashboard (红色预警看板): the flags the actor may read,
in columns by where they stand, deadlines and overdue marked; and one flag's page with its
steps, its household's measures and what the actor may do with it.

Read only; the acts themselves are the bot's use cases (acknowledgement, measures, removal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import ClassVar

from sqlalchemy import ColumnElement, and_, func, or_, select

from bot.core.coverage.overview import FlagStage, flag_stage
from bot.core.flags.acknowledgement import DEADLINE_CHOICES, deadline_can_be_set, flag_view
from bot.core.flags.measures import ACTIVE, MeasureType, measures_of
from bot.core.flags.removal import FlagAct, FlagPanel, allowed_acts, next_step, steps_of
from bot.core.flags.retraction import awaiting_retraction_answer
from bot.core.policy import Act, Actor, may, readable_flag, require, visible_households
from bot.core.roster.towns import county_decides
from bot.domain.model import OPEN_FLAG_STATUSES, Category, FlagStatus
from bot.storage.models import AssistanceMeasure, Household, RedFlag, Town, Village
from bot.storage.uow import App

CLOSED_SHOWN_DAYS = 30  # the closed column shows the flags closed in the last 30 days


class BoardColumn:
    """The board's columns, left to right. `measures` splits the overview's `acknowledged`
    stage: acknowledged flags whose household has measures in place since the flag."""

    RAISED = FlagStage.RAISED
    ACKNOWLEDGED = FlagStage.ACKNOWLEDGED
    MEASURES = "measures"
    REMOVAL_REQUESTED = FlagStage.REMOVAL_REQUESTED
    TOWN_APPROVED = FlagStage.TOWN_APPROVED
    CLOSED = "closed"

    ORDER = (RAISED, ACKNOWLEDGED, MEASURES, REMOVAL_REQUESTED, TOWN_APPROVED, CLOSED)
    # The overview's stage links name its stages; `acknowledged` covers two columns here.
    OF_STAGE: ClassVar[dict[str, tuple[str, ...]]] = {
        FlagStage.RAISED: (RAISED,),
        FlagStage.ACKNOWLEDGED: (ACKNOWLEDGED, MEASURES),
        FlagStage.REMOVAL_REQUESTED: (REMOVAL_REQUESTED,),
        FlagStage.TOWN_APPROVED: (TOWN_APPROVED,),
        CLOSED: (CLOSED,),
    }


@dataclass(frozen=True)
class BoardCard:
    flag: RedFlag
    household: Household
    village: str
    town: str  # the village's town (乡镇): named on the county-wide board
    column: str
    measures: int  # measures in place for this flag
    overdue: bool  # open, and the deadline day is over
    acts: list[FlagAct]
    deadline_settable: bool  # the town office may set a (new) deadline now


@dataclass
class Board:
    columns: dict[str, list[BoardCard]] = field(default_factory=dict)
    overdue: int = 0  # open flags past their deadline, whatever the columns shown
    today: date | None = None
    county_wide: bool = False  # the whole county's flags: each card names its town

    @property
    def total(self) -> int:
        return sum(len(cards) for cards in self.columns.values())


async def flags_board(
    app: App, actor: Actor, stage: str | None = None, overdue_only: bool = False
) -> Board:
    """The open flags the actor may read, and those closed in the last 30 days, by column.
    `stage` (an overview stage or `closed`) keeps its column(s); `overdue_only` the flags
    past their deadline. An unknown stage shows everything."""
    require(actor, Act.USE_DASHBOARD)
    wanted = BoardColumn.OF_STAGE.get(stage or "", BoardColumn.ORDER)
    async with app.uow() as uow:
        today = uow.clock.today()
        closed_since = uow.clock.now() - timedelta(days=CLOSED_SHOWN_DAYS)
        visible = visible_households(actor).subquery()
        in_place = (
            select(func.count(AssistanceMeasure.id))
            .where(_measures_of_flag(), AssistanceMeasure.status == ACTIVE)
            .scalar_subquery()
        )
        query = (
            select(RedFlag, Household, Village.name, Town.name, in_place)
            .join(Household, Household.id == RedFlag.household_id)
            .join(Village, Village.id == Household.village_id)
            .outerjoin(Town, Town.id == Village.town_id)
            .where(
                RedFlag.household_id.in_(select(visible.c.id)),
                or_(
                    RedFlag.status.in_(OPEN_FLAG_STATUSES),
                    and_(RedFlag.status == FlagStatus.CLOSED, RedFlag.closed_at >= closed_since),
                ),
            )
            .order_by(RedFlag.deadline.is_(None), RedFlag.deadline, RedFlag.raised_at, RedFlag.id)
        )
        rows = (await uow.session.execute(query)).unique().all()
        decides = await county_decides(uow)
    board = Board(
        columns={column: [] for column in wanted}, today=today, county_wide=actor.county_wide
    )
    for flag, household, village, town, measures in rows:
        card = _card(actor, flag, household, (village, town or ""), measures, today, decides)
        board.overdue += card.overdue  # of every column: the filter link's number
        if card.column in board.columns and (card.overdue or not overdue_only):
            board.columns[card.column].append(card)
    return board


def _measures_of_flag() -> ColumnElement[bool]:
    """The flag's measures (SQL; `answers` in Python): those added from the flag, and those
    added to its household, from the household's page, since the flag was raised."""
    return and_(
        AssistanceMeasure.household_id == RedFlag.household_id,
        or_(
            AssistanceMeasure.flag_id == RedFlag.id,
            and_(
                AssistanceMeasure.flag_id.is_(None),
                AssistanceMeasure.created_at >= RedFlag.raised_at,
            ),
        ),
    )


def answers(measure: AssistanceMeasure, flag: RedFlag) -> bool:
    """Whether the measure is one of the flag's (as `_measures_of_flag`)."""
    if measure.household_id != flag.household_id:
        return False
    return measure.flag_id == flag.id or (
        measure.flag_id is None and measure.created_at >= flag.raised_at
    )


def _card(
    actor: Actor,
    flag: RedFlag,
    household: Household,
    place: tuple[str, str],  # the village's name and its town's
    measures: int,
    today: date,
    county_decides: bool,
) -> BoardCard:
    return BoardCard(
        flag=flag,
        household=household,
        village=place[0],
        town=place[1],
        column=board_column(flag, measures),
        measures=measures,
        overdue=is_overdue(flag, today),
        acts=allowed_acts(actor, flag, household, county_decides),
        deadline_settable=_deadline_settable(actor, flag, today),
    )


def board_column(flag: RedFlag, measures_in_place: int) -> str:
    if flag.status == FlagStatus.CLOSED:
        return BoardColumn.CLOSED
    stage = flag_stage(flag)
    if stage == FlagStage.ACKNOWLEDGED and measures_in_place:
        return BoardColumn.MEASURES
    return stage


def is_overdue(flag: RedFlag, today: date) -> bool:
    return flag.status in OPEN_FLAG_STATUSES and flag.deadline is not None and flag.deadline < today


def _deadline_settable(actor: Actor, flag: RedFlag, today: date) -> bool:
    return may(actor, Act.ACKNOWLEDGE_FLAG) and deadline_can_be_set(flag, today)


# The acts on the flag's way to removal; ADD_MEASURE works on the household's plan.
STEP_ACTS = frozenset(set(FlagAct) - {FlagAct.ADD_MEASURE})


@dataclass(frozen=True)
class FlagPage:
    """One flag for its page: the panel the bot shows (steps, acts), the household's
    measures (those of this flag first), and the choices its forms offer."""

    panel: FlagPanel
    village: str
    column: str
    overdue: bool
    deadline_settable: bool
    measures: list[AssistanceMeasure]
    no_policy: bool  # 不享受政策: a subsidy needs a stated major event
    today: date
    # The town office was asked to keep or withdraw it (its contact went back): unanswered.
    retraction_asked: bool = False
    deadline_choices: tuple[int, ...] = DEADLINE_CHOICES
    measure_types: tuple[MeasureType, ...] = tuple(MeasureType)

    @property
    def may_change_measures(self) -> bool:
        return FlagAct.ADD_MEASURE in self.panel.acts

    @property
    def has_step_forms(self) -> bool:
        """Whether the page offers a step on the flag itself (not only its measures)."""
        return (
            self.deadline_settable
            or self.retraction_asked
            or any(act in STEP_ACTS for act in self.panel.acts)
        )


async def flag_page(app: App, actor: Actor, flag_id: int) -> FlagPage:
    """The flag, if the actor may read its household (NotAllowed otherwise, the same for a
    flag that does not exist)."""
    require(actor, Act.USE_DASHBOARD)
    async with app.uow() as uow:
        flag, household = await readable_flag(uow, actor, flag_id)
        view = await flag_view(uow, flag.id)
        assert view is not None
        steps = await steps_of(uow, [flag.id])
        village = await uow.session.get(Village, household.village_id)
        measures = await measures_of(uow, household.id)
        today = uow.clock.today()
        decides = await county_decides(uow)
        asked = may(actor, Act.DECIDE_RETRACTION) and await awaiting_retraction_answer(uow, flag)
    # The flag's own first, those in place before those ended, newest first.
    measures.sort(key=lambda m: m.id, reverse=True)
    measures.sort(key=lambda m: (not answers(m, flag), m.status != ACTIVE))
    in_place = sum(1 for m in measures if m.status == ACTIVE and answers(m, flag))
    panel = FlagPanel(
        view,
        steps,
        allowed_acts(actor, flag, household, decides),
        next_step(actor, flag, household),
    )
    return FlagPage(
        panel=panel,
        village=village.name if village else "",
        column=board_column(flag, in_place),
        overdue=is_overdue(flag, today),
        deadline_settable=_deadline_settable(actor, flag, today),
        measures=measures,
        no_policy=household.category == Category.LIFTED_NO_POLICY,
        today=today,
        retraction_asked=asked,
    )
