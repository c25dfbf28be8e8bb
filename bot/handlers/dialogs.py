"""What every chat dialog (form) shares: showing a step in the pressed message (edited, or sent
afresh when Telegram no longer lets it be edited), taking the buttons off an older step,
leaving or cancelling a form, the one answer to a button of a finished form, and starting a
form in the presser's private chat.

Forms started from a button in the town office's group continue in the presser's private
chat: a bot in a group does not see ordinary typed replies, and colleagues need not read
every step. Pressed in a private chat, the form simply continues there."""

from __future__ import annotations

from contextlib import suppress
from enum import StrEnum
from typing import Any

from aiogram import Bot
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.i18n import N_
from bot.i18n import gettext as _

FORM_FINISHED = N_("This form is finished. Nothing was changed.")


class FormButton(StrEnum):
    """The buttons a form's steps share, in its CallbackData's `action`."""

    SAVE = "save"  # ✅ save what the confirm screen shows
    REPORT = "report"  # ✅ report it (a risk)
    CANCEL = "cancel"  # ✖️ cancel: nothing is saved
    SKIP = "skip"  # skip an optional step
    DAYS = "days"  # a deadline this many days ahead


CANCELLED = N_("Cancelled. Nothing was saved.")


async def replace_pressed(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Show `text` in place of the pressed message, so a form stays one message. Pressing
    twice (nothing to change) is no error; a message Telegram no longer lets the bot edit,
    or cannot show it, gets the text as a new message instead."""
    if isinstance(query.message, Message):
        try:
            await query.message.edit_text(text, reply_markup=markup)
        except TelegramBadRequest as error:
            if "not modified" not in str(error):
                await query.message.answer(text, reply_markup=markup)
    else:
        await query.bot.send_message(query.from_user.id, text, reply_markup=markup)  # type: ignore[union-attr]


async def show(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Answer the press and show the next step in the pressed message."""
    await query.answer()
    await replace_pressed(query, text, markup)


async def drop_buttons(message: Message, message_id: int | None) -> None:
    """Take the buttons off an earlier form message, so only the latest one can be pressed."""
    if message_id is None:
        return
    with suppress(TelegramBadRequest):  # already gone or unchanged: nothing to take off
        await message.bot.edit_message_reply_markup(  # type: ignore[union-attr]
            chat_id=message.chat.id, message_id=message_id, reply_markup=None
        )


async def cancel_form(query: CallbackQuery, state: FSMContext) -> None:
    """✖️ Cancel in a form: the form ends, nothing saved, and the message says so."""
    await state.clear()
    await query.answer()
    await replace_pressed(query, _(CANCELLED))


async def form_finished(query: CallbackQuery) -> None:
    """The one answer to a button of a form that is finished, cancelled or at another step
    (an older message): nothing changes. Each dialog registers it last for its buttons."""
    await query.answer(_(FORM_FINISHED), show_alert=True)


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


async def leave_form(message: Message, state: FSMContext) -> None:
    """A menu button pressed inside a form: the form ends and the button does its usual job."""
    await state.clear()
    raise SkipHandler
