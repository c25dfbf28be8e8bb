"""The county office's reports in its chat (县级):

- `/county [YYYY-MM]` or 🏙 Towns compared: each town's coverage side by side (the message,
  the chart, the workbook), last month by default;
- `/export`: the county office first picks a town, then one of its villages, or all of them.

The services decide who may (the county office; a town office person is refused)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message

from bot.core.policy import Actor
from bot.core.reports.county import county_coverage
from bot.core.reports.forms import exportable_towns, exportable_villages
from bot.errors import DomainError
from bot.handlers.reports.sending import (
    ExportVillage,
    month_asked,
    offer_places,
    send_forms,
    send_parts,
)
from bot.i18n import gettext as _
from bot.messages.county_notices import county_messages
from bot.messages.keyboards import TOWNS, RowId, inline_grid
from bot.storage.uow import App
from bot.telegram.filters import MenuButton


class ExportTown(CallbackData, prefix="xt"):
    """A press on a town under /export (the county office): its villages to pick from, or,
    with `every`, the six forms of all of them."""

    town_id: RowId
    every: bool = False


async def towns_compared(message: Message, app: App, actor: Actor, bot: Bot) -> None:
    await _compare(message, app, actor, bot, None)


async def county_command(
    message: Message, command: CommandObject, app: App, actor: Actor, bot: Bot
) -> None:
    await _compare(message, app, actor, bot, command.args)


async def _compare(message: Message, app: App, actor: Actor, bot: Bot, args: str | None) -> None:
    try:
        month = month_asked(args, app.clock)
        county = await county_coverage(app, actor, month)
        running = month == app.clock.this_month()
        parts = await county_messages(county, so_far=app.clock.today() if running else None)
    except DomainError as error:
        await message.answer(error.render())
        return
    await send_parts(bot, message.chat.id, parts)


async def offer_towns(message: Message, app: App, actor: Actor) -> None:
    """The county's towns as buttons: a county has 250 villages, too many to offer at once."""
    towns = await exportable_towns(app, actor)
    question = _("Which town's six forms (附件1–6)?")
    await offer_places(message, towns, "🏙", lambda key: ExportTown(town_id=key), question)


async def town_pressed(
    query: CallbackQuery, callback_data: ExportTown, app: App, actor: Actor, bot: Bot
) -> None:
    if query.message is None:
        await query.answer(_("This button is too old. Write /export again."), show_alert=True)
        return
    try:
        # Callback data is untrusted: the town must be one whose forms this person may export.
        town = (await exportable_towns(app, actor)).get(callback_data.town_id)
        villages = await exportable_villages(app, actor, callback_data.town_id) if town else {}
        if town is None or not villages:
            await query.answer(_("You cannot export that town's forms."), show_alert=True)
            return
        if callback_data.every:
            await query.answer(_("Preparing the forms of {village}…").format(village=town))
            every = (callback_data.town_id, list(villages.values()))
            await send_forms(bot, query.message.chat.id, app, actor, None, every)
            return
        await query.answer()
        buttons: list[tuple[str, CallbackData]] = [
            (f"📄 {name}", ExportVillage(village_id=key)) for key, name in villages.items()
        ]
        buttons.append(
            (
                _("📦 All {count} villages of {town}").format(count=len(villages), town=town),
                ExportTown(town_id=callback_data.town_id, every=True),
            )
        )
        await query.message.answer(
            _("Which village of {town}?").format(town=town),
            reply_markup=inline_grid(buttons, columns=3),
        )
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)


def build_router() -> Router:
    router = Router(name="county")
    router.message.register(county_command, Command("county"))
    router.message.register(towns_compared, MenuButton(TOWNS))
    router.callback_query.register(town_pressed, ExportTown.filter())
    return router
