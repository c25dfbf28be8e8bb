"""The polite gate: anyone not registered gets one explanation, and never any data."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message

from bot.i18n import N_
from bot.i18n import gettext as _

router = Router(name="gate")
# In a group (the town office's chat) strangers' chatter is none of the bot's business.
router.message.filter(F.chat.type == "private")

NOT_REGISTERED = N_(
    "This bot is for the town's contact persons and offices. "
    "Please open the invitation link you received from the town office."
)


@router.message()
async def not_registered(message: Message) -> None:
    await message.answer(_(NOT_REGISTERED))


@router.callback_query()
async def not_registered_press(query: CallbackQuery) -> None:
    await query.answer(_(NOT_REGISTERED), show_alert=True)
