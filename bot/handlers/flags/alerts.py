"""The buttons under a red-flag alert: "✅ Acknowledge" and "⏱ 7 / 15 / 30 days".

Alerts often land in the town office's group chat, so whoever presses is the actor (their
role is checked by the service). The alert is edited to the flag's state (acknowledged by
whom, the deadline) with only the buttons still of use, and a short note under it tells the
group what changed; a press that changes nothing (a second one, a colleague's at the same
moment) is answered to the presser alone.
"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message

from bot.core.flags import acknowledgement as flag_workflow
from bot.core.flags import retraction
from bot.core.flags.acknowledgement import FlagView
from bot.core.flags.removal import FlagAct
from bot.core.households.my_households import household_name
from bot.core.policy import Actor
from bot.handlers.dialogs import unless_refused
from bot.i18n import gettext as _
from bot.messages.keyboards import FlagAction, FlagButton, flag_alert_keyboard
from bot.messages.notices import flag_alert_text
from bot.storage.uow import App

log = logging.getLogger(__name__)


async def acknowledge(
    query: CallbackQuery, callback_data: FlagAction, actor: Actor, app: App
) -> None:
    view = await unless_refused(query, flag_workflow.acknowledge(app, actor, callback_data.flag_id))
    if view is None:
        return
    await query.answer(_("Acknowledged. Thank you."))
    await _show_in_chat(
        query,
        app,
        view,
        _("✅ {name} acknowledged the red flag on {household}, {village}.").format(
            name=actor.name, household=household_name(view.household), village=_village(view)
        ),
    )


async def set_deadline(
    query: CallbackQuery, callback_data: FlagAction, actor: Actor, app: App
) -> None:
    view = await unless_refused(
        query, flag_workflow.set_deadline(app, actor, callback_data.flag_id, callback_data.days)
    )
    if view is None:
        return
    deadline = view.flag.deadline.isoformat() if view.flag.deadline else "—"
    await query.answer(_("Deadline set: {deadline}.").format(deadline=deadline))
    await _show_in_chat(
        query,
        app,
        view,
        _(
            "⏱ {name} set the deadline for {household}, {village}: remove the risk by {deadline}."
        ).format(
            name=actor.name,
            household=household_name(view.household),
            village=_village(view),
            deadline=deadline,
        ),
    )


async def _show_in_chat(query: CallbackQuery, app: App, view: FlagView, note: str) -> None:
    """Edit the alert to the flag's state now and post who did what under it."""
    if not isinstance(query.message, Message):
        return  # too old for Telegram to let the bot touch it
    today = app.clock.today()
    try:
        await query.message.edit_text(
            flag_alert_text(view, {}, app.settings.tz, today),
            reply_markup=flag_alert_keyboard(view, today),
        )
    except TelegramBadRequest as error:  # e.g. "message is not modified"
        log.info("alert left as it was: %s", error.message)
    await query.message.reply(note)


async def decide_retraction(
    query: CallbackQuery, callback_data: FlagAction, actor: Actor, app: App
) -> None:
    """🚩 Keep / ↩️ Withdraw under the question about a flag whose contact was taken back."""
    withdraw = callback_data.action == FlagButton.RETRACT
    view = await unless_refused(
        query, retraction.decide_retraction(app, actor, callback_data.flag_id, withdraw)
    )
    if view is None:
        return
    if withdraw:
        note = _("↩️ {name} withdrew the red flag on {household}, {village}.")
    else:
        note = _("🚩 {name} kept the red flag on {household}, {village}; it stays open.")
    await query.answer()
    text = note.format(
        name=actor.name, household=household_name(view.household), village=_village(view)
    )
    if isinstance(query.message, Message):
        try:  # the question is answered: its buttons go, the answer takes their place
            await query.message.edit_text(text, reply_markup=None)
        except TelegramBadRequest as error:
            log.info("question left as it was: %s", error.message)
            await query.message.reply(text)


def _village(view: FlagView) -> str:
    return view.household.village.name


def build_router() -> Router:
    router = Router(name="flag_alerts")
    router.callback_query.register(acknowledge, FlagAction.filter(F.action == FlagAct.ACKNOWLEDGE))
    router.callback_query.register(set_deadline, FlagAction.filter(F.action == FlagButton.DEADLINE))
    router.callback_query.register(
        decide_retraction,
        FlagAction.filter(F.action.in_({FlagButton.KEEP, FlagButton.RETRACT})),
    )
    return router
