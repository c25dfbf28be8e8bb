"""The Bot API methods the stand-in implements, each answering as Telegram does."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from tests.telegram_api.chats import CallbackAnswer, Chat, CommandsKey, StoredFile, StoredMessage
from tests.telegram_api.validation import (
    BotApiError,
    bad_request,
    check_callback_answer,
    check_caption,
    check_reply_markup,
    check_text,
)

if TYPE_CHECKING:
    from tests.telegram_api.server import Call, FakeTelegram

Method = Callable[["FakeTelegram", "Call", web.Request], Awaitable[Any]]
METHODS: dict[str, Method] = {}

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
PHOTO_LIMIT = 10 * 1024 * 1024
DOCUMENT_LIMIT = 50 * 1024 * 1024
COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


def method(name: str) -> Callable[[Method], Method]:
    def register(implementation: Method) -> Method:
        METHODS[name] = implementation
        return implementation

    return register


# Bot identity and setup.


@method("getMe")
async def get_me(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    return tg.bot_user


@method("getUpdates")
async def get_updates(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    return await tg.get_updates(call, request)


@method("setWebhook")
async def set_webhook(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    tg.webhook = {
        "url": call.params.get("url", ""),
        "secret_token": call.params.get("secret_token", ""),
        "allowed_updates": call.params.get("allowed_updates"),
    }
    return True


@method("deleteWebhook")
async def delete_webhook(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    tg.webhook = {}
    return True


@method("getWebhookInfo")
async def get_webhook_info(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    url = tg.webhook.get("url", "")
    return {"url": url, "has_custom_certificate": False, "pending_update_count": 0}


@method("setMyCommands")
async def set_my_commands(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    commands = call.params.get("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        if not COMMAND.match(str(command.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    tg.commands[_commands_key(tg, call)] = commands
    return True


@method("getMyCommands")
async def get_my_commands(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    return tg.commands.get(_commands_key(tg, call), [])


@method("deleteMyCommands")
async def delete_my_commands(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    tg.commands.pop(_commands_key(tg, call), None)
    return True


CHAT_SCOPES = ("chat", "chat_administrators", "chat_member")
SCOPES = (
    "default",
    "all_private_chats",
    "all_group_chats",
    "all_chat_administrators",
    *CHAT_SCOPES,
)


def _commands_key(tg: FakeTelegram, call: Call) -> CommandsKey:
    """(scope type, chat id, user id, language): a chat scope names its chat, a chat-member
    scope its chat and member, as Telegram requires."""
    scope = call.params.get("scope") or {"type": "default"}
    kind = scope.get("type", "default")
    if kind not in SCOPES:
        raise bad_request("BOT_COMMAND_SCOPE_INVALID")
    chat_id = scope.get("chat_id") if kind in CHAT_SCOPES else None
    user_id = scope.get("user_id") if kind == "chat_member" else None
    if kind in CHAT_SCOPES and (
        not isinstance(chat_id, int) or (chat_id not in tg.chats and tg.unknown_chat_error)
    ):
        raise bad_request("chat not found")  # as for a group the bot was never added to
    if kind == "chat_member" and not isinstance(user_id, int):
        raise bad_request("user not found")
    return CommandsKey(kind, chat_id, user_id, call.params.get("language_code") or "")


@method("setMyDescription")
@method("setMyShortDescription")
@method("setChatMenuButton")
async def accept_profile_setting(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    return True


# Sending.


@method("sendMessage")
async def send_message(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    chat = tg.chat_for(call)
    text = check_text(call.params.get("text"), call.params.get("parse_mode"))
    markup = check_reply_markup(call.params.get("reply_markup"))
    tg.check_flood(chat)
    return _sent(tg, chat, call, text=text, reply_markup=markup)


@method("sendDocument")
async def send_document(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    chat = tg.chat_for(call)
    caption = check_caption(call.params.get("caption"), call.params.get("parse_mode"))
    markup = check_reply_markup(call.params.get("reply_markup"))
    stored = _input_file(tg, call, "document", DOCUMENT_LIMIT)
    tg.check_flood(chat)
    return _sent(tg, chat, call, caption=caption, reply_markup=markup, document=stored)


@method("sendPhoto")
async def send_photo(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    chat = tg.chat_for(call)
    caption = check_caption(call.params.get("caption"), call.params.get("parse_mode"))
    markup = check_reply_markup(call.params.get("reply_markup"))
    stored = _input_file(tg, call, "photo", PHOTO_LIMIT)
    tg.check_flood(chat)
    return _sent(tg, chat, call, caption=caption, reply_markup=markup, photo=stored)


def _sent(
    tg: FakeTelegram, chat: Chat, call: Call, reply_markup: dict[str, Any] | None, **content: Any
) -> dict[str, Any]:
    inline = reply_markup if reply_markup and "inline_keyboard" in reply_markup else None
    if inline is not None and not inline["inline_keyboard"]:
        inline = None
    keyboard = reply_markup if reply_markup and "inline_keyboard" not in reply_markup else None
    message = chat.add(
        tg.bot_user,
        tg.now(),
        reply_markup=inline,
        keyboard=keyboard,
        reply_to=_replied_to(chat, call),
        **content,
    )
    tg.flood.record(chat.id, call.method)
    return message.to_api()


def _replied_to(chat: Chat, call: Call) -> int | None:
    """The message a send replies to; a missing one is refused unless the bot allowed it."""
    parameters = call.params.get("reply_parameters") or {}
    if isinstance(parameters, str):
        parameters = json.loads(parameters)
    message_id = parameters.get("message_id") or call.params.get("reply_to_message_id")
    if not message_id:
        return None
    if int(message_id) not in chat.messages:
        if parameters.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    return int(message_id)


def _input_file(tg: FakeTelegram, call: Call, field: str, limit: int) -> StoredFile:
    """The file sent as `field`: an upload (attach://… or the field itself) or a file_id."""
    value = call.params.get(field)
    upload = call.files.get(field)
    if upload is None and isinstance(value, str) and value.startswith("attach://"):
        upload = call.files.get(value.removeprefix("attach://"))
    if upload is not None:
        data, filename = upload
        if not data:
            raise bad_request("file must be non-empty")
        if len(data) > limit:
            raise BotApiError(413, "Request Entity Too Large")
        return tg.files.put(data, filename, field)
    stored = tg.files.get(value) if isinstance(value, str) else None
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return stored


@method("sendChatAction")
async def send_chat_action(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    tg.chat_for(call)
    return True


# Editing and deleting.


@method("editMessageText")
async def edit_message_text(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    message = _message_to_edit(tg, call)
    if message.text is None:
        raise bad_request("there is no text in the message to edit")
    text = check_text(call.params.get("text"), call.params.get("parse_mode"))
    # Telegram drops the inline keyboard when an edit does not send one again.
    markup = _inline_markup(call)
    if text == message.text and markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    message.text = text
    message.reply_markup = markup
    return _edited(tg, message)


@method("editMessageCaption")
async def edit_message_caption(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    message = _message_to_edit(tg, call)
    if message.document is None and message.photo is None:
        raise bad_request("there is no caption in the message to edit")
    caption = check_caption(call.params.get("caption"), call.params.get("parse_mode"))
    markup = _inline_markup(call)
    if caption == message.caption and markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    message.caption = caption
    message.reply_markup = markup
    return _edited(tg, message)


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    message = _message_to_edit(tg, call)
    markup = _inline_markup(call)
    if markup == message.reply_markup:
        raise bad_request(NOT_MODIFIED)
    message.reply_markup = markup
    return _edited(tg, message)


def _message_to_edit(tg: FakeTelegram, call: Call) -> StoredMessage:
    if "inline_message_id" in call.params:
        raise bad_request("MESSAGE_ID_INVALID")
    chat = tg.chat_for(call)
    message = chat.messages.get(call.params.get("message_id"))  # type: ignore[arg-type]
    if message is None or message.deleted:
        raise bad_request("message to edit not found")
    if not message.from_bot:
        raise bad_request("message can't be edited")
    return message


def _inline_markup(call: Call) -> dict[str, Any] | None:
    markup = check_reply_markup(call.params.get("reply_markup"))
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    if markup is not None and not markup["inline_keyboard"]:
        return None
    return markup


def _edited(tg: FakeTelegram, message: StoredMessage) -> dict[str, Any]:
    message.edit_date = tg.now()
    message.chat.edited(message)
    return message.to_api()


@method("deleteMessage")
async def delete_message(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    chat = tg.chat_for(call)
    message = chat.messages.get(call.params.get("message_id"))  # type: ignore[arg-type]
    if message is None or message.deleted:
        raise bad_request("message to delete not found")
    message.deleted = True
    return True


# Callback queries and files.


@method("answerCallbackQuery")
async def answer_callback_query(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    query_id = str(call.params.get("callback_query_id", ""))
    chat_id = tg.callback_queries.pop(query_id, None)
    if chat_id is None:
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    answer = CallbackAnswer(
        query_id=query_id,
        text=check_callback_answer(call.params.get("text")),
        show_alert=bool(call.params.get("show_alert")),
        url=call.params.get("url"),
    )
    tg.chats[chat_id].answers.append(answer)
    return True


@method("getFile")
async def get_file(tg: FakeTelegram, call: Call, request: web.Request) -> Any:
    stored = tg.files.get(str(call.params.get("file_id", "")))
    if stored is None:
        raise bad_request("invalid file_id")
    return stored.as_file()
