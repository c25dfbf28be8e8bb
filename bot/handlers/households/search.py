"""Text typed outside any form: a search for a household by part of the head's name or the
last digits of 户编号. First among the person's own households (their card, to log a
contact); then among all they may read (its history: for the town office any household,
for a village admin the village's). Anything else gets one line saying what to do instead."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.types import Message

from bot.core.households.history import find_households
from bot.core.households.my_households import list_households
from bot.core.policy import Actor, duties_of
from bot.handlers.households.history import offer_found
from bot.handlers.households.my_households import (
    SEARCH_MAX_BYTES,
    SEARCH_MAX_CHARS,
    render_page,
    show_card,
)
from bot.i18n import gettext as _
from bot.messages.keyboards import main_menu
from bot.storage.uow import App
from bot.telegram.filters import FreeText


async def search_households(message: Message, app: App, actor: Actor) -> None:
    search = (message.text or "").strip()
    if len(search.encode()) <= SEARCH_MAX_BYTES and ":" not in search:
        page = await list_households(app, actor, search=search)
        if page.total == 1:
            await show_card(message, app, actor, page.lines[0].household_id)
            return
        if page.total > 1:
            text, markup = render_page(page)
            await message.answer(text, reply_markup=markup)
            return
        # Beyond one's own list: what the service lets this person read (for the town office
        # any household, for a village admin the village's).
        found = await find_households(app, actor, search)
        if found:
            await offer_found(message, app, actor, found)
            return
    # Often a greeting or a question rather than a name: say what works, in one line.
    await message.answer(
        _(
            "I found no household by that name or number: type one or two characters of the "
            "head's name or the last digits of the household number (at most {limit} "
            "characters), or tap a button below."
        ).format(limit=SEARCH_MAX_CHARS),
        reply_markup=main_menu(await duties_of(app, actor)),
    )


def build_router() -> Router:
    router = Router(name="household_search")
    router.message.register(
        search_households, F.chat.type == "private", StateFilter(None), FreeText()
    )
    return router
