"""TELEGRAM_PROXY: the real bot, with its real HTTP session, talks to the Bot API stand-in
only through the proxy: an HTTP proxy (CONNECT), the same over TLS (https://) and a SOCKS5
proxy, each asking for a user and password. The proxies record every tunnel they open, and
a wrong password leaves the bot unable to reach the stand-in at all."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiogram.exceptions import TelegramNetworkError

from bot.config import Settings
from bot.domain.model import Role
from bot.telegram.app import build_bot
from bot.telegram.session import single_try
from tests.proxies import HttpConnectProxy, LocalProxy, Socks5Proxy
from tests.telegram_api import FakeTelegram

USER, PASSWORD = "town", "s3cret:@/pass"  # characters a URL must escape


@pytest.fixture(scope="session")
def proxy_certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, for the https:// proxy."""
    folder = tmp_path_factory.mktemp("proxy-tls")
    cert, key = folder / "proxy.pem", folder / "proxy.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(params=["http", "https", "socks5"])
async def proxy(
    request: pytest.FixtureRequest,
    proxy_certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[LocalProxy]:
    if request.param == "socks5":
        server: LocalProxy = Socks5Proxy(USER, PASSWORD)
    elif request.param == "https":
        cert, key = proxy_certificate
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert, key)
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the bot trusts this proxy's certificate
        server = HttpConnectProxy(USER, PASSWORD, tls=tls)
    else:
        server = HttpConnectProxy(USER, PASSWORD)
    async with server:
        yield server


@pytest.fixture
def settings(settings: Settings, proxy: LocalProxy) -> Settings:
    """The e2e settings (the stand-in's URL), with the proxy set as an operator would."""
    return Settings(**{**settings.model_dump(), "telegram_proxy": proxy.url}, _env_file=None)  # type: ignore[call-arg]


def stand_in_address(telegram: FakeTelegram) -> tuple[str, int]:
    parts = urlsplit(telegram.url)
    assert parts.hostname is not None and parts.port is not None
    return parts.hostname, parts.port


async def test_a_person_talks_to_the_bot_while_every_call_goes_through_the_proxy(
    running_bot, make_user, register_person, telegram: FakeTelegram, proxy: LocalProxy
) -> None:
    user = make_user("王秀英")
    await register_person("王秀英", Role.CONTACT, telegram_user=user)

    await user.send("/help")
    await user.expect("王秀英")

    assert proxy.tunnels, "the bot never opened a tunnel through the proxy"
    assert set(proxy.tunnels) == {stand_in_address(telegram)}
    assert proxy.refused == 0
    # Polling, the commands published at start, and the reply all crossed the proxy.
    methods = {call.method for call in telegram.requests}
    assert {"getUpdates", "setMyCommands", "sendMessage"} <= methods
    assert proxy.relayed > sum(len(str(call.params)) for call in telegram.requests)


async def test_a_wrong_proxy_password_means_no_call_reaches_the_bot_api(
    settings: Settings, telegram: FakeTelegram, proxy: LocalProxy
) -> None:
    wrong = settings.model_copy(update={"telegram_proxy": proxy.url_with("wrong")})
    bot = build_bot(wrong)
    try:
        with pytest.raises(TelegramNetworkError), single_try():  # as `bangfu doctor` asks
            await bot.get_me(request_timeout=5)
    finally:
        await bot.session.close()
    assert proxy.refused >= 1
    assert proxy.tunnels == []
    assert telegram.requests == []
