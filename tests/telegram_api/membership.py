"""Groups as the bot sees them: `getChat` and `getChatMember`, for `bangfu doctor`.

A group created by a test has the bot as a plain member. A test changes that with
`group.chat.bot_member = {"status": "administrator"}` (or "restricted" with rights such as
`{"can_send_messages": False}`, "left", "kicked"), or `group.chat.migrated_to = new_id` for a
group that became a supergroup. Only the bot's own membership is known here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.telegram_api.chats import Chat
from tests.telegram_api.methods import method
from tests.telegram_api.validation import BotApiError, bad_request

if TYPE_CHECKING:
    from tests.telegram_api.server import Call, FakeTelegram

# Every right Telegram lists for an administrator or a restricted member (aiogram checks
# that each is there); a test's own values override these.
ADMINISTRATOR_RIGHTS = dict.fromkeys(
    (
        "is_anonymous",
        "can_manage_chat",
        "can_delete_messages",
        "can_manage_video_chats",
        "can_restrict_members",
        "can_promote_members",
        "can_change_info",
        "can_invite_users",
        "can_post_stories",
        "can_edit_stories",
        "can_delete_stories",
        "can_send_welcome_messages",
    ),
    False,
) | {"can_be_edited": False, "can_manage_chat": True}
RESTRICTED_RIGHTS = dict.fromkeys(
    (
        "can_send_messages",
        "can_send_audios",
        "can_send_documents",
        "can_send_photos",
        "can_send_videos",
        "can_send_video_notes",
        "can_send_voice_notes",
        "can_send_polls",
        "can_send_other_messages",
        "can_add_web_page_previews",
        "can_react_to_messages",
        "can_edit_tag",
        "can_change_info",
        "can_invite_users",
        "can_pin_messages",
        "can_manage_topics",
    ),
    True,
) | {"is_member": True, "until_date": 0}


class MigratedGroup(BotApiError):
    def __init__(self, new_id: int) -> None:
        super().__init__(400, "Bad Request: group chat was upgraded to a supergroup chat")
        self.new_id = new_id

    def payload(self) -> dict[str, Any]:
        return super().payload() | {"parameters": {"migrate_to_chat_id": self.new_id}}


def _group_reachable(chat: Chat) -> None:
    """As Telegram answers for a group the bot is no longer in, or that moved."""
    if chat.migrated_to is not None:
        raise MigratedGroup(chat.migrated_to)
    status = (chat.bot_member or {}).get("status")
    if status == "kicked":
        raise BotApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
    if status == "left":
        raise bad_request("chat not found")


@method("getChat")
async def get_chat(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    chat = tg.chat_for(call)
    if chat.type != "private":
        _group_reachable(chat)
    return chat.to_api() | {
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


@method("getChatMember")
async def get_chat_member(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    chat = tg.chat_for(call)
    if chat.type != "private":
        _group_reachable(chat)
    if call.params.get("user_id") != tg.bot_id:
        raise bad_request("user not found")
    member = dict(chat.bot_member or {"status": "member"})
    defaults = {"administrator": ADMINISTRATOR_RIGHTS, "restricted": RESTRICTED_RIGHTS}
    return defaults.get(member["status"], {}) | member | {"user": tg.bot_user}
