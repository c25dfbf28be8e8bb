"""Roster changes decided at a meeting (会议记录): 🔁 change a household's category and ➖
adjust it out (buttons in its history), /newhousehold for a newly found one. Each asks the
meeting date and the reason, then shows a confirm screen. Runs in the private chat."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.dates import parse_day
from bot.core.households.my_households import household_line, household_name
from bot.core.policy import Actor
from bot.core.roster import changes as roster_changes
from bot.core.roster.columns import COLUMNS
from bot.core.roster.rows import RosterRejected
from bot.domain.model import ROSTER_NAME_BY_CATEGORY, Category
from bot.domain.text_rules import NAME_MAX_CHARS, SHORT_CODE_MAX_CHARS
from bot.errors import DomainError
from bot.handlers import dialogs
from bot.handlers.dialogs import TYPE_A_DAY, Dialog, FormButton
from bot.i18n import N_, join_list
from bot.i18n import gettext as _
from bot.messages.keyboards import HouseholdAct, HouseholdAction, RowId, inline_grid
from bot.storage.uow import App
from bot.telegram.filters import FreeText
from bot.text_preview import IN_FULL, preview

ASK_MEETING_DAY = N_(
    "{change} for {household}.\nOn what day did the meeting decide it (会议记录日期)? "
    "Type it like 3月6日, or /cancel."
)
ASK_REASON = N_("Why? Type the reason as the meeting record gives it (at most {limit} characters).")
CHANGES = {
    "category": N_("🔁 Change category to {category}"),
    "adjust": N_("➖ Adjust out (动态调整掉)"),
    "add": N_("➕ Add a newly found household"),
}


class MeetingForm(StatesGroup):
    cells = State()  # /newhousehold: the household's lines
    day = State()
    reason = State()
    confirm = State()


class CategoryPick(CallbackData, prefix="cp"):
    household_id: RowId
    category: str


class MeetingStep(CallbackData, prefix="mt"):
    action: FormButton


def _change(data: dict[str, Any]) -> str:
    text = _(CHANGES[data["change"]])
    category = data.get("category")
    return text.format(category=Category(category).label) if category else text


def confirm_step(data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    text = "\n".join(
        [
            _("Save this change?"),
            "",
            f"{_change(data)}: {data['household']}",
            _("Meeting date: {day}").format(day=data["meeting_on"]),
            _("Reason: {reason}").format(reason=preview(data["reason"], IN_FULL)),
        ]
    )
    buttons = [
        (_("✅ Save"), MeetingStep(action=FormButton.SAVE)),
        (_("✖️ Cancel"), MeetingStep(action=FormButton.CANCEL)),
    ]
    return text, inline_grid(buttons, columns=2)


async def choose_category(
    query: CallbackQuery, callback_data: HouseholdAction, actor: Actor
) -> None:
    try:
        roster_changes.town_office_only(actor)
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)
        return
    await query.answer()
    buttons = [
        (category.label, CategoryPick(household_id=callback_data.household_id, category=category))
        for category in Category
    ]
    if isinstance(query.message, Message):
        await query.message.answer(
            _("Which category?"), reply_markup=inline_grid(buttons, columns=2)
        )


async def _begin(
    query: CallbackQuery,
    app: App,
    actor: Actor,
    state: FSMContext,
    bot: Bot,
    household_id: int,
    data: dict[str, Any],
) -> None:
    try:
        roster_changes.town_office_only(actor)
        line = await household_line(app, actor, household_id)
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)
        return
    data = {**data, "household_id": household_id, "household": household_name(line)}
    text = _(ASK_MEETING_DAY).format(change=_change(data), household=data["household"])
    await dialogs.begin_in_private(query, state, bot, MeetingForm.day, data, text)


async def category_picked(
    query: CallbackQuery,
    callback_data: CategoryPick,
    app: App,
    actor: Actor,
    state: FSMContext,
    bot: Bot,
) -> None:
    if callback_data.category not in set(Category):
        await query.answer()
        return
    data = {"change": "category", "category": callback_data.category}
    await _begin(query, app, actor, state, bot, callback_data.household_id, data)


async def adjust_out(
    query: CallbackQuery,
    callback_data: HouseholdAction,
    app: App,
    actor: Actor,
    state: FSMContext,
    bot: Bot,
) -> None:
    await _begin(query, app, actor, state, bot, callback_data.household_id, {"change": "adjust"})


async def new_household(message: Message, actor: Actor, state: FSMContext) -> None:
    try:
        roster_changes.town_office_only(actor)
    except DomainError as error:
        await message.answer(error.render())
        return
    await state.set_state(MeetingForm.cells)
    await state.set_data({"change": "add"})
    template = "\n".join(f"{column.header}：" for column in COLUMNS)
    await message.answer(_ask_cells())
    await message.answer(template)


async def cells_typed(message: Message, state: FSMContext, app: App) -> None:
    cells: dict[str, object] = {}
    for line in (message.text or "").splitlines():
        header, colon, value = line.replace(":", "：").partition("：")
        if colon:
            cells["".join(header.split())] = value.strip() or None
    try:  # checked now, so nobody types a meeting record for a row that cannot be saved
        roster_changes.check_new_household(cells, app.clock.today())
    except RosterRejected as rejected:
        problems = [f"{p.column}: {p.render()}" for p in rejected.problems]
        await message.answer(
            "\n".join([_("Please correct these and send the lines again:"), *problems])
        )
        return
    data = await state.update_data(cells=cells, household=cells.get("户主姓名") or "—")
    await state.set_state(MeetingForm.day)
    await message.answer(
        _(ASK_MEETING_DAY).format(change=_change(data), household=data["household"])
    )


async def day_typed(message: Message, app: App, state: FSMContext) -> None:
    try:
        day = parse_day(message.text or "", app.clock.today())
        roster_changes.meeting_record(app, day, "-")  # the day's own rules, before the reason
    except DomainError as error:
        await message.answer(error.render())
        return
    await state.update_data(meeting_on=day.isoformat())
    await state.set_state(MeetingForm.reason)
    await message.answer(_(ASK_REASON).format(limit=app.settings.note_max_chars))


async def reason_typed(message: Message, app: App, state: FSMContext) -> None:
    try:  # the meeting record's own rule, now: an over-long reason is refused with its limit
        reason = roster_changes.meeting_reason(app.settings, message.text)
    except DomainError as error:
        await message.answer(error.render())
        return
    await dialogs.answer_with_step(message, state, MeetingForm.confirm, confirm_step, reason=reason)


async def save(query: CallbackQuery, app: App, actor: Actor, state: FSMContext) -> None:
    data = await dialogs.finish_form(state)
    await query.answer()
    try:
        meeting = roster_changes.meeting_record(
            app, date.fromisoformat(data["meeting_on"]), data["reason"]
        )
        if data["change"] == "category":
            await roster_changes.change_category(
                app, actor, data["household_id"], Category(data["category"]), meeting
            )
        elif data["change"] == "adjust":
            await roster_changes.adjust_out(app, actor, data["household_id"], meeting)
        else:
            await roster_changes.add_household(app, actor, data["cells"], meeting)
    except RosterRejected as rejected:
        problems = [f"{p.column}: {p.render()}" for p in rejected.problems]
        await dialogs.replace_pressed(
            query,
            "\n".join([_("Not saved. Please fix these and use /newhousehold again:"), *problems]),
            None,
        )
        return
    except DomainError as error:
        await dialogs.not_saved(query, error)
        return
    await dialogs.replace_pressed(
        query,
        _("✅ Saved: {change}: {household}.").format(
            change=_change(data), household=data["household"]
        ),
        None,
    )


def _ask_cells() -> str:
    return _(
        "➕ A newly found household. Copy the lines below, fill in each one after the "
        "colon (as in the roster), and send them back. Categories: {categories}. Names "
        "at most {name} characters, 户编号 and 组 at most {code}. /cancel to stop."
    ).format(
        categories=join_list(ROSTER_NAME_BY_CATEGORY.values()),
        name=NAME_MAX_CHARS,
        code=SHORT_CODE_MAX_CHARS,
    )


async def step_again(message: Message, state: FSMContext, app: App, lead: str) -> None:
    """The current step's question again, under `lead`."""
    step, data = await state.get_state(), await state.get_data()
    markup = None
    if step == MeetingForm.confirm.state:
        text, markup = confirm_step(data)
    elif step == MeetingForm.cells.state:
        text = _ask_cells()
    elif step == MeetingForm.reason.state:
        text = _(ASK_REASON).format(limit=app.settings.note_max_chars)
    else:
        text = _(ASK_MEETING_DAY).format(change=_change(data), household=data["household"])
    await message.answer(f"{lead}\n\n{text}", reply_markup=markup)


DIALOG = Dialog(
    states=MeetingForm,
    buttons=(MeetingStep,),
    show_again=step_again,
    typed=(MeetingForm.cells, MeetingForm.reason),
    hints={MeetingForm.day.state: TYPE_A_DAY},
)


def build_router() -> Router:
    router = Router(name="roster_forms")
    router.callback_query.register(
        choose_category, HouseholdAction.filter(F.action == HouseholdAct.CATEGORY)
    )
    router.callback_query.register(category_picked, CategoryPick.filter())
    router.callback_query.register(
        adjust_out, HouseholdAction.filter(F.action == HouseholdAct.ADJUST)
    )
    router.message.register(new_household, Command("newhousehold"))
    router.message.register(cells_typed, StateFilter(MeetingForm.cells), FreeText())
    router.message.register(day_typed, StateFilter(MeetingForm.day), FreeText())
    router.message.register(reason_typed, StateFilter(MeetingForm.reason), FreeText())
    dialogs.save_and_cancel(router, MeetingStep, MeetingForm.confirm, save)
    dialogs.guard(router, DIALOG)
    return router
