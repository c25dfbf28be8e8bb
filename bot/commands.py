"""The command list Telegram shows in its "/" menu, in each language."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats

from bot.i18n import LANGUAGES, N_, use_language
from bot.i18n import gettext as _

COMMANDS = (
    ("help", N_("What this bot does, and the menu")),
    ("language", N_("Switch between Chinese and English")),
    ("cancel", N_("Stop the form you are filling in")),
    ("recent", N_("Correct or withdraw your latest contacts")),
)


async def publish_commands(bot: Bot, default_language: str) -> None:
    for language in (None, *LANGUAGES):
        with use_language(language or default_language):
            commands = [BotCommand(command=name, description=_(text)) for name, text in COMMANDS]
        await bot.set_my_commands(
            commands, scope=BotCommandScopeAllPrivateChats(), language_code=language
        )
