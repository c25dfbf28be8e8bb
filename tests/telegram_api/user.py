"""People and groups talking to the bot through the stand-in, as a test plays them.

    user = TelegramUser(telegram, first_name="张三")
    await user.send("/help")              # pushes the update and waits until the bot handled it
    reply = await user.expect("帮扶")      # the next bot message (new or edited) must contain it
    await user.press("🏠 我的农户")         # an inline button by its label
    await user.tap("📅 本月进度")           # a reply-keyboard button (sends its text)

Every action waits for `telegram.settled()` unless called with `settle=False`, so after it
returns, all the bot's replies are stored and `next_message()` only reads them in order.
"""

from __future__ import annotations

import itertools
from typing import Any

from tests.telegram_api.chats import BotMessage, CallbackAnswer, Chat, StoredMessage
from tests.telegram_api.membership import bot_membership_update, migration_messages
from tests.telegram_api.server import FakeTelegram

# A 1×1 PNG: the smallest photo a person can send.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000050001"
    "0d0a2db40000000049454e44ae426082"
)
_query_ids = itertools.count(1)


class ChatView:
    """Reads what the bot sent to one chat, in order, like a person scrolling it."""

    def __init__(self, telegram: FakeTelegram, chat: Chat) -> None:
        self.telegram = telegram
        self.chat = chat
        self._read = 0

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def messages(self) -> list[BotMessage]:
        """Every bot message in the chat as it looks now (edits applied), oldest first."""
        return self.chat.bot_messages()

    @property
    def last_message(self) -> BotMessage | None:
        messages = self.messages
        return messages[-1] if messages else None

    @property
    def answers(self) -> list[CallbackAnswer]:
        """The toasts and alerts the bot showed for button presses here."""
        return list(self.chat.answers)

    def unread(self) -> list[BotMessage]:
        """New and edited bot messages not yet taken by next_message()/expect()."""
        return self.chat.events[self._read :]

    def read_all(self) -> list[BotMessage]:
        unread = self.unread()
        self._read = len(self.chat.events)
        return unread

    async def next_message(self, timeout: float = 5) -> BotMessage:  # noqa: ASYNC109
        """The next bot message (a new one, or an edit: see `.edited`), waiting up to `timeout`."""
        await self.telegram.wait_for(
            lambda: len(self.chat.events) > self._read,
            timeout,
            lambda: (
                f"no new bot message in chat {self.chat.id} within {timeout}s; "
                f"the chat has: {[m.describe() for m in self.messages]}"
            ),
        )
        message = self.chat.events[self._read]
        self._read += 1
        return message

    async def expect(self, contains: str, timeout: float = 5) -> BotMessage:  # noqa: ASYNC109
        """The next bot message, which must contain `contains`."""
        message = await self.next_message(timeout)
        if contains not in message.text:
            still_unread = [m.describe() for m in self.unread()]
            raise AssertionError(
                f"expected a message containing {contains!r}, got {message.describe()}; "
                f"unread after it: {still_unread}"
            )
        return message

    async def expect_no_message(self) -> None:
        """Once the bot handled everything pushed so far, nothing new is unread here."""
        await self.telegram.settled()
        unread = [m.describe() for m in self.unread()]
        assert not unread, f"unexpected bot messages in chat {self.chat.id}: {unread}"


