"""Telegram's own limits, checked the way the Bot API checks them, with its error texts."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from typing import Any

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes, UTF-8
CALLBACK_ANSWER_LIMIT = 200
INLINE_BUTTONS_LIMIT = 100

# Each inline button must carry exactly one action; these are the ones a bot may send.
INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


class BotApiError(Exception):
    """An error the stand-in answers with, in Telegram's shape."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(what: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {what}")


class _HtmlText(HTMLParser):
    """Collects the visible text of Telegram-flavoured HTML."""

    ALLOWED = frozenset(
        {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler"}
        | {"a", "code", "pre", "blockquote", "tg-emoji"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.ALLOWED:
            raise bad_request(f'can\'t parse entities: Unsupported start tag "{tag}"')

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


_MARKDOWN_ESCAPE = re.compile(r"\\(.)")
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def visible_text(text: str, parse_mode: str | None) -> str:
    """The text as the person will see it: markup removed, entities parsed."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        parser = _HtmlText()
        parser.feed(text)
        parser.close()
        return html.unescape("".join(parser.parts))
    if mode in ("markdown", "markdownv2"):
        text = _MARKDOWN_LINK.sub(r"\1", text)
        placeholder = "\x00"
        text = _MARKDOWN_ESCAPE.sub(lambda m: placeholder + m.group(1), text)
        text = re.sub(r"[*_~`|]", "", text)
        return text.replace(placeholder, "")
    return text


def text_length(text: str) -> int:
    """Telegram measures texts in UTF-16 code units (as it does entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


def check_text(text: Any, parse_mode: str | None) -> str:
    """The visible message text, or the Bot API's error for it."""
    if not isinstance(text, str) or not text.strip():
        raise bad_request("message text is empty")
    shown = visible_text(text, parse_mode).strip()
    if not shown:
        raise bad_request("message text is empty")
    if text_length(shown) > TEXT_LIMIT:
        raise bad_request("message is too long")
    return shown


def check_caption(caption: Any, parse_mode: str | None) -> str | None:
    if caption is None or caption == "":
        return None
    shown = visible_text(str(caption), parse_mode).strip()
    if text_length(shown) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    return shown


def check_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Validate an inline keyboard, reply keyboard, removal or force-reply markup."""
    if markup is None or markup == "":
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
    elif "keyboard" in markup:
        _check_reply_keyboard(markup["keyboard"])
    elif not (markup.get("remove_keyboard") or markup.get("force_reply")):
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _check_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    buttons = [button for row in rows for button in row]
    if len(buttons) > INLINE_BUTTONS_LIMIT:
        raise bad_request("reply markup is too long")
    for button in buttons:
        if not isinstance(button, dict) or not str(button.get("text", "")).strip():
            raise bad_request("text buttons are unallowed in the inline keyboard")
        actions = [key for key in INLINE_ACTIONS if key in button]
        if len(actions) != 1:
            raise bad_request("text buttons are unallowed in the inline keyboard")
        if "callback_data" in button:
            data = button["callback_data"]
            size = len(data.encode("utf-8")) if isinstance(data, str) else 0
            if not 1 <= size <= CALLBACK_DATA_LIMIT:
                raise bad_request("BUTTON_DATA_INVALID")
        if "url" in button and not re.match(r"^(https?|tg)://", str(button["url"])):
            raise bad_request("BUTTON_URL_INVALID")


def _check_reply_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array')
    for row in rows:
        for button in row:
            text = button.get("text") if isinstance(button, dict) else button
            if not isinstance(text, str) or not text.strip():
                raise bad_request("keyboard button text is empty")


def check_callback_answer(text: Any) -> str | None:
    if text is None or text == "":
        return None
    if text_length(str(text)) > CALLBACK_ANSWER_LIMIT:
        raise bad_request("MESSAGE_TOO_LONG")
    return str(text)
