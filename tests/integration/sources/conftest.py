"""A real HTTP server on 127.0.0.1 that answers with recorded payloads or misbehaves on purpose
(rate limits, 5xx, slow answers, resets, truncated and oversized bodies, redirects)."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from harken.sources import FetchContext

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sources"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset: bool = False  # close the connection with a TCP RST instead of answering
    declared_length: int | None = None  # a Content-Length that lies (truncated body)
    stream_bytes: int = 0  # send this many filler bytes without a Content-Length


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


Route = Callable[[Request], Reply]


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route | list[Reply] | Reply] = {}
        self.requests: list[Request] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                req = Request(
                    self.command,
                    parts.path,
                    parse_qs(parts.query),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(length) if length else b"",
                )
                server.requests.append(req)
                route = server.routes.get(parts.path)
                if route is None:
                    reply = Reply(404, b'{"error": "not found"}')
                elif isinstance(route, list):
                    reply = route.pop(0) if len(route) > 1 else route[0]
                elif isinstance(route, Reply):
                    reply = route
                else:
                    reply = route(req)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.reset:
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.rfile.close()
                    self.wfile.close()
                    self.connection.close()
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.stream_bytes:
                    self.send_header("Connection", "close")
                    self.end_headers()
                    chunk = b"x" * 65536
                    sent = 0
                    try:
                        while sent < reply.stream_bytes:
                            self.wfile.write(chunk)
                            sent += len(chunk)
                    except OSError:
                        pass
                    self.close_connection = True
                    return
                length_header = (
                    reply.declared_length if reply.declared_length is not None else len(reply.body)
                )
                self.send_header("Content-Length", str(length_header))
                if reply.declared_length is not None:
                    self.send_header("Connection", "close")
                self.end_headers()
                if self.command != "HEAD":
                    try:
                        self.wfile.write(reply.body)
                    except OSError:
                        self.close_connection = True
                if reply.declared_length is not None:
                    self.close_connection = True

            do_GET = _handle
            do_POST = _handle
            do_HEAD = _handle

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # clients that hang up early are part of the tests

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    yield srv
    srv.stop()


def make_ctx(base_url: str, **overrides: object) -> FetchContext:
    """A context pointing every source at the local server, with short timeouts and waits."""
    from harken.sources.context import SOURCE_NAMES

    params: dict[str, object] = {
        "base_urls": {name: base_url for name in SOURCE_NAMES},
        "allow_private": True,
        "timeout": 2.0,
        "connect_timeout": 1.0,
        "backoff_base": 0.01,
        "max_wait": 1.0,
        "rate_limits": {name: (1000.0, 1000.0) for name in (*SOURCE_NAMES, "reddit_oauth", "github_token")},
    }
    params.update(overrides)
    return FetchContext(**params)  # type: ignore[arg-type]
