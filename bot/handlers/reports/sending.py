"""Sending reports into a chat: the six forms of a village (or of every village of a town)
as documents, and any prepared parts, in order. `/summary`, `/export` and the county's
`/county` use it, and read the month asked for the same way."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from aiogram import Bot
from aiogram.filters.callback_data import CallbackData
from aiogram.types import Message

from bot.clock import Clock, Month
from bot.core.dates import parse_month
from bot.core.policy import Actor
from bot.core.reports.form_layout import FORMS, FormSpec
from bot.documents.forms import export_forms, form_file_name
from bot.errors import InvalidInput
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages.keyboards import RowId, inline_grid
from bot.messages.rendering import Attachment, FileKind, OutgoingMessage
from bot.storage.uow import App


class ExportVillage(CallbackData, prefix="xf"):
    """A press on a village under /export: send its six forms."""

    village_id: RowId


async def send_parts(bot: Bot, chat_id: int, parts: Iterable[OutgoingMessage]) -> None:
    """Send the parts in order. The bot's session paces them (a group takes about 20
    messages a minute, and six forms after a summary come close) and waits out a 429."""
    for part in parts:
        await part.send(bot, chat_id)


async def send_forms(
    bot: Bot,
    chat_id: int,
    app: App,
    actor: Actor,
    village: str | None,
    town: tuple[int, list[str]] | None = None,
) -> None:
    """Export the village's six forms (or those of every village of a town: its id and
    village names) and send each as a document with its title."""
    with tempfile.TemporaryDirectory(prefix="bangfu-forms-") as folder:
        town_id, names = town if town is not None else (None, [village or ""])
        paths = await export_forms(app, actor, village, out_dir=Path(folder), town_id=town_id)
        titles = {
            form_file_name(name, form): _form_caption(name, form)
            for name in names
            for form in FORMS
        }
        parts = [
            OutgoingMessage(
                titles.get(path.name, path.stem),
                attachment=Attachment(FileKind.DOCUMENT, path.name, path.read_bytes()),
            )
            for path in paths
        ]
    await send_parts(bot, chat_id, parts)


def _form_caption(village: str, form: FormSpec) -> str:
    return _("Attachment {number}: {title}").format(number=form.number, title=form.title(village))


def month_asked(args: str | None, clock: Clock) -> Month:
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


async def offer_places(
    message: Message,
    places: dict[int, str],
    icon: str,
    data: Callable[[int], CallbackData],
    question: str,
) -> None:
    """The villages (or towns) whose forms may be exported, as buttons under `question`."""
    if not places:
        await message.answer(_("There are no villages yet: import the roster first."))
        return
    buttons = [(f"{icon} {name}", data(key)) for key, name in places.items()]
    await message.answer(question, reply_markup=inline_grid(buttons, columns=3))
