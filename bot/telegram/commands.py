"""The command list Telegram shows in its "/" menu, in each language."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)

from bot.i18n import LANGUAGES, N_, use_language
from bot.i18n import gettext as _

COMMANDS = (
    ("help", N_("What this bot does, and the menu")),
    ("language", N_("Switch between Chinese and English")),
    ("cancel", N_("Stop the form you are filling in")),
    ("recent", N_("Correct or withdraw your latest contacts")),
)


# In the town office's group chat.
GROUP_COMMANDS = (
    ("flags", N_("Open red flags")),
    ("summary", N_("Last month's contact coverage")),
    ("export", N_("A village's six forms as spreadsheets")),
    ("office", N_("All town office commands")),
)


async def publish_commands(bot: Bot, default_language: str) -> None:
    for scope, listed in (
        (BotCommandScopeAllPrivateChats(), COMMANDS),
        (BotCommandScopeAllGroupChats(), GROUP_COMMANDS),
    ):
        for language in (None, *LANGUAGES):
            with use_language(language or default_language):
                commands = [BotCommand(command=name, description=_(text)) for name, text in listed]
            await bot.set_my_commands(commands, scope=scope, language_code=language)
