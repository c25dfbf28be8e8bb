"""Turning an outbox row into the Telegram messages its reader sees.

Each kind of row (`MessageKind`) has one renderer, listed in `bot/messages/renderers.py`:
an async function `(uow, row, language) -> list[OutgoingMessage]` that reads what it needs
from the database when the row is sent, in the reader's language. An empty list means there
is nothing left to say (the sender then skips the row). Long lists go through `split_text`,
so a message never passes Telegram's 4,096 UTF-16 units and no line is cut in two; the sender
then makes sure every part fits (`fit_for_telegram`), whatever a renderer returned.

A part may carry one file (`Attachment`: a chart as a photo, a workbook as a document), sent
with its text as the caption (a caption too long for Telegram's 1,024 units is cut short, and
the rest follows as messages). The bytes are kept on the row with the other parts, so a retry
after a restart sends the very file the first try rendered.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from aiogram import Bot
from aiogram.types import BufferedInputFile, InlineKeyboardMarkup, ReplyParameters

from bot.telegram.limits import CAPTION_LIMIT, TEXT_LIMIT
from bot.telegram.parts import split_caption, split_text
from bot.utf16 import utf16_len

SMALLEST_PART = 64  # a part Telegram refuses at this size is not refused for its length


class FileKind(StrEnum):
    PHOTO = "photo"  # shown inline (sendPhoto): a chart
    DOCUMENT = "document"  # a file to open or forward (sendDocument): a workbook


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message; the message's text becomes its caption."""

    kind: FileKind
    filename: str
    data: bytes

    def stored(self) -> dict[str, str]:
        return {
            "kind": self.kind.value,
            "filename": self.filename,
            "data": base64.b64encode(self.data).decode("ascii"),
        }

    @classmethod
    def from_stored(cls, stored: dict[str, str]) -> Attachment:
        return cls(FileKind(stored["kind"]), stored["filename"], base64.b64decode(stored["data"]))


@dataclass(frozen=True)
class OutgoingMessage:
    text: str
    reply_markup: InlineKeyboardMarkup | None = None
    attachment: Attachment | None = None  # then `text` is its caption (at most 1,024 units)
    # A message in the same chat this one answers (a retraction under its alert); sent
    # anyway if that message is gone.
    reply_to: int | None = None

    def stored(self) -> dict[str, Any]:
        """JSON kept on the row, so a retry sends the very parts the first try rendered."""
        markup = self.reply_markup
        stored: dict[str, Any] = {
            "text": self.text,
            "reply_markup": None
            if markup is None
            else markup.model_dump(mode="json", exclude_none=True),
        }
        if self.attachment is not None:
            stored["attachment"] = self.attachment.stored()
        if self.reply_to is not None:
            stored["reply_to"] = self.reply_to
        return stored

    @classmethod
    def from_stored(cls, stored: dict[str, Any]) -> OutgoingMessage:
        markup = stored.get("reply_markup")
        attachment = stored.get("attachment")
        return cls(
            stored["text"],
            None if markup is None else InlineKeyboardMarkup.model_validate(markup),
            None if attachment is None else Attachment.from_stored(attachment),
            stored.get("reply_to"),
        )

    def fits(self) -> bool:
        limit = TEXT_LIMIT if self.attachment is None else CAPTION_LIMIT
        return utf16_len(self.text) <= limit

    def split(
        self, text_limit: int = TEXT_LIMIT, caption_limit: int = CAPTION_LIMIT
    ) -> list[OutgoingMessage]:
        """This message as parts within the limits: its text split between lines, or for a
        file, the caption cut short and the rest of it in messages after the file. The
        keyboard goes on the last part."""
        if self.attachment is None:
            texts = split_text([self.text], text_limit) or [self.text]
            head: OutgoingMessage | None = None
        else:
            caption, *texts = split_caption(self.text, caption_limit, text_limit)
            head = OutgoingMessage(caption, None if texts else self.reply_markup, self.attachment)
        parts = [OutgoingMessage(text) for text in texts]
        if parts:
            parts[-1] = OutgoingMessage(texts[-1], self.reply_markup)
        parts = ([head] if head else []) + parts
        if parts and self.reply_to is not None:  # the first part answers; the rest follow it
            parts[0] = replace(parts[0], reply_to=self.reply_to)
        return parts

    def smaller(self) -> list[OutgoingMessage]:
        """Telegram refused this part as too long, though it fits as counted here: the same
        text in parts half its size; [] when it is too short for length to be the reason."""
        limit = utf16_len(self.text) // 2
        if limit < SMALLEST_PART:
            return []
        return self.split(min(limit, TEXT_LIMIT), min(limit, CAPTION_LIMIT))

    async def send(self, bot: Bot, chat_id: int) -> int:
        """One Telegram call: sendMessage, or sendPhoto/sendDocument with the text as caption.
        Returns the sent message's id."""
        file = self.attachment
        reply = (
            None
            if self.reply_to is None
            else ReplyParameters(message_id=self.reply_to, allow_sending_without_reply=True)
        )
        if file is None:
            sent = await bot.send_message(
                chat_id, self.text, reply_markup=self.reply_markup, reply_parameters=reply
            )
            return sent.message_id
        upload = BufferedInputFile(file.data, file.filename)
        caption = self.text or None
        send = bot.send_photo if file.kind is FileKind.PHOTO else bot.send_document
        sent = await send(
            chat_id, upload, caption=caption, reply_markup=self.reply_markup, reply_parameters=reply
        )
        return sent.message_id


def refit_stored(parts: list[dict[str, Any]], sent: int) -> list[dict[str, Any]] | None:
    """A row's stored parts with the ones not yet sent made to fit, if any did not (kept by
    an older version that counted characters); None when they all fit."""
    left = [OutgoingMessage.from_stored(part) for part in parts[sent:]]
    if all(message.fits() for message in left):
        return None
    return parts[:sent] + [message.stored() for message in fit_for_telegram(left)]


def fit_for_telegram(messages: Iterable[OutgoingMessage]) -> list[OutgoingMessage]:
    """The messages with each one that is too long for Telegram split into parts that fit."""
    return [
        part for message in messages for part in ([message] if message.fits() else message.split())
    ]
