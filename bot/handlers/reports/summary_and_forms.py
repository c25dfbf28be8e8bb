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

import tempfile
from collections.abc import Iterable
from pathlib import Path

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message

from bot.clock import Clock, Month
from bot.core.dates import parse_month
from bot.core.policy import Actor
from bot.core.reports.form_layout import FORMS, FormSpec
from bot.core.reports.forms import exportable_villages
from bot.core.reports.summaries import summary_for_month
from bot.documents.forms import export_forms, form_file_name
from bot.errors import DomainError, InvalidInput, NotFound
from bot.i18n import N_, join_list
from bot.i18n import gettext as _
from bot.messages.keyboards import RowId, inline_grid
from bot.messages.rendering import Attachment, FileKind, OutgoingMessage
from bot.messages.summary_notices import summary_messages
from bot.storage.uow import App

FORMS_WORD = "forms"


class ExportVillage(CallbackData, prefix="xf"):
    """A press on a village under /export: send its six forms."""

    village_id: RowId


async def summary(
    message: Message, command: CommandObject, app: App, actor: Actor, bot: Bot
) -> None:
    try:
        month = _month_asked(command.args, app.clock)
        found = await summary_for_month(app, actor, month)
        running = month == app.clock.this_month()
        parts = await summary_messages(
            found, app.settings.tz, so_far=app.clock.today() if running else None
        )
    except DomainError as error:
        await message.answer(error.render())
        return
    await _send(bot, message.chat.id, parts)


def _month_asked(args: str | None, clock: Clock) -> Month:
    """The month after /summary: none means the month just ended; a month not yet begun
    has nothing to count."""
    if not args:
        return clock.this_month().previous()
    month = parse_month(args, clock.today())
    if month.first_day > clock.today():
        raise InvalidInput(
            N_("{month} has not begun yet: ask for this month or an earlier one."),
            month=str(month),
        )
    return month


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
        await _send_forms(bot, message.chat.id, app, actor, village)
    except NotFound as error:
        known = await exportable_villages(app, actor)
        await message.answer(error.render() + "\n" + _villages_line(known.values()))
    except DomainError as error:
        await message.answer(error.render())


async def _offer_villages(message: Message, app: App, actor: Actor, bot: Bot) -> None:
    """Buttons for the town office; a village admin has one village: no need to choose."""
    villages = await exportable_villages(app, actor)
    if len(villages) == 1 and actor.village_id in villages:
        await _send_forms(bot, message.chat.id, app, actor, villages[actor.village_id])
        return
    if not villages:
        await message.answer(_("There are no villages yet: import the roster first."))
        return
    buttons = [(f"📄 {name}", ExportVillage(village_id=key)) for key, name in villages.items()]
    await message.answer(
        _("Which village's six forms (附件1–6)?"), reply_markup=inline_grid(buttons, columns=3)
    )


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
        await _send_forms(bot, query.message.chat.id, app, actor, village)
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)


async def _send_forms(bot: Bot, chat_id: int, app: App, actor: Actor, village: str) -> None:
    """Export the village's six forms and send each as a document with its title."""
    with tempfile.TemporaryDirectory(prefix="bangfu-forms-") as folder:
        paths = await export_forms(app, actor, village, out_dir=Path(folder))
        titles = {form_file_name(village, form): _form_caption(village, form) for form in FORMS}
        parts = [
            OutgoingMessage(
                titles.get(path.name, path.stem),
                attachment=Attachment(FileKind.DOCUMENT, path.name, path.read_bytes()),
            )
            for path in paths
        ]
    await _send(bot, chat_id, parts)


def _form_caption(village: str, form: FormSpec) -> str:
    return _("Attachment {number}: {title}").format(number=form.number, title=form.title(village))


def _villages_line(names: Iterable[str]) -> str:
    listed = join_list(names)
    if not listed:
        return _("There are no villages yet: import the roster first.")
    return _("Villages you can export: {villages}").format(villages=listed)


async def _send(bot: Bot, chat_id: int, parts: Iterable[OutgoingMessage]) -> None:
    """Send the parts in order. The bot's session paces them (a group takes about 20
    messages a minute, and six forms after a summary come close) and waits out a 429."""
    for part in parts:
        await part.send(bot, chat_id)


def build_router() -> Router:
    router = Router(name="reports")
    router.message.register(summary, Command("summary"))
    router.message.register(export, Command("export"))
    router.callback_query.register(export_pressed, ExportVillage.filter())
    return router
