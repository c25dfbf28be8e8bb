"""`/start <code>`: anyone who opens an invite link is registered and welcomed.

A plain `/start` is not handled here: registered people get the menu (menu router) and
everyone else the polite gate.
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove

from bot.core.onboarding import invites as onboarding
from bot.core.policy import Actor
from bot.errors import Deactivated, DomainError
from bot.handlers.onboarding.menu import help_text
from bot.i18n import gettext as _
from bot.i18n import language_for, set_language
from bot.messages.keyboards import main_menu
from bot.storage.uow import App

# Invite links open a private chat; a code typed into a group would give it away.


async def open_invite(
    message: Message,
    command: CommandObject,
    app: App,
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
    await message.answer(
        f"{welcome}\n\n{help_text(actor, app.settings)}", reply_markup=main_menu(actor.role)
    )


def build_router() -> Router:
    router = Router(name="onboarding")
    router.message.filter(F.chat.type == "private")
    router.message.register(open_invite, CommandStart(deep_link=True))
    return router
