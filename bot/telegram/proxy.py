"""The Bot's HTTP session, through `TELEGRAM_PROXY` when one is set, with calls sent as JSON.

A call without a file goes as one JSON body, as the Bot API allows, not as aiogram's form:
aiohttp's form makes a multipart writer (and a random boundary from the kernel) for every
call even when it then sends it URL-encoded, and percent-encodes every byte of Chinese
text, three characters for each; together about a tenth of a menu press's CPU
(bench/per_update.py). A call with a file is aiogram's multipart form, as before. The body's
values are prepared as aiogram prepares them (a bot default filled in, `None` left out), with
plain strings, numbers, lists and dicts walked without aiogram's chain of type checks.

A message the Bot API sends back is read without its `reply_markup`: bangfu never reads the
keyboard of a message it sent, and reading its buttons into aiogram's models was two thirds
of reading the answer to a page of ten households.

aiogram's `AiohttpSession(proxy=...)` hands the URL to aiohttp-socks (aiogram's `proxy`
extra), which speaks SOCKS5, SOCKS4 and HTTP CONNECT and lets the proxy resolve the Bot
API's name (a resolver inside China may answer wrongly for it). Two things are added here:

- an `https://` proxy is an HTTP proxy reached over TLS: aiohttp-socks does that when given
  a TLS context for the proxy, which aiogram's URL form cannot say;
- a proxy that refuses (wrong password, down, unreachable) raises aiohttp-socks' own errors,
  which aiogram does not turn into `TelegramNetworkError`; here they are, so the outbox
  sender retries them as it retries any network error, and `bangfu doctor` names them.
"""

from __future__ import annotations

import json
import ssl
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiohttp import FormData
from aiohttp.payload import BytesPayload
from aiohttp_socks import ProxyConnectionError, ProxyError, ProxyTimeoutError

PROXY_ERRORS = (ProxyError, ProxyConnectionError, ProxyTimeoutError)


def _without_sent_keyboard(content: str | bytes) -> Any:
    """A Bot API answer; a message in it (what a send or an edit returns) loses its keyboard."""
    answer = json.loads(content)
    result = answer.get("result") if isinstance(answer, dict) else None
    if isinstance(result, dict) and "message_id" in result:
        result.pop("reply_markup", None)
    return answer


_PLAIN = (str, int, float, bool)  # exactly these types: what aiogram sends as they are


class JsonSession(AiohttpSession):
    """aiogram's aiohttp session, sending each call without a file as a JSON body."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("json_loads", _without_sent_keyboard)
        super().__init__(**kwargs)

    def build_form_data(self, bot: Bot, method: TelegramMethod[TelegramType]) -> FormData:
        files: dict[str, Any] = {}
        fields = {}
        # None is left out, at every depth, as aiogram's form leaves it out.
        for key, value in method.model_dump(warnings=False, exclude_none=True).items():
            prepared = self._prepared(value, bot, files)
            if prepared is not None and prepared != "":  # what aiogram's form leaves out
                fields[key] = prepared
        if files:
            return super().build_form_data(bot, method)
        body = json.dumps(fields, ensure_ascii=False).encode()
        # aiohttp posts a payload as it is; aiogram only hands the value on.
        return BytesPayload(body, content_type="application/json")  # type: ignore[return-value]

    def _prepared(self, value: Any, bot: Bot, files: dict[str, Any]) -> Any:
        """aiogram's `prepare_value(value, _dumps_json=False)`, with the plain types first."""
        kind = type(value)
        if kind in _PLAIN or value is None:
            return value
        if kind is dict:
            return {
                key: prepared
                for key, item in value.items()
                if (prepared := self._prepared(item, bot, files)) is not None
            }
        if kind is list:
            return [
                prepared
                for item in value
                if (prepared := self._prepared(item, bot, files)) is not None
            ]
        return self.prepare_value(value, bot=bot, files=files, _dumps_json=False)


class ProxiedSession(JsonSession):
    """An aiohttp session whose every Bot API call goes through one proxy."""

    def __init__(self, api: TelegramAPIServer, proxy: str, **kwargs: Any) -> None:
        over_tls = proxy.startswith("https://")
        if over_tls:
            proxy = "http://" + proxy.removeprefix("https://")
        super().__init__(api=api, proxy=proxy, **kwargs)
        if over_tls:
            # The proxy's certificate is checked against the system's trusted authorities.
            self._connector_init["proxy_ssl"] = ssl.create_default_context()

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        try:
            return await super().make_request(bot, method, timeout)
        except PROXY_ERRORS as error:
            raise TelegramNetworkError(
                method=method, message=f"proxy: {type(error).__name__}: {error}"
            ) from error


def bot_api_session(api: TelegramAPIServer, proxy: str | None) -> AiohttpSession:
    """A session to `api`, direct or through the (already checked) proxy URL."""
    if proxy is None:
        return JsonSession(api=api)
    return ProxiedSession(api, proxy)
