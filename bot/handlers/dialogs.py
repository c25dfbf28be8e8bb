"""What every chat dialog (form) shares: showing a step in the pressed message (edited, or sent
afresh when Telegram no longer lets it be edited), taking the buttons off an older step,
leaving or cancelling a form, starting a form in the presser's private chat, and the one
guard for what a form did not expect: a button of a finished or older form, and text, a
sticker, a photo or a voice message where the step wanted something else.

Forms started from a button in the town office's group continue in the presser's private
chat: a bot in a group does not see ordinary typed replies, and colleagues need not read
every step. Pressed in a private chat, the form simply continues there."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from aiogram import BaseMiddleware, Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import BaseFilter, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.fsm.storage.base import StorageKey
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject

from bot.errors import DomainError, ReadableError
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages.contact_views import TAP_A_BUTTON
from bot.storage.uow import App
from bot.telegram.filters import MENU_PRESS

FORM_FINISHED = N_("This form is finished. Nothing was changed.")


class FormButton(StrEnum):
    """The buttons a form's steps share, in its CallbackData's `action`."""

    SAVE = "save"  # ✅ save what the confirm screen shows
    REPORT = "report"  # ✅ report it (a risk)
    CANCEL = "cancel"  # ✖️ cancel: nothing is saved
    SKIP = "skip"  # skip an optional step
    DAYS = "days"  # a deadline this many days ahead


CANCELLED = N_("Cancelled. Nothing was saved.")
NOTHING_SAVED = N_("Nothing was saved.")
Screen = tuple[str, InlineKeyboardMarkup | None]
Result = TypeVar("Result")


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


async def answer_with_step(
    message: Message,
    state: FSMContext,
    step: State,
    screen: Callable[[dict[str, Any]], Screen],
    **changes: Any,
) -> None:
    """After a typed answer: keep `changes`, move to `step` and send its screen."""
    data = await state.update_data(**changes)
    await state.set_state(step)
    text, markup = screen(data)
    await message.answer(text, reply_markup=markup)


async def unless_refused(query: CallbackQuery, use_case: Awaitable[Result]) -> Result | None:
    """What the use case returns, or None once the presser is told why it was refused."""
    try:
        return await use_case
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)
        return None


async def finish_form(state: FSMContext) -> dict[str, Any]:
    """The form's data, the form ended: a second press of ✅ Save finds it finished."""
    data = await state.get_data()
    await state.clear()
    return data


async def not_saved(query: CallbackQuery, error: ReadableError) -> None:
    """Saving was refused: why, in place of the confirm screen."""
    await replace_pressed(query, error.render() + "\n" + _(NOTHING_SAVED), None)


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


class MenuPressLeavesForm(BaseMiddleware):
    """A menu button pressed inside a form ends the form before any router looks at the
    press, and the button does its usual job. Done once here rather than by each form's
    guard, so the menu's routers can come before the forms: a press, the commonest update,
    no longer walks past every step of every form (bench/per_update.py)."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        state: FSMContext | None = data.get("state")
        pressed = isinstance(event, Message) and await MENU_PRESS(event)
        if pressed and state is not None and data.get("raw_state") is not None:
            await state.clear()
            data["raw_state"] = None
        return await handler(event, data)


# ---- the guard every dialog shares -----------------------------------------------------------

# The hints for a typed step, shared by the dialogs (a button step gets TAP_A_BUTTON).
TYPE_AS_TEXT = N_("Please type it as text.")
TYPE_A_DAY = N_("Please type a day, e.g. 3-5.")
TYPE_YUAN = N_("Please type a number of yuan, e.g. 5200.")

# The current step shown again as a new message, under `lead` (a hint or an error).
ShowAgain = Callable[[Message, FSMContext, App, str], Awaitable[None]]


@dataclass(frozen=True)
class Dialog:
    """A form as the shared guard sees it: its states, the callback data of its buttons, how
    it shows its current step again, and the hint for each step that wants typing (the
    `typed` steps get TYPE_AS_TEXT, `hints` says any other)."""

    states: type[StatesGroup]
    buttons: tuple[type[CallbackData], ...]
    show_again: ShowAgain
    typed: tuple[State, ...] = ()
    hints: Mapping[str, str] = field(default_factory=dict)  # state -> msgid
    elsewhere: tuple[State, ...] = ()  # steps whose every input another handler takes

    async def not_the_expected_input(self, message: Message, app: App, state: FSMContext) -> None:
        """Text where a button is expected, or a sticker, photo or voice where text is: the
        step's hint, and the step again, so the person sees what to do next."""
        step = await state.get_state() or ""
        await self.show_again(message, state, app, _(self.hint(step)))

    def hint(self, step: str) -> str:
        """The msgid that says what the step wants."""
        if step in self.hints:
            return self.hints[step]
        return TYPE_AS_TEXT if any(typed.state == step for typed in self.typed) else TAP_A_BUTTON


class OfTheOpenForm(BaseFilter):
    """A press that belongs to the form in progress: its callback data's `press_field` equals
    the form's `data_key` (cut to `length`). A button of an older form of the same kind at
    the same step (another household, another contact) fails, and the guard answers it."""

    def __init__(self, press_field: str, data_key: str, length: int | None = None) -> None:
        self.press_field = press_field
        self.data_key = data_key
        self.length = length

    async def __call__(
        self, query: CallbackQuery, state: FSMContext, callback_data: CallbackData | None = None
    ) -> bool:
        held = (await state.get_data()).get(self.data_key)
        if callback_data is None or held is None:
            return False
        if self.length is not None:
            held = str(held)[: self.length]
        return bool(getattr(callback_data, self.press_field, None) == held)


def save_and_cancel(
    router: Router, step: type[CallbackData], confirm: State, save: Callable[..., Awaitable[None]]
) -> None:
    """✅ Save at the form's `confirm` step and ✖️ Cancel at any of its steps, for a form whose
    buttons' callback data `step` carries a `FormButton` as `action`."""
    saving = step.filter(F.action == FormButton.SAVE)
    router.callback_query.register(save, StateFilter(confirm), saving)
    cancelling = step.filter(F.action == FormButton.CANCEL)
    router.callback_query.register(cancel_form, StateFilter(confirm.group), cancelling)


def guard(router: Router, dialog: Dialog) -> None:
    """Registered last in each dialog's router. A menu button has left the form already
    (MenuPressLeavesForm); anything else sent inside the form that no step took gets the
    step's hint and the step again; a button of the form that no step took (finished,
    cancelled, older, another step's) gets the one "finished" answer."""
    unexpected = [
        StateFilter(dialog.states),  # a menu press has left the form (MenuPressLeavesForm)
        F.func(lambda message: not (message.text or "").startswith("/")),  # /cancel, /help …
    ]
    if dialog.elsewhere:
        unexpected.append(~StateFilter(*dialog.elsewhere))
    router.message.register(dialog.not_the_expected_input, *unexpected)
    for buttons in dialog.buttons:
        router.callback_query.register(form_finished, buttons.filter())
