"""Red flags (红色预警): the board by state, one flag's page, and the bot's acts on a flag as
forms — acknowledge, deadline, add or end a measure, request / approve / reject removal, the
county's decision — each the bot's own use case (which checks who may, and audits)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from aiohttp import web
from multidict import MultiDictProxy

from bot.core.dates import parse_day
from bot.core.flags.acknowledgement import DEADLINE_CHOICES, acknowledge, set_deadline
from bot.core.flags.board import BoardColumn, flag_page, flags_board
from bot.core.flags.county_decision import record_county_decision
from bot.core.flags.measures import MEASURE_LABELS, add_measure, end_measure, parse_amount
from bot.core.flags.removal import request_removal, review_removal
from bot.core.flags.retraction import decide_retraction
from bot.core.policy import Actor
from bot.domain.model import FlagStatus
from bot.errors import InvalidInput, NotFound
from bot.i18n import N_
from bot.storage.uow import App
from bot.web.labels import STEP_LABELS
from bot.web.pages import app_of, render, see_other, signed_in
from bot.web.views.reach import form_of, out_of_reach_is_not_found, row_id

routes = web.RouteTableDef()
FLAG = r"/web/flags/{flag_id:\d{1,9}}"

COLUMN_LABELS = {
    BoardColumn.RAISED: N_("Raised"),
    BoardColumn.ACKNOWLEDGED: N_("Acknowledged"),
    BoardColumn.MEASURES: N_("Measures in place"),
    BoardColumn.REMOVAL_REQUESTED: N_("Removal requested"),
    BoardColumn.TOWN_APPROVED: N_("Town approved"),
    BoardColumn.CLOSED: N_("Closed by the county"),
    FlagStatus.WITHDRAWN: N_("Withdrawn (retracted)"),  # a flag's page only, never a column
}
# What the page says after an act (?done=…): a fixed text, so the URL carries no message.
DONE = {
    "ack": N_("Acknowledged."),
    "deadline": N_("The deadline is set."),
    "measure": N_("The measure is added to the household's plan."),
    "ended": N_("The measure is ended; it stays on record."),
    "removal": N_("Removal requested: the town office will review it."),
    "approved": N_("Removal approved: the county's decision is awaited."),
    "rejected": N_("Removal rejected: the village has been told why."),
    "county": N_("The county's decision is recorded: the red flag is closed."),
    "kept": N_("The red flag is kept: it stays open."),
    "withdrawn": N_("The red flag is withdrawn: it no longer counts anywhere."),
}
NO_DEADLINE = N_("Choose 7, 15 or 30 days.")
NO_DECISION = N_("Choose approve or reject.")
NO_ANSWER = N_("Choose keep or withdraw.")


@routes.get("/web/flags")
@signed_in
async def board(request: web.Request, actor: Actor) -> web.StreamResponse:
    stage = request.query.get("stage")
    overdue = request.query.get("overdue") == "1"
    found = await flags_board(app_of(request), actor, stage, overdue)
    return render(
        request,
        "flags.html",
        page="flags",
        board=found,
        stage=stage if stage in BoardColumn.OF_STAGE else None,
        overdue=overdue,
        labels=COLUMN_LABELS,
        deadline_choices=DEADLINE_CHOICES,
        done=DONE.get(request.query.get("done", "")),
    )


@routes.get(FLAG)
@signed_in
@out_of_reach_is_not_found
async def flag(request: web.Request, actor: Actor) -> web.StreamResponse:
    found = await flag_page(app_of(request), actor, row_id(request, "flag_id"))
    return render(
        request,
        "flag.html",
        page="flags",
        f=found,
        labels=COLUMN_LABELS,
        step_labels=STEP_LABELS,
        measure_labels=MEASURE_LABELS,
        done=DONE.get(request.query.get("done", "")),
    )


Form = MultiDictProxy[str]
FlagAct = Callable[[App, Actor, int, Form], Awaitable[str]]


def flag_action(suffix: str) -> Callable[[FlagAct], FlagAct]:
    """A POST on one flag: `act(app, actor, flag_id, form)` calls the use case and names what
    was done (a key of DONE); then post/redirect/get, to the board when the act was pressed
    there, else to the flag's page."""

    def register(act: FlagAct) -> FlagAct:
        @routes.post(FLAG + suffix)
        @signed_in
        @out_of_reach_is_not_found
        @functools.wraps(act)
        async def view(request: web.Request, actor: Actor) -> web.StreamResponse:
            flag_id = row_id(request, "flag_id")
            form = await form_of(request)
            done = await act(app_of(request), actor, flag_id, form)
            raise _back(request, flag_id, done, form)

        return act

    return register


