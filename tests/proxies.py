"""Two small proxies on 127.0.0.1 for tests: HTTP CONNECT (optionally over TLS) and SOCKS5,
each with an optional user and password, each recording every tunnel it opened.

    async with HttpConnectProxy(user="u", password="p") as proxy:
        settings.telegram_proxy = proxy.url          # http://u:p@127.0.0.1:PORT
        ...
        assert proxy.tunnels == [("127.0.0.1", stand_in_port), ...]

A tunnel is recorded only once the proxy has connected to the target, and `relayed` counts
the bytes that went through, so a test can show the bot's requests really passed the proxy.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import ssl
import struct
from urllib.parse import quote

HEADER_LIMIT = 64 * 1024


class LocalProxy:
    scheme = ""

    def __init__(
        self,
        user: str | None = None,
        password: str | None = None,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.user = user
        self.password = password
        self.tls = tls
        self.tunnels: list[tuple[str, int]] = []
        self.refused = 0  # connections turned away for a missing or wrong password
        self.relayed = 0  # bytes passed between the client and the target, both ways
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        """The URL to set as TELEGRAM_PROXY (user and password escaped as a URL needs)."""
        return self.url_with(self.password)

    def url_with(self, password: str | None) -> str:
        credentials = f"{quote(self.user, safe='')}:{quote(password or '', safe='')}@"
        return f"{self.scheme}://{credentials if self.user else ''}127.0.0.1:{self.port}"

    async def __aenter__(self) -> LocalProxy:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            target = await self.handshake(reader, writer)
            if target is None:
                self.refused += 1
                return
            host, port = target
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
            except OSError:
                await self.answer(writer, connected=False)
                return
            self.tunnels.append((host, port))
            await self.answer(writer, connected=True)
            await asyncio.gather(
                self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
            )
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            self._handlers.discard(task)
            with contextlib.suppress(Exception):
                writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                self.relayed += len(chunk)
                writer.write(chunk)
                await writer.drain()
        except (ConnectionError, ssl.SSLError):
            pass
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    async def handshake(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[str, int] | None:
        raise NotImplementedError

    async def answer(self, writer: asyncio.StreamWriter, connected: bool) -> None:
        raise NotImplementedError


class HttpConnectProxy(LocalProxy):
    """`CONNECT host:port HTTP/1.1`, with Basic proxy authentication when a user is set;
    `https://` when started with a TLS context."""

    @property
    def scheme(self) -> str:  # type: ignore[override]
        return "https" if self.tls else "http"

    async def handshake(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[str, int] | None:
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > HEADER_LIMIT:
            return None
        request, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _version = request.split(" ", 2)
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in header_lines if line)
        }
        if method != "CONNECT":
            writer.write(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            await writer.drain()
            return None
        if self.user is not None:
            expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
            if headers.get("proxy-authorization") != f"Basic {expected}":
                writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                await writer.drain()
                return None
        host, _, port = target.rpartition(":")
        return host.strip("[]"), int(port)

    async def answer(self, writer: asyncio.StreamWriter, connected: bool) -> None:
        writer.write(
            b"HTTP/1.1 200 Connection established\r\n\r\n"
            if connected
            else b"HTTP/1.1 502 Bad Gateway\r\n\r\n"
        )
        await writer.drain()


class Socks5Proxy(LocalProxy):
    """SOCKS5 (RFC 1928) CONNECT, with username/password authentication (RFC 1929) when a
    user is set; IPv4 addresses and names (the client lets the proxy resolve them)."""

    scheme = "socks5"

    async def handshake(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> tuple[str, int] | None:
        version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        wanted = 0x02 if self.user is not None else 0x00
        if version != 5 or wanted not in methods:
            writer.write(b"\x05\xff")
            await writer.drain()
            return None
        writer.write(bytes([5, wanted]))
        await writer.drain()
        if wanted == 0x02 and not await self._authenticated(reader, writer):
            return None
        _version, command, _reserved, kind = await reader.readexactly(4)
        if kind == 0x01:
            host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
        elif kind == 0x03:
            (length,) = await reader.readexactly(1)
            host = (await reader.readexactly(length)).decode()
        else:
            writer.write(b"\x05\x08\x00\x01" + bytes(6))  # address type not supported
            await writer.drain()
            return None
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        if command != 0x01:
            writer.write(b"\x05\x07\x00\x01" + bytes(6))  # command not supported
            await writer.drain()
            return None
        return host, port

    async def _authenticated(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        _version, user_length = await reader.readexactly(2)
        user = (await reader.readexactly(user_length)).decode()
        (password_length,) = await reader.readexactly(1)
        password = (await reader.readexactly(password_length)).decode()
        ok = user == self.user and password == self.password
        writer.write(b"\x01\x00" if ok else b"\x01\x01")
        await writer.drain()
        return ok

    async def answer(self, writer: asyncio.StreamWriter, connected: bool) -> None:
        reply = 0x00 if connected else 0x05  # succeeded / connection refused
        writer.write(bytes([5, reply, 0, 1]) + bytes(6))
        await writer.drain()
