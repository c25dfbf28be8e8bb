"""Inviting every contact person not yet joined, from the chat: /invite_all (or /invite_all
村名), or the button under /office. The workbook holds the links, which are keys: it always
goes to the town office person's private chat, also when asked for in the office's group,
where others (village cadres, contact persons) may read along. The service checks the role."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message

from bot.core.onboarding import bulk_invites
from bot.core.onboarding.bulk_invites import BulkInvites
from bot.core.policy import Actor
from bot.documents.invite_sheet import file_name, invite_workbook
from bot.domain.model import Role
from bot.errors import DomainError
from bot.i18n import gettext as _
from bot.messages.keyboards import RowId, inline_grid
from bot.messages.rendering import Attachment, FileKind, OutgoingMessage
from bot.storage.uow import App


class InviteAll(CallbackData, prefix="ia"):
    village_id: RowId = 0  # 0: the whole town
    renew: bool = False


def invite_all_button() -> tuple[str, InviteAll]:
    return _("📨 Invite all contact persons not yet joined"), InviteAll()


async def invite_all_command(
    message: Message, command: CommandObject, app: App, actor: Actor, bot: Bot
) -> None:
    assert message.from_user is not None
    village = (command.args or "").strip() or None
    await _invite(bot, app, actor, message.chat.id, message.from_user.id, village=village)


async def invite_all_pressed(
    query: CallbackQuery, callback_data: InviteAll, app: App, actor: Actor, bot: Bot
) -> None:
    await query.answer()
    if query.message is None:
        return
    await _invite(
        bot,
        app,
        actor,
        query.message.chat.id,
        query.from_user.id,
        village_id=callback_data.village_id or None,
        renew=callback_data.renew,
    )


async def _invite(
    bot: Bot,
    app: App,
    actor: Actor,
    asked_in: int,
    private_chat: int,  # a person's private chat with the bot has their Telegram id
    *,
    village: str | None = None,
    village_id: int | None = None,
    renew: bool = False,
) -> None:
    me = await bot.me()
    try:
        invites = await bulk_invites.invite_everyone_not_joined(
            app,
            actor,
            me.username or "",
            role=Role.CONTACT,
            village=village,
            village_id=village_id,
            renew=renew,
        )
    except DomainError as error:
        await bot.send_message(asked_in, error.render())
        return
    if not invites.rows:
        await bot.send_message(
            asked_in, _("Every contact person has joined: there is nobody to invite.")
        )
        return
    try:
        await _send_sheet(bot, app, private_chat, invites)
    except TelegramAPIError:
        await bot.send_message(
            asked_in,
            _("I could not send you the sheet privately: please open a chat with me first."),
        )
        return
    if private_chat != asked_in:
        await bot.send_message(
            asked_in,
            _("{name}: I sent you the invitation sheet privately (the links are personal).").format(
                name=actor.name
            ),
        )


async def _send_sheet(bot: Bot, app: App, chat_id: int, invites: BulkInvites) -> None:
    tz = app.settings.tz
    where = _(" in {village}").format(village=invites.village) if invites.village else ""
    if invites.issued:
        lines = [
            _(
                "Invitations for the {count} contact person(s) not yet joined{where}: {issued} "
                "new link(s), each working once, for {days} days."
            ).format(
                count=len(invites.rows),
                where=where,
                issued=invites.issued,
                days=app.settings.invite_ttl_days,
            ),
            _(
                "Sheet 1 has a message for each person to paste into WeChat or an SMS; sheet 2 "
                "has slips to print and cut."
            ),
        ]
    else:  # everyone's link is still out there: the sheet is the list of who to chase
        lines = [
            _(
                "The {count} contact person(s) not yet joined{where} all have an unused link "
                "sent before that still works: no new links. The sheet lists them with the "
                "date their link expires."
            ).format(count=len(invites.rows), where=where)
        ]
    markup = None
    if invites.kept:
        if invites.issued:
            lines.append(
                _(
                    "{kept} of them still have an unused link sent before, which keeps working "
                    "(not replaced). If they lost it, tap the button for new links."
                ).format(kept=invites.kept)
            )
        renew = InviteAll(village_id=invites.village_id or 0, renew=True)
        markup = inline_grid(
            [(_("🔄 New links for these {kept}").format(kept=invites.kept), renew)]
        )
    sheet = Attachment(
        FileKind.DOCUMENT, file_name(invites, app.clock.today()), invite_workbook(invites, tz)
    )
    for part in OutgoingMessage("\n\n".join(lines), markup, sheet).split():
        await part.send(bot, chat_id)


def build_router() -> Router:
    router = Router(name="invites")
    router.message.register(invite_all_command, Command("invite_all"))
    router.callback_query.register(invite_all_pressed, InviteAll.filter())
    return router