@flag_action("/acknowledge")
async def acknowledged(app: App, actor: Actor, flag_id: int, form: Form) -> str:
    await acknowledge(app, actor, flag_id)
    return "ack"


@flag_action("/deadline")
async def deadline(app: App, actor: Actor, flag_id: int, form: Form) -> str:
    days = form.get("days", "")
    if not days.isdigit() or len(days) > 3:
        raise InvalidInput(NO_DEADLINE)
    await set_deadline(app, actor, flag_id, int(days))
    return "deadline"


@flag_action("/measures")
async def measure_added(app: App, actor: Actor, flag_id: int, form: Form) -> str:
    household = form.get("household", "")
    if not household.isdigit() or len(household) > 9:
        raise NotFound(N_("That household does not exist."))
    amount = form.get("amount", "").strip()
    day = form.get("deadline", "").strip()
    await add_measure(
        app,
        actor,
        int(household),
        form.get("kind", ""),
        form.get("what", ""),
        form.get("responsible", ""),
        amount=parse_amount(amount) if amount else None,
        deadline=parse_day(day, app.clock.today()) if day else None,
        major_event=form.get("major_event") or None,
        flag_id=flag_id,
    )
    return "measure"


@flag_action("/removal")
async def removal_requested(app: App, actor: Actor, flag_id: int, form: Form) -> str:
    await request_removal(app, actor, flag_id, form.get("reason", ""))
    return "removal"


def _decision(form: Form, yes: str, no: str, refusal: str) -> bool:
    """Which of a form's two buttons (name "decision") was pressed: `yes` or `no`."""
    decision = form.get("decision")
    if decision not in (yes, no):
        raise InvalidInput(refusal)
    return decision == yes


@flag_action("/review")
async def removal_reviewed(app: App, actor: Actor, flag_id: int, form: Form) -> str:
    approve = _decision(form, "approve", "reject", NO_DECISION)
    await review_removal(app, actor, flag_id, approve, form.get("reason"))
    return "approved" if approve else "rejected"


@flag_action("/retraction")
async def retraction_decided(app: App, actor: Actor, flag_id: int, form: Form) -> str:
    """The question the bot asks when a flag's contact went back: the same use case."""
    withdraw = _decision(form, "withdraw", "keep", NO_ANSWER)
    await decide_retraction(app, actor, flag_id, withdraw)
    return "withdrawn" if withdraw else "kept"


@flag_action("/county")
async def county_decided(app: App, actor: Actor, flag_id: int, form: Form) -> str:
    decided_on = parse_day(form.get("decided_on", ""), app.clock.today())
    await record_county_decision(app, actor, flag_id, decided_on, form.get("document", ""))
    return "county"


@routes.post(r"/web/measures/{measure_id:\d{1,9}}/end")
@signed_in
@out_of_reach_is_not_found
async def measure_ended(request: web.Request, actor: Actor) -> web.StreamResponse:
    measure = await end_measure(app_of(request), actor, row_id(request, "measure_id"))
    form = await form_of(request)
    flag_id = form.get("flag", "")
    if flag_id.isdigit() and len(flag_id) <= 9:
        raise _back(request, int(flag_id), "ended", form)
    raise see_other(request, f"/web/households/{measure.household_id}")


def _back(request: web.Request, flag_id: int, done: str, form: Form) -> web.HTTPSeeOther:
    if form.get("back") == "board":
        return see_other(request, f"/web/flags?done={done}#flag-{flag_id}")
    return see_other(request, f"/web/flags/{flag_id}?done={done}")
