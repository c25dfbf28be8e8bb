"""What the stand-in remembers: chats, every message in them, and the files sent either way.

Tests read bot messages as `BotMessage` snapshots: what the person saw at that moment.
"""

from __future__ import annotations

import itertools
import mimetypes
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Buttons = tuple[tuple[tuple[str, str | None], ...], ...]


@dataclass(frozen=True)
class CommandsKey:
    """Where a command list was set: its scope, the scope's chat and member, the language."""

    scope: str
    chat_id: int | None
    user_id: int | None
    language: str


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    filename: str
    data: bytes
    mime_type: str

    def as_document(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.filename,
            "mime_type": self.mime_type,
            "file_size": len(self.data),
        }

    def as_photo(self) -> list[dict[str, Any]]:
        # One size is enough: aiogram and the bot only pick the largest.
        return [
            {
                "file_id": self.file_id,
                "file_unique_id": self.file_unique_id,
                "width": 800,
                "height": 600,
                "file_size": len(self.data),
            }
        ]

    def as_file(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


class FileStore:
    """Files by id and by download path, whoever uploaded them."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._numbers = itertools.count(1)

    def put(self, data: bytes, filename: str, kind: str) -> StoredFile:
        number = next(self._numbers)
        suffix = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        stored = StoredFile(
            file_id=f"{kind}-{number}-{secrets.token_urlsafe(12)}",
            file_unique_id=f"u{number}",
            file_path=f"{kind}s/file_{number}.{suffix}",
            filename=filename,
            data=data,
            mime_type=mimetypes.guess_type(filename)[0] or "application/octet-stream",
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def at_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)


@dataclass(frozen=True)
class BotMessage:
    """A bot message as the person saw it (a snapshot: an edit makes a new one).

    `text` is the visible text, or the caption of a document or photo. `buttons` are the
    inline buttons, rows of (label, callback_data); `reply_keyboard` the reply keyboard rows
    this message set, if any.
    """

    chat_id: int
    message_id: int
    text: str
    date: datetime
    buttons: Buttons = ()
    reply_keyboard: tuple[tuple[str, ...], ...] | None = None
    removes_keyboard: bool = False
    document: StoredFile | None = None
    photo: StoredFile | None = None
    edited: bool = False
    reply_to: int | None = None  # the message this one replies to

    @property
    def button_texts(self) -> list[str]:
        return [label for row in self.buttons for label, _ in row]

    def button_data(self, label: str) -> str | None:
        """The callback data of the button with exactly this label, else None."""
        for row in self.buttons:
            for text, data in row:
                if text == label:
                    return data
        return None

    def describe(self) -> str:
        parts = [f"#{self.message_id}{' (edited)' if self.edited else ''}: {self.text!r}"]
        if self.buttons:
            parts.append(f"buttons {self.button_texts}")
        if self.reply_keyboard:
            parts.append(f"keyboard {[t for row in self.reply_keyboard for t in row]}")
        if self.document:
            parts.append(f"document {self.document.filename}")
        if self.photo:
            parts.append("photo")
        return " ".join(parts)


@dataclass(frozen=True)
class CallbackAnswer:
    """What `answerCallbackQuery` showed the person: a toast, or an alert box."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None = None


@dataclass
class StoredMessage:
    """The stand-in's record of one message in a chat, bot's or person's."""

    chat: Chat
    message_id: int
    sender: dict[str, Any]
    date: datetime
    text: str | None = None
    caption: str | None = None
    reply_markup: dict[str, Any] | None = None  # inline keyboard: edits change it
    keyboard: dict[str, Any] | None = None  # reply keyboard, or its removal: stays as sent
    document: StoredFile | None = None
    photo: StoredFile | None = None
    edit_date: datetime | None = None
    deleted: bool = False
    reply_to: int | None = None  # reply_parameters.message_id (or reply_to_message_id)
    history: list[BotMessage] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # entities, etc. as received

    @property
    def from_bot(self) -> bool:
        return bool(self.sender.get("is_bot"))

    def snapshot(self) -> BotMessage:
        buttons: Buttons = tuple(
            tuple((b["text"], b.get("callback_data")) for b in row)
            for row in (self.reply_markup or {}).get("inline_keyboard", [])
        )
        sent_keyboard = self.keyboard or {}
        keyboard = None
        if "keyboard" in sent_keyboard:
            keyboard = tuple(
                tuple(b["text"] if isinstance(b, dict) else b for b in row)
                for row in sent_keyboard["keyboard"]
            )
        return BotMessage(
            chat_id=self.chat.id,
            message_id=self.message_id,
            text=self.text if self.text is not None else (self.caption or ""),
            date=self.edit_date or self.date,
            buttons=buttons,
            reply_keyboard=keyboard,
            removes_keyboard=bool(sent_keyboard.get("remove_keyboard")),
            document=self.document,
            photo=self.photo,
            edited=self.edit_date is not None,
            reply_to=self.reply_to,
        )

    def to_api(self) -> dict[str, Any]:
        """The message in the Bot API's JSON shape."""
        body: dict[str, Any] = {
            "message_id": self.message_id,
            "from": self.sender,
            "chat": self.chat.to_api(),
            "date": int(self.date.timestamp()),
            **self.extra,
        }
        if self.text is not None:
            body["text"] = self.text
        if self.caption:
            body["caption"] = self.caption
        if self.document is not None:
            body["document"] = self.document.as_document()
        if self.photo is not None:
            body["photo"] = self.photo.as_photo()
        if self.edit_date is not None:
            body["edit_date"] = int(self.edit_date.timestamp())
        replied = self.chat.messages.get(self.reply_to) if self.reply_to else None
        if replied is not None:
            body["reply_to_message"] = {
                key: value for key, value in replied.to_api().items() if key != "reply_to_message"
            }
        # Telegram only echoes inline keyboards back on a message.
        if self.reply_markup:
            body["reply_markup"] = self.reply_markup
        return body


@dataclass
class Chat:
    """A private chat with one person, or a group."""

    id: int
    type: str  # "private" | "group" | "supergroup"
    title: str | None = None
    person: dict[str, Any] | None = None
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    # Every new or edited bot message, in order: what the person saw happen.
    events: list[BotMessage] = field(default_factory=list)
    answers: list[CallbackAnswer] = field(default_factory=list)
    # The bot's membership of a group (None: a plain member), and the supergroup a group
    # became (tests/telegram_api/membership.py answers getChat and getChatMember from them).
    bot_member: dict[str, Any] | None = None
    migrated_to: int | None = None
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def to_api(self) -> dict[str, Any]:
        if self.type == "private" and self.person is not None:
            body = {"id": self.id, "type": "private", "first_name": self.person["first_name"]}
            if self.person.get("username"):
                body["username"] = self.person["username"]
            return body
        return {"id": self.id, "type": self.type, "title": self.title or ""}

    def add(self, sender: dict[str, Any], date: datetime, **content: Any) -> StoredMessage:
        message = StoredMessage(self, next(self._numbers), sender, date, **content)
        self.messages[message.message_id] = message
        if message.from_bot:
            snapshot = message.snapshot()
            message.history.append(snapshot)
            self.events.append(snapshot)
        return message

    def edited(self, message: StoredMessage) -> BotMessage:
        snapshot = message.snapshot()
        message.history.append(snapshot)
        self.events.append(snapshot)
        return snapshot

    def bot_messages(self) -> list[BotMessage]:
        """Current state of every bot message still in the chat, oldest first (the very
        snapshots next_message() handed out, so `is` and `==` both work)."""
        return [
            message.history[-1]
            for message in self.messages.values()
            if message.from_bot and not message.deleted
        ]

    def reply_keyboard(self) -> tuple[tuple[str, ...], ...] | None:
        """The reply keyboard the person sees now: the last one sent, unless removed since."""
        for message in reversed(self.messages.values()):
            if message.from_bot and message.keyboard:
                return message.snapshot().reply_keyboard
        return None
