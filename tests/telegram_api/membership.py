"""Groups as the bot sees them: `getChat` and `getChatMember`, for `bangfu doctor`; the
`my_chat_member` update when someone adds the bot to a group or removes it, and the two
service messages of a group's move to a supergroup.

A group created by a test has the bot as a plain member. A test changes that with
`group.chat.bot_member = {"status": "administrator"}` (or "restricted" with rights such as
`{"can_send_messages": False}`, "left", "kicked"), or `group.chat.migrated_to = new_id` for a
group that became a supergroup. Only the bot's own membership is known here.
"""

from __future__ import annotations

from datetime import UTC, datetime
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


def bot_membership_update(
    tg: FakeTelegram, chat: Chat, by: dict[str, Any], old: str, new: str
) -> dict[str, Any]:
    """The `my_chat_member` update Telegram sends when `by` changes the bot's membership
    (e.g. "left" → "member" when added); the chat's state follows."""
    chat.bot_member = None if new == "member" else {"status": new}
    bot = tg.bot_user
    return {
        "my_chat_member": {
            "chat": chat.to_api(),
            "from": by,
            "date": int(tg.now().timestamp()),
            "old_chat_member": {"status": old, "user": bot} | _until(old),
            "new_chat_member": {"status": new, "user": bot} | _until(new),
        }
    }


def _until(status: str) -> dict[str, Any]:
    return {"until_date": 0} if status == "kicked" else {}


def migration_messages(old: Chat, new: Chat, by: dict[str, Any], when: int) -> list[dict[str, Any]]:
    """The two service messages of a move: in the old group (migrate_to_chat_id) and in
    the new supergroup (migrate_from_chat_id); the old group answers as moved from now on."""
    old.migrated_to = new.id
    moved_to = old.add(by, datetime.fromtimestamp(when, UTC), extra={"migrate_to_chat_id": new.id})
    moved_from = new.add(
        by, datetime.fromtimestamp(when, UTC), extra={"migrate_from_chat_id": old.id}
    )
    return [{"message": moved_to.to_api()}, {"message": moved_from.to_api()}]


def group_reachable(chat: Chat) -> None:
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
    chat = tg.chat_for(call)  # a group the bot left, or that moved, refuses here
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
    chat = tg.chat_for(call)  # a group the bot left, or that moved, refuses here
    if call.params.get("user_id") != tg.bot_id:
        raise bad_request("user not found")
    member = dict(chat.bot_member or {"status": "member"})
    defaults = {"administrator": ADMINISTRATOR_RIGHTS, "restricted": RESTRICTED_RIGHTS}
    return defaults.get(member["status"], {}) | member | {"user": tg.bot_user}
