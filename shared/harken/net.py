"""Outbound HTTP safety: refuse URLs that resolve to private, loopback, link-local, multicast or
cloud-metadata addresses (SSRF), cap response sizes, and send a descriptive User-Agent.

Every outbound request Harken makes (feeds, source APIs, webhooks) goes through these checks,
including each redirect hop. `allow_private` is only ever true in the local stack and tests
(HARKEN_ALLOW_PRIVATE_URLS=1)."""

from __future__ import annotations

import ipaddress
import socket
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx

USER_AGENT = "harken/0.1 (brand-mention monitor; +https://github.com/harken-dev/harken)"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024


class UnsafeURL(ValueError):
    """A URL Harken refuses to call: bad scheme, or an address that is not public."""


class ResponseTooLarge(ValueError):
    """A response body over the size cap."""


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def resolve(host: str) -> list[str]:
    """Every address a host name resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise UnsafeURL(f"cannot resolve host {host!r}: {exc.strerror}") from exc
    return sorted({str(info[4][0]) for info in infos})


def assert_public_url(url: str, *, allow_private: bool = False, require_https: bool = False) -> None:
    """Raise UnsafeURL unless `url` is http(s) and every address of its host is public."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise UnsafeURL(f"only http and https URLs are allowed, not {parts.scheme or 'none'!r}")
    if require_https and parts.scheme != "https" and not allow_private:
        raise UnsafeURL("https is required")
    host = parts.hostname
    if not host:
        raise UnsafeURL("the URL has no host")
    if allow_private:
        return
    public_addresses(host)


def guard_hook(allow_private: bool):  # type: ignore[no-untyped-def]
    """An httpx request event hook that re-checks every request, redirects included."""

    async def check(request: httpx.Request) -> None:
        assert_public_url(str(request.url), allow_private=allow_private)

    return check


async def read_capped(response: httpx.Response, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read a streamed response body, refusing anything over `max_bytes`."""
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise ResponseTooLarge(f"response declares {declared} bytes, over the {max_bytes} cap")
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        return await _inflate_capped(response, max_bytes)
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise ResponseTooLarge(f"response is over the {max_bytes} byte cap")
        chunks.append(chunk)
    return b"".join(chunks)


async def _inflate_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """A gzip or deflate body inflated at most `max_bytes` at a time: decoded by httpx, 130 KB of
    gzip became 130 MB in memory (a chunk inflates whole) before the cap could refuse it."""
    import zlib

    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib, by the header
    started = False
    out: list[bytes] = []
    total = 0

    def take(data: bytes) -> None:
        nonlocal total
        while data:
            piece = inflater.decompress(data, max_bytes - total + 1)
            total += len(piece)
            if total > max_bytes:
                raise ResponseTooLarge(f"response is over the {max_bytes} byte cap (inflated)")
            out.append(piece)
            data = inflater.unconsumed_tail

    async for raw in response.aiter_raw():
        if not started and raw:
            started = True
            try:
                take(raw)
            except zlib.error:
                inflater = zlib.decompressobj(-zlib.MAX_WBITS)  # "deflate" sent raw, as some do
                take(raw)
            continue
        take(raw)
    take(inflater.flush())
    return b"".join(out)


def public_addresses(host: str) -> list[str]:
    """The addresses of `host`, or UnsafeURL when any of them is not public."""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    addresses = [str(literal)] if literal is not None else resolve(host)
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not _is_public(ip):
            raise UnsafeURL(f"{host} resolves to a non-public address ({ip})")
    return addresses


def pinned_transport(**kwargs: Any) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections go only to checked public addresses.

    The request hook checks a URL's host before the request is sent, but the connection then
    resolves the name again: a DNS server that answers a public address first and a private
    one next (rebinding) would get past the check. Here the connection itself resolves the
    host once, refuses it if any address is not public, and connects to a checked address;
    TLS still verifies the certificate against the host name (httpcore passes the name, not
    the address, as the server name)."""
    import httpx

    transport = httpx.AsyncHTTPTransport(**kwargs)
    pool = transport._pool
    inner = getattr(pool, "_network_backend", None)
    if inner is None:  # httpcore changed: fail loudly rather than send unpinned requests
        raise RuntimeError("cannot pin connections: httpcore has no _network_backend on its pool")
    pool._network_backend = cast(Any, _PinnedBackend(inner))  # duck-typed AsyncNetworkBackend
    return transport


class _PinnedBackend:
    """An httpcore network backend that connects only to public addresses (pinned_transport)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> Any:
        import asyncio

        import httpcore

        addresses = await asyncio.to_thread(public_addresses, host)
        error: Exception | None = None
        # IPv4 first: Lambda functions outside a VPC have no IPv6 route, and a dead IPv6
        # attempt before a working IPv4 one would cost a connect timeout.
        for address in sorted(addresses, key=lambda a: ":" in a):
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout, local_address=local_address, socket_options=socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        raise error or httpcore.ConnectError(f"cannot connect to {host}")

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> Any:
        raise UnsafeURL("unix sockets are not allowed")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
