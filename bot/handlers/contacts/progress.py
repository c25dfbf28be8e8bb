"""📅 This month: how many of one's households are contacted, the days left, and who remains
(each a button that starts logging a contact for it)."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import Message

from bot.core.coverage.progress import MonthProgress, progress_this_month
from bot.core.households.my_households import household_name
from bot.core.policy import Actor
from bot.handlers.households.my_households import told_none_are_theirs
from bot.i18n import gettext as _
from bot.messages.keyboards import THIS_MONTH, HouseholdAct, HouseholdAction, LogPage, inline_grid
from bot.messages.notices import ALL_LEFT, FIRST_FEW
from bot.storage.uow import App
from bot.telegram.filters import MenuButton

# Buttons shown for the households still to contact; "📋 All" pages through the rest.
MAX_REMAINING_BUTTONS = FIRST_FEW


def progress_text(progress: MonthProgress, days_left: int) -> str:
    lines = [
        _("📅 {month}: contacted {contacted}/{total} this month").format(
            month=str(progress.month), contacted=progress.contacted, total=progress.total
        )
    ]
    if not progress.remaining:
        lines.append(_("🎉 Every household is contacted this month. Thank you!"))
        return "\n".join(lines)
    if days_left <= 1:
        lines.append(_("Today is the last day of the month."))
    else:
        lines.append(
            _("{days} days left, until {last_day}.").format(
                days=days_left, last_day=progress.month.last_day.isoformat()
            )
        )
    lines.append(_("Not contacted yet: tap one to log a contact."))
    return "\n".join(lines)


async def this_month(message: Message, app: App, actor: Actor) -> None:
    # A form open at the press was ended before routing (dialogs.MenuPressLeavesForm).
    progress = await progress_this_month(app, actor)
    if await told_none_are_theirs(message, app, actor, progress.total):
        return
    buttons = [
        (
            f"✍️ {household_name(household)}",
            HouseholdAction(action=HouseholdAct.LOG, household_id=household.id),
        )
        for household in progress.remaining[:MAX_REMAINING_BUTTONS]
    ]
    footer: list[tuple[str, CallbackData | str]] = []
    if len(progress.remaining) > MAX_REMAINING_BUTTONS:
        footer.append((_(ALL_LEFT).format(total=len(progress.remaining)), LogPage(page=0)))
    text = progress_text(progress, progress.days_left(app.clock.today()))
    markup = inline_grid(buttons, columns=2, footer=footer) if buttons else None
    await message.answer(text, reply_markup=markup)


def build_router() -> Router:
    router = Router(name="month")
    router.message.register(this_month, MenuButton(THIS_MONTH))
    return router
