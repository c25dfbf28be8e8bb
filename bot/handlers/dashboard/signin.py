"""`/web`: a one-time sign-in link to the office dashboard, for the town and county offices
and village admins, in their private chat only (a link is a secret); the Mini App menu
button too."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.core.policy import Actor, duties_of
from bot.core.signin.sessions import issue_link
from bot.errors import DomainError
from bot.i18n import gettext as _
from bot.messages.dashboard import NOT_SET_UP, link_message
from bot.storage.uow import App
from bot.telegram.commands import show_dashboard_button


async def web_link(message: Message, app: App, actor: Actor, bot: Bot) -> None:
    if not app.settings.web_base_url or app.settings.web_port is None:
        await message.answer(_(NOT_SET_UP))
        return
    try:
        token = await issue_link(app, actor)
    except DomainError as error:
        await message.answer(error.render())
        return
    await message.answer(
        link_message(app.settings, token), link_preview_options={"is_disabled": True}
    )
    await show_dashboard_button(bot, message.chat.id, await duties_of(app, actor), app.settings)


def build_router() -> Router:
    router = Router(name="dashboard_signin")
    router.message.register(web_link, Command("web"))
    return router