class TelegramGroup(ChatView):
    """A group chat (negative id), e.g. the town office's; people write in it with
    `user.send(text, chat=group)`."""

    def __init__(self, telegram: FakeTelegram, title: str = "镇扶贫办", chat_id: int | None = None):
        super().__init__(telegram, telegram.add_group(title, chat_id))

    @property
    def id(self) -> int:
        return self.chat.id

    async def add_bot(self, by: TelegramUser) -> None:
        """`by` adds the bot to this group (Telegram's my_chat_member update)."""
        await self._membership(by, "left", "member")

    async def remove_bot(self, by: TelegramUser) -> None:
        """`by` removes the bot from this group."""
        await self._membership(by, "member", "kicked")

    async def upgrade_to_supergroup(self, by: TelegramUser) -> TelegramGroup:
        """Telegram makes this group a supergroup with a new id, as when someone turns on a
        setting only supergroups have; returns the new chat."""
        new = TelegramGroup(self.telegram, self.chat.title or "", -1_009_000_000_000 + self.id)
        when = int(self.telegram.now().timestamp())
        for update in migration_messages(self.chat, new.chat, by.person, when):
            self.telegram.push(update)
        await self.telegram.settled()
        return new

    async def _membership(self, by: TelegramUser, old: str, new: str) -> None:
        self.telegram.push(bot_membership_update(self.telegram, self.chat, by.person, old, new))
        await self.telegram.settled()


