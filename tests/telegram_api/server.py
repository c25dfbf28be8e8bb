"""`FakeTelegram`: a local stand-in of the Telegram Bot API that the real bot talks to over HTTP.

It serves `/bot<token>/<method>` and `/file/bot<token>/<path>` on 127.0.0.1, answers in
Telegram's exact JSON shape (so aiogram raises its real exceptions), enforces Telegram's
limits, keeps every message per chat, and lets tests inject faults and read send counters.
Updates are queued by `TelegramUser`s and handed out by `getUpdates` with Telegram's offset
semantics; `settled()` tells when the bot has handled everything pushed so far.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

import tests.telegram_api.membership  # noqa: F401 (registers getChat and getChatMember)
from tests.telegram_api.chats import BotMessage, Chat, CommandsKey, FileStore
from tests.telegram_api.faults import FaultInjection
from tests.telegram_api.limits import FloodControl
from tests.telegram_api.membership import group_reachable
from tests.telegram_api.methods import METHODS
from tests.telegram_api.updates import Changes, UpdateQueue
from tests.telegram_api.validation import BotApiError, bad_request

log = logging.getLogger(__name__)

# Form fields that are plain strings; every other form field is JSON (as aiogram encodes it).
STRING_FIELDS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "file_id",
        "action",
        "language_code",
        "document",
        "photo",
        "url",
        "secret_token",
        "description",
        "short_description",
        "business_connection_id",
        "message_effect_id",
    }
)


@dataclass
class Call:
    """One Bot API request as the stand-in received it."""

    method: str
    params: dict[str, Any]
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)


class FakeTelegram(FaultInjection):
    """The Bot API stand-in. `async with FakeTelegram() as telegram: ...` or start()/stop().

    `unknown_chat_error`: sends to a chat no test created answer 400 "chat not found" (as
    Telegram does for people who never started the bot); set False to accept them.
    `enforce_limits`: answer 429 with retry_after when the bot sends faster than Telegram allows.
    `now`: the clock for message dates (tests pass the FrozenClock's `now`).
    """

    def __init__(
        self,
        *,
        username: str = "bangfu_test_bot",
        enforce_limits: bool = False,
        unknown_chat_error: bool = True,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.username = username
        self.bot_id = 0  # learned from the token of the first request
        self.unknown_chat_error = unknown_chat_error
        self.privacy_mode = True  # as @BotFather sets it; False: /setprivacy → Disable
        self.now = now or (lambda: datetime.now(UTC))
        self.chats: dict[int, Chat] = {}
        self.files = FileStore()
        self.flood = FloodControl(enforce=enforce_limits)
        self.requests: list[Call] = []
        self.commands: dict[CommandsKey, list[dict[str, Any]]] = {}
        self.callback_queries: dict[str, int] = {}  # open query id -> chat id
        self.changes = Changes()
        self.updates = UpdateQueue(self.changes)
        self._user_ids = itertools.count(700_000_001)
        self._group_ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.webhook: dict[str, Any] = {}  # what setWebhook set: url, secret_token...

    # Lifecycle.

    async def start(self) -> FakeTelegram:
        application = web.Application(client_max_size=60 * 1024 * 1024)
        application.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        application.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # A long poll whose client went away must not swallow updates: cancel its handler.
        self._runner = web.AppRunner(application, handler_cancellation=True, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # Chats.

    def new_user_id(self) -> int:
        return next(self._user_ids)

    def add_private_chat(self, person: dict[str, Any]) -> Chat:
        chat = Chat(id=person["id"], type="private", person=person)
        self.chats[chat.id] = chat
        return chat

    def add_group(self, title: str, chat_id: int | None = None) -> Chat:
        chat_id = chat_id if chat_id is not None else -1_001_000_000_000 - next(self._group_ids)
        chat = Chat(id=chat_id, type="supergroup" if chat_id < -1e12 else "group", title=title)
        self.chats[chat.id] = chat
        return chat

    def command_menu(self, chat_id: int, user_id: int, language_code: str | None) -> dict[str, str]:
        """The commands a user's app lists in that chat, by Telegram's rule: the narrowest
        scope with a list wins, and within a scope the user's language before none."""
        chat = self.chats[chat_id]
        languages = [(language_code or "")[:2], ""] if language_code else [""]
        if chat.type == "private":
            scopes = [("chat", chat_id, None), ("all_private_chats", None, None)]
        else:
            scopes = [
                ("chat_member", chat_id, user_id),
                ("chat", chat_id, None),
                ("all_group_chats", None, None),
            ]
        scopes.append(("default", None, None))
        for kind, in_chat, member in scopes:
            for language in languages:
                listed = self.commands.get(CommandsKey(kind, in_chat, member, language))
                if listed is not None:
                    return {f"/{item['command']}": item["description"] for item in listed}
        return {}

    def messages_to(self, chat_id: int) -> list[BotMessage]:
        """Current state of every bot message in that chat (empty for an unknown chat)."""
        chat = self.chats.get(chat_id)
        return chat.bot_messages() if chat else []

    @property
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": "帮扶联系 (test)",
            "username": self.username,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
        }

    # Updates.

    def push(self, body: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates; returns it with its new update_id."""
        return self.updates.push(body)

    def redeliver(self, update: dict[str, Any]) -> None:
        """Hand out the very same update (same update_id) once more, as Telegram does when a
        bot died before confirming it."""
        self.updates.redeliver(update)

    async def settled(self, timeout: float = 10) -> None:  # noqa: ASYNC109
        """Return once every pushed update was fetched and the bot polled again after it.

        With `handle_as_tasks=False` aiogram only polls again when its handlers finished, so
        from here on every reply the bot meant to send is stored.
        """
        await self.updates.settled(timeout)

    async def wait_until_polling(self, timeout: float = 10) -> None:  # noqa: ASYNC109
        await self.updates.wait_until_polling(timeout)

    async def wait_for(
        self,
        condition: Callable[[], bool],
        timeout: float,  # noqa: ASYNC109
        explain: Callable[[], str],
    ) -> None:
        """Wait (bounded) until `condition()` holds; it is re-checked on every change."""
        await self.changes.wait_for(condition, timeout, explain)

    # Counters.

    def max_per_second(self) -> int:
        return self.flood.max_per_second()

    def max_per_chat_per_second(self) -> int:
        return self.flood.max_per_chat_per_second()

    def max_per_group_per_minute(self) -> int:
        return self.flood.max_per_group_per_minute()

    @property
    def retry_after_count(self) -> int:
        """How many 429 answers the stand-in gave (injected or enforced)."""
        return self.flood.retry_after_count

    @property
    def sends(self) -> list[Any]:
        return self.flood.sends

    @property
    def enforce_limits(self) -> bool:
        return self.flood.enforce

    @enforce_limits.setter
    def enforce_limits(self, on: bool) -> None:
        self.flood.enforce = on

    @property
    def unanswered_queries(self) -> list[str]:
        """Button presses the bot never answered (the person still sees a spinner)."""
        return list(self.callback_queries)

    async def wait_for_sends(self, count: int, timeout: float = 10) -> None:  # noqa: ASYNC109
        """Wait until the bot has sent `count` messages in all (e.g. by the scheduler)."""
        await self.wait_for(
            lambda: len(self.flood.sends) >= count,
            timeout,
            lambda: f"only {len(self.flood.sends)} of {count} sends within {timeout}s",
        )

    def calls(self, method: str) -> list[Call]:
        return [call for call in self.requests if call.method == method]

    # HTTP.

    async def _handle_method(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        try:
            self._learn_token(token)
            call = await self._read_call(request, method)
            self.requests.append(call)
            await self._hold(call)
            drop = self._take_drop(call)
            if drop is not None and not drop.after_accepting:
                return self._hang_up(request, call, accepted=False)
            self._apply_faults(call)
            implementation = METHODS.get(method)
            if implementation is None:
                raise BotApiError(404, "Not Found: method not found")
            result = await implementation(self, call, request)
            if drop is not None:
                return self._hang_up(request, call, accepted=True)
        except BotApiError as error:
            if error.status == 429:
                self.flood.retry_after_count += 1
            self.changes.notify()
            return web.json_response(error.payload(), status=error.status)
        self.changes.notify()
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.Response:
        self._learn_token(request.match_info["token"])
        stored = self.files.at_path(request.match_info["path"])
        if stored is None:
            return web.json_response(
                {"ok": False, "error_code": 404, "description": "Not Found"}, status=404
            )
        return web.Response(body=stored.data, content_type=stored.mime_type)

    def _learn_token(self, token: str) -> None:
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret:
            raise BotApiError(401, "Unauthorized")
        self.bot_id = int(bot_id)

    async def _read_call(self, request: web.Request, method: str) -> Call:
        params: dict[str, Any] = {key: _decode(key, value) for key, value in request.query.items()}
        files: dict[str, tuple[bytes, str]] = {}
        if request.content_type == "application/json":
            body = await request.json()
            if not isinstance(body, dict):
                raise bad_request("request body must be a JSON object")
            params.update(body)
        elif request.body_exists:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = (value.file.read(), value.filename or key)
                else:
                    params[key] = _decode(key, str(value))
        return Call(method, params, files)

    def chat_for(self, call: Call) -> Chat:
        """The chat a method targets; 400 when Telegram would not know it."""
        chat_id = call.params.get("chat_id")
        if not isinstance(chat_id, int):
            raise bad_request("chat not found")
        chat = self.chats.get(chat_id)
        if chat is None:
            if self.unknown_chat_error:
                raise bad_request("chat not found")
            person = {"id": chat_id, "is_bot": False, "first_name": f"user{chat_id}"}
            chat = self.add_private_chat(person) if chat_id > 0 else self.add_group(str(chat_id))
        if chat.type != "private":
            group_reachable(chat)  # a group the bot left, or that moved, refuses everything
        return chat

    def check_flood(self, chat: Chat) -> None:
        wait = self.flood.wait_needed(chat.id)
        if wait is not None:
            raise BotApiError(429, f"Too Many Requests: retry after {wait}", retry_after=wait)

    async def get_updates(self, call: Call, request: web.Request) -> list[dict[str, Any]]:
        transport = request.transport
        return await self.updates.get_updates(
            call.params, lambda: transport is None or transport.is_closing()
        )


def _decode(key: str, value: str) -> Any:
    if key in STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
