"""✍️ Log a contact, first step: which household. The ones not yet contacted this month, by
group (组) and pinyin, a page at a time (◀ ▶); typing part of a name or the last digits of the
户编号 finds any of one's households. The 20th's digest opens the same list."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.contacts import contact_log as contacts
from bot.core.coverage.progress import MonthProgress, progress_this_month
from bot.core.households.my_households import HouseholdPage, list_households
from bot.core.paging import page_of
from bot.core.policy import Actor
from bot.handlers.contacts.contact_form import ContactForm
from bot.handlers.contacts.contact_log import begin_form
from bot.handlers.dialogs import replace_pressed
from bot.handlers.households.my_households import (
    SEARCH_MAX_BYTES,
    household_buttons,
    told_none_are_theirs,
)
from bot.i18n import gettext as _
from bot.messages.contact_views import progress_line
from bot.messages.keyboards import (
    LOG_CONTACT,
    HouseholdAct,
    HouseholdAction,
    LogPage,
    inline_grid,
    pager,
)
from bot.storage.uow import App
from bot.telegram.filters import FreeText, MenuButton


def picker_view(progress: MonthProgress, page: int, size: int) -> tuple[str, InlineKeyboardMarkup]:
    """The households left this month, one page of them, with ◀ ▶ to the others."""
    shown = page_of(progress.remaining, page, size)
    lines = ["✍️ " + progress_line(progress)]
    if shown.items:
        lines.append(_("Not contacted yet — tap the household you contacted:"))
    if shown.pages > 1:
        lines.append(
            _("(page {page} of {pages}, {left} households left)").format(
                page=shown.page + 1, pages=shown.pages, left=shown.total
            )
        )
    lines.append(_("Or type part of a name to find any of your households."))
    buttons = [
        (contacts.household_name(h), HouseholdAction(action=HouseholdAct.LOG, household_id=h.id))
        for h in shown.items
    ]
    footer = pager(shown.page, shown.pages, lambda number: LogPage(page=number))
    return "\n".join(lines), inline_grid(buttons, footer=footer)


async def pick_household(message: Message, app: App, actor: Actor, state: FSMContext) -> None:
    await state.clear()
    progress = await progress_this_month(app, actor)
    if await told_none_are_theirs(message, app, actor, progress.total):
        return
    text, markup = picker_view(progress, 0, app.settings.households_page_size)
    sent = await message.answer(text, reply_markup=markup)
    await state.set_state(ContactForm.household)
    await state.update_data(picker_id=sent.message_id)


async def turn_page(
    query: CallbackQuery, callback_data: LogPage, app: App, actor: Actor, state: FSMContext
) -> None:
    """◀ ▶ in the list (or in a search's matches), or "the full list" under a digest (then the
    list comes as a new message, and any form in progress is left)."""
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if callback_data.search:
        found = await list_households(
            app, actor, page=callback_data.page, search=callback_data.search
        )
        text, markup = search_view(found)
    else:
        progress = await progress_this_month(app, actor)
        text, markup = picker_view(progress, callback_data.page, app.settings.households_page_size)
    data = await state.get_data()
    if await state.get_state() == ContactForm.household.state and query.message.message_id == (
        data.get("picker_id")
    ):
        await replace_pressed(query, text, markup)
        return
    await state.clear()
    sent = await query.message.answer(text, reply_markup=markup)
    await state.set_state(ContactForm.household)
    await state.update_data(picker_id=sent.message_id)


def search_view(found: HouseholdPage) -> tuple[str, InlineKeyboardMarkup]:
    """A page of one's households matching a search, each starting a contact."""
    lines = [_("Tap the household you contacted:")]
    if found.pages > 1:
        lines.append(_("(page {page} of {pages})").format(page=found.page + 1, pages=found.pages))
    return "\n".join(lines), household_buttons(found, HouseholdAct.LOG, LogPage)


async def search_household(message: Message, app: App, actor: Actor, state: FSMContext) -> None:
    """Part of a name, or the last digits of a 户编号, typed while choosing the household."""
    typed = (message.text or "").strip()
    searchable = len(typed.encode()) <= SEARCH_MAX_BYTES and ":" not in typed
    found = await list_households(app, actor, search=typed) if searchable else None
    if found is not None and found.total == 1:
        line = found.lines[0]
        name = await contacts.contact_target(app, actor, line.household_id)
        await begin_form(message, state, app, line.household_id, name, edit=False)
        return
    if found is None or found.total == 0:
        await message.answer(
            _("None of your households matches “{text}”. Try another part of the name.").format(
                text=typed[:30]
            )
        )
        return
    text, markup = search_view(found)
    sent = await message.answer(text, reply_markup=markup)
    await state.update_data(picker_id=sent.message_id)


def build_router() -> Router:
    router = Router(name="household_picker")
    router.message.register(pick_household, MenuButton(LOG_CONTACT))
    router.message.register(search_household, ContactForm.household, FreeText())
    router.callback_query.register(turn_page, LogPage.filter())
    return router
