"""Setting the town office's group without typing ids: a town office person adds the bot to
a group, the bot asks there whether this is the office's group, and a town office person
confirms with a button (anyone else gets a polite no). A group Telegram upgrades to a
supergroup is followed to its new id; the bot removed from the office's group forgets it.

Open to anyone (before the `Registered` filter): the person pressing may not be registered,
and the service decides who may confirm (services/office_group.py)."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import JOIN_TRANSITION, LEAVE_TRANSITION, ChatMemberUpdatedFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message

from bot.core.delivery import office_group
from bot.core.policy import Actor
from bot.domain.model import Role
from bot.errors import NotAllowed
from bot.handlers.dialogs import replace_pressed
from bot.i18n import gettext as _
from bot.messages.keyboards import inline_grid
from bot.storage.uow import App

log = logging.getLogger(__name__)
IN_A_GROUP = F.chat.type.in_({"group", "supergroup"})


class OfficeGroupAnswer(CallbackData, prefix="og"):
    yes: bool


async def added_to_group(event: ChatMemberUpdated, bot: Bot, app: App, actor: Actor | None) -> None:
    # Only the town office's own move is answered: a bot pulled into any other group by
    # anyone else stays quiet there.
    if actor is None or not actor.office:
        log.info("added to group %s by a non-office account; not asking", event.chat.id)
        return
    current = await office_group.resolve_now(app, office_group.office_of(actor))
    if current is not None and current.chat_id == event.chat.id:
        await bot.send_message(event.chat.id, _("This group is already the town office group."))
        return
    county = actor.role == Role.COUNTY_OFFICE
    question = (
        _(
            "Hello! I am the monitoring assistant (帮扶). Is this the county office's work "
            "group?\nIf it is, a county office colleague please tap “Yes”. Then the towns "
            "compared each month, the removals waiting for the county's decision and the "
            "county's escalations come to this group."
        )
        if county
        else _(
            "Hello! I am the monitoring assistant (帮扶). Is this the town office's work group?\n"
            "If it is, a town office colleague please tap “Yes”. Then red-flag alerts, removal "
            "requests, the month-end lists and the monthly summary come to this group."
        )
    )
    yes = (
        _("✅ Yes, this is the county office group")
        if county
        else _("✅ Yes, this is the town office group")
    )
    await bot.send_message(
        event.chat.id,
        question,
        reply_markup=inline_grid(
            [(yes, OfficeGroupAnswer(yes=True)), (_("No"), OfficeGroupAnswer(yes=False))],
            columns=1,
        ),
    )


async def answered(
    query: CallbackQuery, callback_data: OfficeGroupAnswer, bot: Bot, app: App, actor: Actor | None
) -> None:
    chat = query.message.chat if query.message is not None else None
    if chat is None or chat.type not in ("group", "supergroup"):
        await query.answer()  # a forged press outside a group: nothing to set
        return
    if actor is None or not actor.office:
        await query.answer(_(office_group.ONLY_TOWN_OFFICE), show_alert=True)
        return
    if not callback_data.yes:
        await query.answer()
        await replace_pressed(
            query,
            _(
                "All right: this group is not the town office group. To set it later, remove "
                "me from the group and add me again; I will ask once more."
            ),
            None,
        )
        return
    try:
        confirmed = await office_group.confirm(app, actor, chat.id, chat.title or "")
    except NotAllowed as refused:
        await query.answer(refused.render(), show_alert=True)
        return
    await query.answer()
    await replace_pressed(query, _confirmed_text(confirmed, actor), None)
    if confirmed.replaced is not None:
        await _tell_the_old_group(bot, confirmed.replaced.chat_id, chat.title or "")


def _confirmed_text(confirmed: office_group.Confirmed, actor: Actor) -> str:
    if actor.role == Role.COUNTY_OFFICE:
        return _(
            "Done: {name} set this group as the county office group. The towns compared, the "
            "removals waiting for the county's decision and the county's escalations come here."
        ).format(name=actor.name)
    lines = [
        _("Done: {name} set this group as the town office group.").format(name=actor.name),
        _(
            "From now on, red-flag alerts, removal requests, the month-end list of households "
            "not contacted and the monthly summary come here, instead of to each town office "
            "person privately."
        ),
        _(
            "Town office colleagues can use every command here (/office lists them). Village "
            "cadres and contact persons, please keep using your private chat with me."
        ),
    ]
    if confirmed.replaced is not None:
        lines.append(
            _("The previous group “{title}” no longer gets these messages.").format(
                title=confirmed.replaced.title or confirmed.replaced.chat_id
            )
        )
    if confirmed.overridden_by is not None:
        lines.append(
            _(
                "⚠️ Note: the setting TOWN_OFFICE_CHAT_ID names another chat ({chat_id}) and "
                "still takes precedence. Ask whoever runs the bot to remove it from .env and "
                "restart bangfu; until then messages go there."
            ).format(chat_id=confirmed.overridden_by)
        )
    return "\n\n".join(lines)


async def _tell_the_old_group(bot: Bot, chat_id: int, new_title: str) -> None:
    try:
        await bot.send_message(
            chat_id,
            _(
                "This group is no longer the town office group: from now on the town office's "
                "messages go to “{title}”."
            ).format(title=new_title),
        )
    except TelegramAPIError as error:  # the bot may have left it already
        log.info("could not tell the former office group %s: %s", chat_id, error)


async def removed_from_group(event: ChatMemberUpdated, app: App) -> None:
    await office_group.forget_if_removed(app, event.chat.id)


async def group_became_supergroup(message: Message, bot: Bot, app: App) -> None:
    assert message.migrate_to_chat_id is not None
    await _follow(bot, app, message.chat.id, message.migrate_to_chat_id)


async def supergroup_was_group(message: Message, bot: Bot, app: App) -> None:
    assert message.migrate_from_chat_id is not None
    await _follow(bot, app, message.migrate_from_chat_id, message.chat.id)


async def _follow(bot: Bot, app: App, old_chat_id: int, new_chat_id: int) -> None:
    # Telegram reports the move twice (in the old group and in the new one): say it once.
    if (
        await office_group.follow_migration(app, old_chat_id, new_chat_id)
        is office_group.Migration.MOVED
    ):
        await bot.send_message(
            new_chat_id,
            _(
                "This group was upgraded by Telegram (it has a new id). It is still the town "
                "office group; nothing needs to be set."
            ),
        )


def build_router() -> Router:
    router = Router(name="office_group")
    router.my_chat_member.register(
        added_to_group, ChatMemberUpdatedFilter(JOIN_TRANSITION), IN_A_GROUP
    )
    router.callback_query.register(answered, OfficeGroupAnswer.filter())
    router.my_chat_member.register(
        removed_from_group, ChatMemberUpdatedFilter(LEAVE_TRANSITION), IN_A_GROUP
    )
    router.message.register(group_became_supergroup, F.migrate_to_chat_id)
    router.message.register(supergroup_was_group, F.migrate_from_chat_id)
    return router
