"""The main menu, /help, /language, and the catch-alls for registered people."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.core.policy import Actor, duties_of
from bot.core.roster import people
from bot.i18n import LANGUAGES, N_, current_language, use_language
from bot.i18n import gettext as _
from bot.i18n import set_language as set_current_language
from bot.messages.keyboards import HELP, inline_grid, main_menu
from bot.messages.menus import help_text
from bot.storage.uow import App
from bot.telegram.commands import show_own_commands
from bot.telegram.filters import MenuButton

LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
CHOOSE_LANGUAGE = N_("Choose your language:")


class LanguageChoice(CallbackData, prefix="lang"):
    code: str


async def answer_with_menu(message: Message, app: App, actor: Actor, text: str) -> None:
    """Answer with the person's own reply keyboard (their duties' buttons)."""
    duties = await duties_of(app, actor)
    await message.answer(text, reply_markup=main_menu(duties))


async def show_help(message: Message, actor: Actor, state: FSMContext, app: App, bot: Bot) -> None:
    await state.clear()
    duties = await duties_of(app, actor)
    await message.answer(help_text(actor, duties, app.settings), reply_markup=main_menu(duties))
    # Their households or role may have changed since: the "/" menu follows.
    await show_own_commands(bot, message.chat.id, duties, current_language())


async def choose_language(message: Message) -> None:
    """Asked in every language: someone who cannot read the current one must find theirs."""
    question = []
    for code in LANGUAGES:
        with use_language(code):
            question.append(_(CHOOSE_LANGUAGE))
    buttons = [(LANGUAGE_NAMES[code], LanguageChoice(code=code)) for code in LANGUAGES]
    await message.answer("\n".join(question), reply_markup=inline_grid(buttons, columns=2))


# Pressed (or forged) in a group, it would post the menu keyboard there: private only.
async def language_chosen(
    query: CallbackQuery, callback_data: LanguageChoice, actor: Actor, app: App, bot: Bot
) -> None:
    if callback_data.code not in LANGUAGES:
        await query.answer()
        return
    await people.set_language(app, actor, callback_data.code)
    set_current_language(callback_data.code)
    await query.answer()
    if isinstance(query.message, Message):
        duties = await duties_of(app, actor)
        await query.message.answer(_("Language set to English."), reply_markup=main_menu(duties))
        await show_own_commands(bot, query.message.chat.id, duties, callback_data.code)


async def cancel(message: Message, actor: Actor, state: FSMContext, app: App) -> None:
    await state.clear()
    await answer_with_menu(message, app, actor, _("Stopped. Nothing was saved."))


async def not_understood(message: Message, actor: Actor, app: App) -> None:
    await answer_with_menu(
        message,
        app,
        actor,
        _("Sorry, I did not understand that. Please use the menu buttons below."),
    )


async def stale_button(query: CallbackQuery) -> None:
    await query.answer(_("This button is no longer active."), show_alert=True)


def build_router() -> Router:
    router = Router(name="menu")
    router.message.register(show_help, CommandStart())
    router.message.register(show_help, Command("help", "menu"))
    router.message.register(show_help, MenuButton(HELP))
    router.message.register(choose_language, Command("language"))
    router.callback_query.register(
        language_chosen, LanguageChoice.filter(), F.message.chat.type == "private"
    )
    router.message.register(cancel, Command("cancel"))
    router.message.register(not_understood, F.chat.type == "private")
    router.callback_query.register(stale_button)
    return router
