"""Forms started from a button in the town office's group continue in the presser's private
chat: a bot in a group does not see ordinary typed replies, and colleagues need not read
every step. Pressed in a private chat, the form simply continues there."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import CallbackQuery, InlineKeyboardMarkup

from bot.i18n import gettext as _


def private_state(state: FSMContext, user_id: int) -> FSMContext:
    """The person's form state in their private chat with the bot."""
    key = StorageKey(bot_id=state.key.bot_id, chat_id=user_id, user_id=user_id)
    return FSMContext(storage=state.storage, key=key)


async def begin_in_private(
    query: CallbackQuery,
    state: FSMContext,
    bot: Bot,
    step: State,
    data: dict[str, Any],
    text: str,
    markup: InlineKeyboardMarkup | None = None,
) -> None:
    """Send the form's first step to the presser's private chat and set its state there."""
    user_id = query.from_user.id
    try:
        await bot.send_message(user_id, text, reply_markup=markup)
    except TelegramForbiddenError:
        await query.answer(
            _("Please open a private chat with the bot first (tap its name, then Start)."),
            show_alert=True,
        )
        return
    private = private_state(state, user_id)
    await private.set_state(step)
    await private.set_data(data)
    in_group = query.message is not None and query.message.chat.type != "private"
    await query.answer(
        _("Please continue in your private chat with the bot.") if in_group else None
    )
