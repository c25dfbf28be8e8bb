"""The proxy setting (`TELEGRAM_PROXY`): which URLs bangfu accepts, and how it prints one.

Servers in mainland China cannot reach api.telegram.org directly; the bot then talks to the
Bot API through an HTTP or SOCKS proxy (see bot/telegram_proxy.py for the session). The URL
is checked when the settings are read, so a typo stops bangfu at start with a clear message
instead of every call failing later.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from bot.setting_problem import N_, SettingProblem

# socks5h (resolve names at the proxy) is what many guides write; bangfu always lets a SOCKS
# proxy resolve the Bot API's name, so it is the same as socks5.
SCHEMES = {
    "http": "http",
    "https": "https",
    "socks5": "socks5",
    "socks5h": "socks5",
    "socks4": "socks4",
}


def check_proxy_url(url: str) -> str:
    """`url` as bangfu uses it (socks5h:// becomes socks5://); SettingProblem naming what is
    wrong for anything but scheme://[user:password@]host:port (never repeating the URL, which
    may hold a password)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:  # its words may quote the URL, password and all
        raise SettingProblem(
            N_("it is not a URL (a password with [ or ] must be written %5B and %5D)")
        ) from None
    scheme = SCHEMES.get(parts.scheme.lower())
    if scheme is None:
        raise SettingProblem(N_("it must start with http://, https://, socks5:// or socks4://"))
    try:
        port = parts.port
    except ValueError:
        raise SettingProblem(N_("its port must be a number from 1 to 65535")) from None
    if not parts.hostname or port is None:
        raise SettingProblem(
            N_(
                "it needs a host and a port, e.g. socks5://127.0.0.1:1080 "
                "or http://user:password@10.0.0.2:3128"
            )
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise SettingProblem(N_("it is scheme://[user:password@]host:port, without a path"))
    return urlunsplit((scheme, parts.netloc, "", "", ""))


def shown_proxy(url: str) -> str:
    """The proxy URL to print or log: the password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address keeps its brackets
        host = f"[{host}]"
    netloc = f"{parts.username}:***@{host}:{parts.port}"
    return urlunsplit((parts.scheme, netloc, "", "", ""))
