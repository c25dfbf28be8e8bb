"""TELEGRAM_PROXY is checked when the settings are read: a typo stops bangfu at start with
a message naming what is wrong, and the password never appears where bangfu prints it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.proxy_url import shown_proxy


def settings_with(proxy: str) -> Settings:
    return Settings(_env_file=None, telegram_proxy=proxy)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("written", "used"),
    [
        ("http://127.0.0.1:7890", "http://127.0.0.1:7890"),
        ("https://user:pa%40ss@proxy.example.cn:443", "https://user:pa%40ss@proxy.example.cn:443"),
        ("socks5://127.0.0.1:1080", "socks5://127.0.0.1:1080"),
        ("SOCKS5H://127.0.0.1:1080/", "socks5://127.0.0.1:1080"),
        ("socks4://10.0.0.2:1080", "socks4://10.0.0.2:1080"),
    ],
)
def test_the_proxy_urls_operators_write_are_accepted(written: str, used: str) -> None:
    assert settings_with(written).telegram_proxy == used


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("127.0.0.1:7890", "must start with http://"),
        ("ftp://127.0.0.1:21", "must start with http://"),
        ("socks5://127.0.0.1", "needs a host and a port"),
        ("http://:8080", "needs a host and a port"),
        ("http://127.0.0.1:99999", "its port must be a number"),
        ("http://127.0.0.1:8080/path", "without a path"),
    ],
)
def test_a_wrong_proxy_url_stops_at_start_saying_what_is_wrong(written: str, says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        settings_with(written)


def test_an_empty_proxy_setting_means_no_proxy() -> None:
    assert settings_with("  ").telegram_proxy is None


def test_the_password_is_never_shown() -> None:
    assert shown_proxy("socks5://town:s3cret@127.0.0.1:1080") == "socks5://town:***@127.0.0.1:1080"
    assert shown_proxy("http://127.0.0.1:7890") == "http://127.0.0.1:7890"
