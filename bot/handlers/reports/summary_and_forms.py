"""The town office's reports in its chat: `/summary [YYYY-MM]` and `/export forms [village]`.

- `/summary`: last month's coverage summary (the month just ended: the one the scheduler
  sends on the 1st); `/summary 2026-03` any month, the current one labelled "so far". Three
  parts: the message, the chart as a photo, the workbook as a document. Town office only
  (the service decides; a village admin sees their village's numbers in their own lists).
- `/export` or `/export forms`: the town office picks a village from buttons (all villages
  at once would be 6 files per village, far past a group's 20 messages a minute); a village
  admin gets their own village at once. `/export forms 大河村` exports that village.

Reports carry names and phone numbers, so in groups they are given only in the town office's
group (TOWN_OFFICE_CHAT_ID), to the town office (chat_scope.py); private chats are fine, the
services check the role.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.core.policy import Actor
from bot.core.reports.forms import exportable_villages
from bot.core.reports.summaries import summary_for_month
from bot.errors import DomainError, NotFound
from bot.handlers.reports.county import offer_towns
from bot.handlers.reports.sending import (
    ExportVillage,
    month_asked,
    offer_places,
    send_forms,
    send_parts,
)
from bot.i18n import gettext as _
from bot.i18n import join_list
from bot.messages.summary_notices import summary_messages
from bot.storage.uow import App

FORMS_WORD = "forms"


async def summary(
    message: Message, command: CommandObject, app: App, actor: Actor, bot: Bot
) -> None:
    try:
        month = month_asked(command.args, app.clock)
        found = await summary_for_month(app, actor, month)
        running = month == app.clock.this_month()
        parts = await summary_messages(
            found, app.settings.tz, so_far=app.clock.today() if running else None
        )
    except DomainError as error:
        await message.answer(error.render())
        return
    await send_parts(bot, message.chat.id, parts)


async def export(
    message: Message, command: CommandObject, app: App, actor: Actor, bot: Bot
) -> None:
    what, _space, village = (command.args or "").strip().partition(" ")
    if what and what.lower() != FORMS_WORD:
        await message.answer(
            _("Write /export forms, or /export forms 大河村 for one village's six forms.")
        )
        return
    try:
        village = village.strip()
        if not village:
            await _offer_villages(message, app, actor, bot)
            return
        await send_forms(bot, message.chat.id, app, actor, village)
    except NotFound as error:
        known = await exportable_villages(app, actor)
        await message.answer(error.render() + "\n" + _villages_line(known.values()))
    except DomainError as error:
        await message.answer(error.render())


async def _offer_villages(message: Message, app: App, actor: Actor, bot: Bot) -> None:
    """Buttons for the town office (the county office first picks a town); a village admin
    has one village: no need to choose."""
    if actor.county_wide:
        await offer_towns(message, app, actor)
        return
    villages = await exportable_villages(app, actor)
    if len(villages) == 1 and actor.village_id in villages:
        await send_forms(bot, message.chat.id, app, actor, villages[actor.village_id])
        return
    question = _("Which village's six forms (附件1–6)?")
    await offer_places(message, villages, "📄", lambda key: ExportVillage(village_id=key), question)


async def export_pressed(
    query: CallbackQuery, callback_data: ExportVillage, app: App, actor: Actor, bot: Bot
) -> None:
    if query.message is None:
        await query.answer(_("This button is too old. Write /export again."), show_alert=True)
        return
    try:
        # Callback data is untrusted: the village must be one this person may export.
        village = (await exportable_villages(app, actor)).get(callback_data.village_id)
        if village is None:
            await query.answer(_("You cannot export that village's forms."), show_alert=True)
            return
        await query.answer(_("Preparing the forms of {village}…").format(village=village))
        await send_forms(bot, query.message.chat.id, app, actor, village)
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)


def _villages_line(names: Iterable[str]) -> str:
    listed = join_list(names)
    if not listed:
        return _("There are no villages yet: import the roster first.")
    return _("Villages you can export: {villages}").format(villages=listed)


def build_router() -> Router:
    router = Router(name="reports")
    router.message.register(summary, Command("summary"))
    router.message.register(export, Command("export"))
    router.callback_query.register(export_pressed, ExportVillage.filter())
    return router
