"""Office work only where its readers may see it: the one check on every way into the office
router (commands, buttons, forged callback data, uploads), before any handler runs.

The rule itself is `access.check_office_chat`; this middleware tells it which chat the answer
would go to. Refused, a typed command gets one line saying where to ask, a button press an
alert; anything else (a file shared in a group, say) gets nothing, so the bot stays quiet in
groups that are not its business.
"""

from __future__ import annotations

from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Chat, Message, TelegramObject

from bot.core.delivery import office_group
from bot.core.policy import Actor, ChatKind, check_office_chat
from bot.errors import NotAllowed
from bot.storage.uow import App
from bot.telegram.middlewares import Handler


async def chat_kind(chat: Chat | None, app: App, actor: Actor | None = None) -> ChatKind:
    """Which kind of chat this is, for the actor; a press that comes without its chat counts
    as any group. An office person's office group is their own office's: another town's
    office group is any other group to them (its members may not read their town's work)."""
    if chat is not None and chat.type == "private":
        return ChatKind.PRIVATE
    if chat is not None:
        async with app.uow() as uow:
            offices = await office_group.offices_of_chat(uow, app.settings, chat.id)
        if offices and (actor is None or not actor.office):
            return ChatKind.OFFICE_GROUP
        if actor is not None and office_group.office_of(actor) in offices:
            return ChatKind.OFFICE_GROUP
    return ChatKind.OTHER_GROUP


class OfficeChatsOnly(BaseMiddleware):
    """An inner middleware of the office router: runs once a handler there matched."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        app: App = data["app"]
        actor: Actor = data["actor"]
        if isinstance(event, CallbackQuery):
            chat = event.message.chat if event.message is not None else None
        else:
            assert isinstance(event, Message)
            chat = event.chat
        try:
            check_office_chat(actor, await chat_kind(chat, app, actor))
        except NotAllowed as refused:
            await _say_where_to_ask(event, refused.render())
            return None
        return await handler(event, data)


async def _say_where_to_ask(event: TelegramObject, text: str) -> None:
    if isinstance(event, CallbackQuery):
        await event.answer(text, show_alert=True)
    elif isinstance(event, Message) and (event.text or "").startswith("/"):
        await event.answer(text)