class TelegramUser(ChatView):
    """A person with a Telegram account and a private chat with the bot."""

    def __init__(
        self,
        telegram: FakeTelegram,
        first_name: str = "张三",
        language_code: str | None = "zh-hans",
        *,
        user_id: int | None = None,
        username: str | None = None,
    ) -> None:
        self.id = user_id if user_id is not None else telegram.new_user_id()
        self.first_name = first_name
        self.language_code = language_code
        self.person: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": first_name}
        if language_code:
            self.person["language_code"] = language_code
        if username:
            self.person["username"] = username
        super().__init__(telegram, telegram.add_private_chat(self.person))
        self.updates: list[dict[str, Any]] = []

    # Writing.

    async def send(
        self,
        text: str,
        *,
        chat: ChatView | None = None,
        settle: bool = True,
        duplicate: bool = False,
    ) -> dict[str, Any]:
        """Write a message (commands get their bot_command entity). `duplicate=True` has
        Telegram deliver the very same update twice."""
        extra: dict[str, Any] = {}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            length = len(command.encode("utf-16-le")) // 2
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        update = self._write(chat, text=text, extra=extra)
        if duplicate:
            self.telegram.redeliver(update)
        await self._settle(settle)
        return update

    async def send_document(
        self,
        data: bytes,
        filename: str,
        *,
        caption: str | None = None,
        chat: ChatView | None = None,
        settle: bool = True,
    ) -> dict[str, Any]:
        stored = self.telegram.files.put(data, filename, "document")
        update = self._write(chat, document=stored, caption=caption)
        await self._settle(settle)
        return update

    async def send_photo(
        self,
        data: bytes = TINY_PNG,
        *,
        caption: str | None = None,
        chat: ChatView | None = None,
        settle: bool = True,
    ) -> dict[str, Any]:
        stored = self.telegram.files.put(data, "photo.png", "photo")
        update = self._write(chat, photo=stored, caption=caption)
        await self._settle(settle)
        return update

    async def send_sticker(self, emoji: str = "👍", *, settle: bool = True) -> dict[str, Any]:
        """A sticker: no text, nothing a form's typed step can take."""
        sticker = {
            "file_id": f"sticker-{len(self.updates)}",
            "file_unique_id": f"s{len(self.updates)}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        update = self._write(None, extra={"sticker": sticker})
        await self._settle(settle)
        return update

    async def tap(self, label: str, *, settle: bool = True) -> dict[str, Any]:
        """Press a reply-keyboard button: it must be on the keyboard shown now."""
        texts = await self.reply_keyboard_texts()
        if label not in texts:
            raise AssertionError(f"no keyboard button {label!r}; the keyboard has {texts}")
        return await self.send(label, settle=settle)

    def _write(self, chat: ChatView | None, **content: Any) -> dict[str, Any]:
        target = (chat or self).chat
        stored = target.add(self.person, self.telegram.now(), **content)
        update = self.telegram.push({"message": stored.to_api()})
        self.updates.append(update)
        return update

    # Buttons.

    async def press(
        self,
        label: str,
        message: BotMessage | None = None,
        *,
        chat: ChatView | None = None,
        settle: bool = True,
    ) -> CallbackAnswer | None:
        """Press the inline button labelled `label` in `message`, or in the newest bot message
        that has it. Returns what the bot answered (None if it never answered the press)."""
        stored, data = self._find_button(label, message, chat)
        return (await self._press([(stored, data)], settle))[0]

    async def press_data(
        self,
        data: str,
        message: BotMessage | None = None,
        *,
        settle: bool = True,
    ) -> CallbackAnswer | None:
        """A forged press: any callback data, on `message` or on the newest bot message."""
        stored = self._stored(message) if message else self._newest()
        return (await self._press([(stored, data)], settle))[0]

    async def double_press(
        self, label: str, message: BotMessage | None = None
    ) -> list[CallbackAnswer | None]:
        """Two presses of the same button back to back, as a fast double tap."""
        stored, data = self._find_button(label, message, None)
        return await self._press([(stored, data), (stored, data)], settle=True)

    async def redeliver_last(self) -> None:
        """Telegram delivers this person's last update once more (same update_id)."""
        self.telegram.redeliver(self.updates[-1])
        await self.telegram.settled()

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        rows = self.chat.reply_keyboard()
        return [list(row) for row in rows] if rows is not None else None

    async def command_menu(self, chat: ChatView | None = None) -> dict[str, str]:
        """The "/" commands this person's app lists in their private chat (or in `chat`), in
        order, each with its description: {"/help": "使用说明和菜单", ...}."""
        await self.telegram.settled()
        return self.telegram.command_menu((chat or self).chat_id, self.id, self.language_code)

    async def reply_keyboard_texts(self) -> list[str]:
        """The labels of the reply keyboard shown now (empty when there is none)."""
        await self.telegram.settled()
        return [label for row in self.reply_keyboard or [] for label in row]

    async def _press(
        self, presses: list[tuple[StoredMessage | None, str]], settle: bool
    ) -> list[CallbackAnswer | None]:
        query_ids = []
        for stored, data in presses:
            query_id = f"{self.id}-{next(_query_ids)}"
            chat = stored.chat if stored is not None else self.chat
            self.telegram.callback_queries[query_id] = chat.id
            query: dict[str, Any] = {
                "id": query_id,
                "from": self.person,
                "chat_instance": f"ci{chat.id}",
                "data": data,
            }
            if stored is not None:
                query["message"] = stored.to_api()
            else:
                query["inline_message_id"] = f"forged-{query_id}"
            self.updates.append(self.telegram.push({"callback_query": query}))
            query_ids.append((chat, query_id))
        await self._settle(settle)
        return [
            next((a for a in chat.answers if a.query_id == query_id), None)
            for chat, query_id in query_ids
        ]

    def _find_button(
        self, label: str, message: BotMessage | None, chat: ChatView | None
    ) -> tuple[StoredMessage, str]:
        if message is not None:
            candidates = [self._stored(message)]
        else:
            messages = (chat or self).chat.messages.values()
            candidates = [m for m in reversed(messages) if m.from_bot and not m.deleted]
        for stored in candidates:
            data = stored.snapshot().button_data(label)
            if data is not None:
                return stored, data
        seen = [m.snapshot().button_texts for m in candidates if m.reply_markup]
        where = f"message #{message.message_id}" if message else "any bot message"
        raise AssertionError(f"no inline button {label!r} in {where}; buttons seen: {seen}")

    def _stored(self, message: BotMessage) -> StoredMessage:
        stored = self.telegram.chats[message.chat_id].messages[message.message_id]
        assert not stored.deleted, f"message #{message.message_id} was deleted"
        return stored

    def _newest(self) -> StoredMessage | None:
        for stored in reversed(self.chat.messages.values()):
            if stored.from_bot and not stored.deleted:
                return stored
        return None

    async def _settle(self, settle: bool) -> None:
        if settle:
            await self.telegram.settled()
