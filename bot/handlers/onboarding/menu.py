"""The main menu, /help, /language, and the catch-alls for registered people."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.config import Settings
from bot.core.policy import Actor
from bot.core.roster import people
from bot.domain.model import Role
from bot.i18n import LANGUAGES
from bot.i18n import gettext as _
from bot.i18n import set_language as set_current_language
from bot.messages.keyboards import HELP, inline_grid, main_menu
from bot.storage.uow import App
from bot.telegram.filters import MenuButton

LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


class LanguageChoice(CallbackData, prefix="lang"):
    code: str


def help_text(actor: Actor, settings: Settings) -> str:
    return _(
        "Hello {name} ({role}).\n"
        "Every household on your list needs at least one contact each month: "
        "a home visit, a phone call, an SMS, WeChat or a video call.\n\n"
        "🏠 My households: your list, not yet contacted first. Type part of a name to search.\n"
        "✍️ Log a contact: pick the household, how you contacted it, and whether all six "
        "guarantees are fine.\n"
        "📅 This month: how many you have contacted, and who is left.\n"
        "/recent: correct or withdraw a contact you logged in the last {hours} hours.\n"
        "/language: switch between Chinese and English.\n"
        "/cancel: stop the form you are filling in."
    ).format(
        name=actor.name, role=actor.role.label, hours=settings.contact_edit_window_hours
    ) + _role_help().get(actor.role, "")


def _role_help() -> dict[Role, str]:
    return {
        Role.VILLAGE_ADMIN: _(
            "\n\nFor your village:\n"
            "/flags: open red flags, and asking for a flag's removal.\n"
            "/export: your village's six forms as spreadsheets."
        ),
        Role.TOWN_OFFICE: _(
            "\n\nFor the town office (/office lists them all):\n"
            "/flags: open red flags.\n"
            "/summary: last month's contact coverage (text, chart, spreadsheet).\n"
            "/export: a village's six forms as spreadsheets.\n"
            "/unassigned: households without a contact person.\n"
            "Send the provincial platform's red-flag list as a spreadsheet to import it."
        ),
    }


async def show_help(message: Message, actor: Actor, state: FSMContext, app: App) -> None:
    await state.clear()
    await message.answer(help_text(actor, app.settings), reply_markup=main_menu(actor.role))


async def choose_language(message: Message) -> None:
    buttons = [(LANGUAGE_NAMES[code], LanguageChoice(code=code)) for code in LANGUAGES]
    await message.answer(_("Choose your language:"), reply_markup=inline_grid(buttons, columns=2))


# Pressed (or forged) in a group, it would post the menu keyboard there: private only.
async def language_chosen(
    query: CallbackQuery, callback_data: LanguageChoice, actor: Actor, app: App
) -> None:
    if callback_data.code not in LANGUAGES:
        await query.answer()
        return
    await people.set_language(app, actor, callback_data.code)
    set_current_language(callback_data.code)
    await query.answer()
    if query.message is not None:
        await query.message.answer(
            _("Language set to English."), reply_markup=main_menu(actor.role)
        )


async def cancel(message: Message, actor: Actor, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Stopped. Nothing was saved."), reply_markup=main_menu(actor.role))


async def not_understood(message: Message, actor: Actor) -> None:
    await message.answer(
        _("Sorry, I did not understand that. Please use the menu buttons below."),
        reply_markup=main_menu(actor.role),
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
