"""The command lists Telegram shows in its "/" menu (bot/messages/menus.py has the tables).

Before a person registers, a private chat lists only help and language. Each registered
person gets their own list in their private chat (a chat scope, in the language they chose),
set when they join, when their role changes (a new invite), when they switch language and
whenever they ask for /help. The town office's group lists the office's commands; other
groups list nothing, since nothing is done for them there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    MenuButtonWebApp,
    WebAppInfo,
)

from bot.config import Settings
from bot.core.policy import Duty
from bot.i18n import LANGUAGES, use_language
from bot.i18n import gettext as _
from bot.messages.dashboard import MENU_BUTTON, mini_app_url
from bot.messages.menus import COMMON_COMMANDS, OFFICE_GROUP_COMMANDS, commands_for

log = logging.getLogger(__name__)

BEFORE_REGISTERING = tuple((name, text) for name, text in COMMON_COMMANDS if name != "cancel")


def _commands(listed: Iterable[tuple[str, str]], language: str) -> list[BotCommand]:
    with use_language(language):
        return [BotCommand(command=name, description=_(text)) for name, text in listed]


async def publish_commands(bot: Bot, settings: Settings) -> None:
    for language in (None, *LANGUAGES):
        commands = _commands(BEFORE_REGISTERING, language or settings.default_language)
        await bot.set_my_commands(
            commands, scope=BotCommandScopeAllPrivateChats(), language_code=language
        )
        # Lists set for every group by earlier versions: office work is not done there.
        await bot.delete_my_commands(scope=BotCommandScopeAllGroupChats(), language_code=language)
    if settings.town_office_chat_id is not None:
        # One list for the whole group, in the town's language: members' apps differ. A bot
        # not (yet) in the group is refused; it must still start (`bangfu doctor` says why).
        try:
            await bot.set_my_commands(
                _commands(OFFICE_GROUP_COMMANDS, settings.default_language),
                scope=BotCommandScopeChat(chat_id=settings.town_office_chat_id),
            )
        except TelegramAPIError as error:
            log.warning("command menu for the town office's group not set: %s", error)


async def show_own_commands(bot: Bot, chat_id: int, duties: Iterable[Duty], language: str) -> None:
    """The person's own "/" menu in their private chat. A failure is logged, not raised: the
    answer they asked for matters more than the menu."""
    try:
        await bot.set_my_commands(
            _commands(commands_for(duties), language), scope=BotCommandScopeChat(chat_id=chat_id)
        )
    except TelegramAPIError as error:
        log.warning("command menu for chat %s not set: %s", chat_id, error)


DASHBOARD_DUTIES = frozenset({Duty.TOWN_OFFICE, Duty.COUNTY_OFFICE, Duty.VILLAGE})


async def show_dashboard_button(
    bot: Bot, chat_id: int, duties: Iterable[Duty], settings: Settings
) -> None:
    """The Mini App menu button (the office dashboard) in an office person's private chat,
    when the dashboard is served over https (Telegram opens Mini Apps over https only)."""
    if not settings.web_is_https or not DASHBOARD_DUTIES & set(duties):
        return
    try:
        await bot.set_chat_menu_button(
            chat_id=chat_id,
            menu_button=MenuButtonWebApp(
                text=_(MENU_BUTTON), web_app=WebAppInfo(url=mini_app_url(settings))
            ),
        )
    except TelegramAPIError as error:
        log.warning("dashboard menu button for chat %s not set: %s", chat_id, error)
