"""The village admin's and the town office's reply-keyboard buttons (keyboards.BUTTONS_BY_DUTY):
each does what its /command does, so nobody has to remember one. A button press leaves any
form the person was in. The services check every role: a label typed by someone else is
refused there."""

from __future__ import annotations

from enum import StrEnum

from aiogram import Bot, F, Router
from aiogram.filters import CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.core.coverage.not_contacted import NotContacted, not_contacted_this_month
from bot.core.policy import Actor
from bot.core.roster.changes import town_office_only
from bot.errors import DomainError
from bot.handlers.flags.removal import list_open_flags
from bot.handlers.households.my_households import SEARCH_MAX_CHARS
from bot.handlers.reports.summary_and_forms import export, summary
from bot.handlers.roster.changes import new_household
from bot.handlers.town_office.desk import unassigned
from bot.i18n import gettext as _
from bot.i18n import join_list
from bot.messages.keyboards import (
    FIND,
    FORMS,
    NOT_CONTACTED,
    RED_FLAGS,
    ROSTER_CHANGES,
    SUMMARY,
    Backlog,
    inline_grid,
)
from bot.messages.rendering import split_text
from bot.storage.uow import App
from bot.telegram.filters import MenuButton

IN_PRIVATE = F.chat.type == "private"
# A town office's line per contact person names this many households; a village's names all.
TOWN_NAMES_PER_PERSON = 5
# Telegram shows about 100 inline buttons under one message.
BUTTONS_PER_MESSAGE = 60


class RosterAct(StrEnum):
    NEW = "new"  # ➕ a newly found household (/newhousehold)
    UNASSIGNED = "unassigned"  # households without a contact person (/unassigned)


class RosterMenu(CallbackData, prefix="rm"):
    action: RosterAct


async def red_flags(message: Message, app: App, actor: Actor, state: FSMContext) -> None:
    await state.clear()
    await list_open_flags(message, app, actor)


async def not_contacted(message: Message, app: App, actor: Actor, state: FSMContext) -> None:
    await state.clear()
    try:
        left = await not_contacted_this_month(app, actor)
    except DomainError as error:
        await message.answer(error.render())
        return
    whole_town = actor.office  # a town's (or the county's) list: a few names per person
    for text in split_text(not_contacted_lines(left, whole_town)):
        await message.answer(text)
    # The town's lines are cut to a few names each; every cut list is one press away, so
    # no household is out of reach.
    cut = [
        (
            _("📋 {name} ({count})").format(
                name=person.person or _("no contact person"), count=count
            ),
            Backlog(person_id=person.person_id),
        )
        for village in left.villages
        for person in village.people
        if whole_town and (count := len(person.households)) > TOWN_NAMES_PER_PERSON
    ]
    for start in range(0, len(cut), BUTTONS_PER_MESSAGE):
        await message.answer(
            _("The whole list of a contact person's households not contacted yet:"),
            reply_markup=inline_grid(cut[start : start + BUTTONS_PER_MESSAGE], columns=2),
        )


def not_contacted_lines(left: NotContacted, whole_town: bool) -> list[str]:
    if not left.villages:
        return [
            _("✅ Every monitored household has been contacted in {month}.").format(
                month=str(left.month)
            )
        ]
    lines = [
        _("📋 Not contacted yet in {month}: {count} households.").format(
            month=str(left.month), count=left.households
        )
    ]
    for village in left.villages:
        lines += [
            "",
            _("{village}: {count}").format(village=village.village, count=village.households),
        ]
        for person in village.people:
            names = person.households
            shown = names[:TOWN_NAMES_PER_PERSON] if whole_town else names
            listed = join_list(shown)
            if len(shown) < len(names):
                listed += _(" … and {more} more (📋 below)").format(more=len(names) - len(shown))
            lines.append(
                _("• {person} ({count}): {households}").format(
                    person=person.person or _("no contact person"),
                    count=len(names),
                    households=listed,
                )
            )
    return lines


async def monthly_summary(
    message: Message, app: App, actor: Actor, bot: Bot, state: FSMContext
) -> None:
    await state.clear()
    await summary(message, CommandObject(command="summary"), app, actor, bot)


async def six_forms(message: Message, app: App, actor: Actor, bot: Bot, state: FSMContext) -> None:
    await state.clear()
    await export(message, CommandObject(command="export"), app, actor, bot)


async def roster_changes(message: Message, actor: Actor, state: FSMContext) -> None:
    await state.clear()
    try:
        town_office_only(actor)
    except DomainError as error:
        await message.answer(error.render())
        return
    buttons = [
        (_("➕ New household"), RosterMenu(action=RosterAct.NEW)),
        (_("👤 Households without a contact person"), RosterMenu(action=RosterAct.UNASSIGNED)),
    ]
    await message.answer(
        _(
            "🗂 Roster changes: what would you like to do?\n"
            "A contact person who leaves: send /deactivate and their name, e.g. /deactivate 王建华."
        ),
        reply_markup=inline_grid(buttons),
    )


async def roster_menu_pressed(
    query: CallbackQuery, callback_data: RosterMenu, app: App, actor: Actor, state: FSMContext
) -> None:
    try:
        town_office_only(actor)
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)
        return
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if callback_data.action == RosterAct.NEW:
        await new_household(query.message, actor, state)
    elif callback_data.action == RosterAct.UNASSIGNED:
        await unassigned(query.message, app, actor)


async def find_prompt(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(
        _(
            "🔍 Type one or two characters of the head's name (e.g. 桂英) or the last digits "
            "of the household number (at most {limit} characters)."
        ).format(limit=SEARCH_MAX_CHARS)
    )


def build_router() -> Router:
    router = Router(name="desk_buttons")
    router.message.filter(IN_PRIVATE)
    router.message.register(red_flags, MenuButton(RED_FLAGS))
    router.message.register(not_contacted, MenuButton(NOT_CONTACTED))
    router.message.register(monthly_summary, MenuButton(SUMMARY))
    router.message.register(six_forms, MenuButton(FORMS))
    router.message.register(roster_changes, MenuButton(ROSTER_CHANGES))
    router.message.register(find_prompt, MenuButton(FIND))
    router.callback_query.register(
        roster_menu_pressed, RosterMenu.filter(), F.message.chat.type == "private"
    )
    return router
