"""The buttons under the escalation lists and the "never opened the invitation" notice:
🔔 remind a contact person now, 📋 their households left (open one; the town office also
reassigns), 🔗 a new invitation link to forward. The services decide who may."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.coverage import escalations
from bot.core.coverage.escalations import PersonBacklog
from bot.core.households.my_households import household_name
from bot.core.onboarding.invites import invite_link
from bot.core.onboarding.reinvite import check_reissue, reissue_invite
from bot.core.paging import page_of
from bot.core.policy import Actor
from bot.domain.model import Role
from bot.errors import DomainError
from bot.handlers.dialogs import replace_pressed, unless_refused
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages.escalation_notices import NO_CONTACT_PERSON
from bot.messages.keyboards import (
    Backlog,
    HouseholdAct,
    HouseholdAction,
    NewInvite,
    RemindNow,
    inline_grid,
    pager,
)
from bot.storage.uow import App

CANNOT_WRITE_PRIVATELY = N_(
    "I cannot write to you privately, and the link must not be posted here: please open a "
    "private chat with me and tap Start, then press the button again."
)


def backlog_view(
    backlog: PersonBacklog, actor: Actor, page: int, size: int
) -> tuple[str, InlineKeyboardMarkup]:
    """A page of one person's households left this month: each opens its record; the town
    office also gets 👤 reassign beside each."""
    person = backlog.person
    name = person.name if person is not None else _(NO_CONTACT_PERSON)
    shown = page_of(backlog.households, page, size)
    lines = [
        _("👤 {name}: {count} households not contacted yet this month").format(
            name=name, count=shown.total
        )
    ]
    if shown.pages > 1:
        lines.append(_("(page {page} of {pages})").format(page=shown.page + 1, pages=shown.pages))
    office = actor.role == Role.TOWN_OFFICE
    lines.append(
        _("Tap a household to open its record; 👤 reassigns it.")
        if office
        else _("Tap a household to open its record.")
    )
    buttons: list[tuple[str, CallbackData | str]] = []
    for household in shown.items:
        buttons.append(
            (
                "🏠 " + household_name(household),
                HouseholdAction(action=HouseholdAct.HISTORY, household_id=household.id),
            )
        )
        if office:
            buttons.append(
                (
                    _("👤 Reassign"),
                    HouseholdAction(action=HouseholdAct.REASSIGN, household_id=household.id),
                )
            )
    person_id = person.id if person is not None else escalations.NOBODY
    footer = pager(
        shown.page, shown.pages, lambda number: Backlog(person_id=person_id, page=number, turn=True)
    )
    if person is not None and escalations.can_be_reminded(person):
        footer.append((_("🔔 Remind {name}").format(name=name), RemindNow(person_id=person_id)))
    return "\n".join(lines), inline_grid(buttons, columns=2 if office else 1, footer=footer)


async def open_backlog(
    query: CallbackQuery, callback_data: Backlog, app: App, actor: Actor
) -> None:
    backlog = await unless_refused(
        query, escalations.person_backlog(app, actor, callback_data.person_id)
    )
    if backlog is None:
        return
    await query.answer()
    if not isinstance(query.message, Message):
        return
    text, markup = backlog_view(
        backlog, actor, callback_data.page, app.settings.households_page_size
    )
    if callback_data.turn:
        await replace_pressed(query, text, markup)  # ◀ ▶ within the person's list
    else:
        await query.message.answer(text, reply_markup=markup)  # from the escalation list


async def remind(query: CallbackQuery, callback_data: RemindNow, app: App, actor: Actor) -> None:
    backlog = await unless_refused(
        query, escalations.remind_now(app, actor, callback_data.person_id)
    )
    if backlog is None:
        return
    assert backlog.person is not None
    text = _(
        "🔔 {name} will get a reminder now, listing the {count} households still to contact."
    ).format(name=backlog.person.name, count=len(backlog.households))
    if backlog.waits_for_morning:
        text += _(" It is the quiet hours now: it goes out at {hour}:00.").format(
            hour=f"{app.settings.quiet_hours_end:02d}"
        )
    await query.answer(text)
    if isinstance(query.message, Message):
        # In the office's group, colleagues see who was reminded, and by whom.
        await query.message.answer(_("{text} ({by})").format(text=text, by=actor.name))


async def new_invite(
    query: CallbackQuery, callback_data: NewInvite, app: App, actor: Actor, bot: Bot
) -> None:
    """The link is a key: it goes only to the presser's private chat, also when the notice was
    pressed in the office's group, where village cadres and contact persons read along."""
    private_chat = query.from_user.id  # a person's private chat with the bot has their id
    asked_in = query.message.chat.id if isinstance(query.message, Message) else private_chat
    try:
        await check_reissue(app, actor, callback_data.person_id)
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)
        return
    if not await _can_write_privately(bot, private_chat):
        # Checked before a new link replaces the old one, so a refusal changes nothing.
        await query.answer(_(CANNOT_WRITE_PRIVATELY), show_alert=True)
        if asked_in != private_chat:
            await bot.send_message(
                asked_in,
                _("{name}: {text}").format(name=actor.name, text=_(CANNOT_WRITE_PRIVATELY)),
            )
        return
    try:
        issued = await reissue_invite(app, actor, callback_data.person_id)
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)
        return
    await query.answer()
    me = await bot.me()
    link = invite_link(me.username or "", issued.code)
    try:
        await bot.send_message(
            private_chat,
            _(
                "🔗 A new invitation link for {name}. It works once, until {day}; older links "
                "no longer work. Forward the next message to this contact person."
            ).format(name=issued.person.name, day=app.clock.local_date(issued.expires_at)),
        )
        await bot.send_message(
            private_chat,
            _(
                "Hello {name}! The town office invites you to the household contact bot. "
                "Open this link and tap Start:\n{link}"
            ).format(name=issued.person.name, link=link),
        )
    except TelegramAPIError:  # blocked between the check and the send
        await bot.send_message(asked_in, _(CANNOT_WRITE_PRIVATELY))
        return
    if asked_in != private_chat:
        await bot.send_message(
            asked_in,
            _(
                "{name}: I sent you the new invitation link for {person} privately (the link "
                "is personal, do not post it here)."
            ).format(name=actor.name, person=issued.person.name),
        )


async def _can_write_privately(bot: Bot, chat_id: int) -> bool:
    """Telegram refuses a bot's messages to someone who never started it (or blocked it)."""
    try:
        await bot.send_chat_action(chat_id, ChatAction.TYPING)
    except TelegramAPIError:
        return False
    return True


def build_router() -> Router:
    router = Router(name="escalations")
    router.callback_query.register(open_backlog, Backlog.filter())
    router.callback_query.register(remind, RemindNow.filter())
    router.callback_query.register(new_invite, NewInvite.filter())
    return router
