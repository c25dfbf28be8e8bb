"""The polite gate: anyone not registered gets one explanation, and never any data; a person
the town office deactivated is told so (and loses the old menu keyboard), nothing more."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove

from bot.core.roster.people import DEACTIVATED
from bot.i18n import N_
from bot.i18n import gettext as _

# In a group (the town office's chat) strangers' chatter is none of the bot's business.

NOT_REGISTERED = N_(
    "This bot is for the town's contact persons and offices. "
    "Please open the invitation link you received from the town office."
)


async def not_registered(message: Message, deactivated: bool = False) -> None:
    if deactivated:
        await message.answer(_(DEACTIVATED), reply_markup=ReplyKeyboardRemove())
        return
    await message.answer(_(NOT_REGISTERED))


async def not_registered_press(query: CallbackQuery, deactivated: bool = False) -> None:
    await query.answer(_(DEACTIVATED if deactivated else NOT_REGISTERED), show_alert=True)


def build_router() -> Router:
    router = Router(name="gate")
    router.message.filter(F.chat.type == "private")
    router.message.register(not_registered)
    router.callback_query.register(not_registered_press)
    return router
