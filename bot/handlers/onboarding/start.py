"""`/start <code>`: anyone who opens an invite link is registered and welcomed.

A plain `/start` is not handled here: registered people get the menu (menu router) and
everyone else the polite gate.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove

from bot.core.onboarding import invites as onboarding
from bot.core.policy import Actor, duties_of
from bot.errors import Deactivated, DomainError
from bot.i18n import current_language, language_for, set_language
from bot.i18n import gettext as _
from bot.messages.keyboards import main_menu
from bot.messages.menus import help_text
from bot.storage.uow import App
from bot.telegram.commands import show_own_commands

# Invite links open a private chat; a code typed into a group would give it away.


async def open_invite(
    message: Message,
    command: CommandObject,
    app: App,
    bot: Bot,
    state: FSMContext,
    actor: Actor | None = None,
) -> None:
    user = message.from_user
    if user is None:
        return
    try:
        registered = await onboarding.redeem_invite(app, user.id, command.args or "")
    except Deactivated as error:
        await message.answer(error.render(), reply_markup=ReplyKeyboardRemove())
        return
    except DomainError as error:
        await message.answer(error.render())
        return
    if actor is None or actor.person_id != registered.person_id:
        # The middleware looked this account up before it was bound: it spoke to a stranger.
        set_language(language_for(user.language_code, None, app.settings.default_language))
    actor = registered
    await state.clear()
    welcome = _("Welcome, {name}! You are now registered as {role}.").format(
        name=actor.name, role=actor.role.label
    )
    duties = await duties_of(app, actor)
    await message.answer(
        f"{welcome}\n\n{help_text(actor, duties, app.settings)}", reply_markup=main_menu(duties)
    )
    # A new invite may bring a new role: the "/" menu is set to it whenever one is opened.
    await show_own_commands(bot, message.chat.id, duties, current_language())


def build_router() -> Router:
    router = Router(name="onboarding")
    router.message.filter(F.chat.type == "private")
    router.message.register(open_invite, CommandStart(deep_link=True))
    return router
