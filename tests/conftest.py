"""Fixtures shared by all tests. Nothing here is autouse: each test asks for what it needs."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "sources"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """moto with every table, queue and secret of template.yaml, and the functions' environment."""
    from moto import mock_aws

    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    from harken import config
    from harken.store import aws as aws_clients

    with mock_aws():
        from harken_local.resources import create_from_template, function_environment

        resources = create_from_template(sender="alerts@harken.local")
        env = function_environment(resources, {"SenderEmail": "alerts@harken.local", "HarkenApi": "test"})
        env["HARKEN_ALLOW_PRIVATE_URLS"] = "1"
        env["HARKEN_WEBHOOK_SECRET_PREFIX"] = ""
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        aws_clients.reset()
        config.settings.cache_clear()
        yield resources
        aws_clients.reset()
        config.settings.cache_clear()


class _Files(BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    hits: list[str] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        status, headers, body = self.routes.get(self.path.split("?")[0], (404, {}, b"not found"))
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_files() -> Iterator[Any]:
    """A real HTTP server on 127.0.0.1 serving `routes[path] = (status, headers, body)`."""
    handler = type("Handler", (_Files,), {"routes": {}, "hits": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.base_url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
