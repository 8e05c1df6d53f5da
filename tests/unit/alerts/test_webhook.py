"""Webhooks: signatures a receiver can check, Slack messages, retries, and the SSRF guard."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from harken import net
from harken.alerts.webhook import (
    RetryPolicy,
    WebhookRequest,
    build_request,
    delivery_id,
    json_body,
    post_all,
    sign,
    slack_message,
    verify,
)
from harken.models import Webhook

from tests.unit.alerts.builders import make_mention, make_watch

FAST = RetryPolicy(attempts=3, base_seconds=0.01, max_seconds=0.02, timeout_seconds=2)


class _Receiver(BaseHTTPRequestHandler):
    """Knows only the secret: accepts a POST when its signature checks out."""

    secret = "s3cret"
    got: list[dict[str, Any]] = []
    statuses: list[int] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200 and not verify(body, self.secret, self.headers.get("X-Harken-Signature")):
            status = 401
        self.got.append(
            {
                "status": status,
                "body": body,
                "delivery": self.headers.get("X-Harken-Delivery"),
                "host": self.headers.get("Host"),
            }
        )
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[type[_Receiver]]:
    handler = type("R", (_Receiver,), {"got": [], "statuses": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/hook"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


def test_signature_is_verifiable_by_a_receiver_that_only_knows_the_secret(receiver: Any) -> None:
    watch = make_watch()
    m = make_mention(1, watch=watch, text="naïve café — ünïcode & <tags>")
    req = build_request(m, watch, Webhook(url=receiver.url, secret="s3cret"), "s3cret", api_url="")

    [result] = post_all([req], allow_private=True, policy=FAST)

    assert result.ok and result.status == 200
    [got] = receiver.got
    assert got["status"] == 200  # the receiver checked the HMAC itself
    assert json.loads(got["body"]) == m.public()
    assert got["delivery"] == delivery_id(m.id, Webhook(url=receiver.url))


def test_signature_is_hmac_sha256_of_the_exact_body() -> None:
    import hashlib
    import hmac

    body = json_body(make_mention(1))
    expected = "sha256=" + hmac.new(b"k3y", body, hashlib.sha256).hexdigest()
    assert sign(body, "k3y") == expected
    assert verify(body, "k3y", expected)
    assert not verify(body + b" ", "k3y", expected)
    assert not verify(body, "other", expected)


def test_failing_receiver_is_retried_with_backoff_in_the_same_call(receiver: Any) -> None:
    receiver.statuses.extend([503, 502])
    req = WebhookRequest("m_1#webhook#x", receiver.url, b"{}", "s3cret")
    [result] = post_all([req], allow_private=True, policy=FAST)
    assert result.ok and result.attempts == 3
    assert {g["delivery"] for g in receiver.got} == {"m_1#webhook#x"}  # stable across attempts


def test_a_client_error_is_not_retried_in_process(receiver: Any) -> None:
    receiver.statuses.append(404)
    [result] = post_all([WebhookRequest("d", receiver.url, b"{}")], allow_private=True, policy=FAST)
    assert not result.ok and not result.permanent and result.attempts == 1 and result.status == 404


def test_a_receiver_that_is_down_is_a_failure_not_a_crash() -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    [result] = post_all(
        [WebhookRequest("d", f"http://127.0.0.1:{port}/", b"{}")], allow_private=True, policy=FAST
    )
    assert not result.ok and not result.permanent and "ConnectError" in result.error


def _never_connect() -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"connected to {request.url}")

    return httpx.MockTransport(handler)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://[::1]/hook",
        "https://10.0.0.1/hook",
        "https://172.16.0.1/hook",
        "https://192.168.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/latest/meta-data/",
        "https://224.0.0.1/",
        "https://0.0.0.0/",
        "https://[::ffff:127.0.0.1]/",
    ],
)
def test_private_and_metadata_targets_are_refused_without_connecting(url: str) -> None:
    [result] = post_all([WebhookRequest("d", url, b"{}")], allow_private=False, transport=_never_connect())
    assert not result.ok and result.permanent and result.error.startswith("refused")


def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(net, "resolve", lambda host: ["10.1.2.3"] if host == "hooks.example.com" else [])
    [result] = post_all(
        [WebhookRequest("d", "https://hooks.example.com/x", b"{}")],
        allow_private=False,
        transport=_never_connect(),
    )
    assert result.permanent and "10.1.2.3" in result.error


def test_a_redirect_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(net, "resolve", lambda host: ["93.184.216.34"])  # a public address, never dialled
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(307, headers={"Location": "http://169.254.169.254/latest/meta-data/iam"})

    [result] = post_all(
        [WebhookRequest("d", "https://hooks.example.com/x", b"{}")],
        allow_private=False,
        transport=httpx.MockTransport(handler),
    )
    assert not result.ok and "169.254.169.254" in result.error and "redirect" in result.error
    assert seen == ["https://hooks.example.com/x"]  # the redirect target was never requested


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_and_the_delivery_fails(
    monkeypatch: pytest.MonkeyPatch, status: int
) -> None:
    """A 302 turned the POST into a GET without the body, and a 2xx to that GET counted as
    delivered: the mention was lost while the ledger said sent. A redirect may also leave https."""
    monkeypatch.setattr(net, "resolve", lambda host: ["93.184.216.34"])
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.method, str(request.url)))
        if request.url.path == "/x":
            return httpx.Response(status, headers={"Location": "http://hooks.example.com/landing"})
        return httpx.Response(200)

    [result] = post_all(
        [WebhookRequest("d", "https://hooks.example.com/x", b"{}")],
        allow_private=False,
        transport=httpx.MockTransport(handler),
        policy=FAST,
    )
    assert not result.ok and not result.permanent  # retried through the queue, then the DLQ
    assert f"HTTP {status} redirect" in result.error and "/landing" in result.error
    assert seen == [("POST", "https://hooks.example.com/x")]


@pytest.mark.parametrize(("header", "expected"), [("120", 120.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)])
def test_retry_after_is_read_in_seconds_or_as_a_date(header: str, expected: float) -> None:
    from harken.alerts.webhook import retry_after_seconds

    assert retry_after_seconds(header) == expected
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:30:00 GMT", now=1445412480.0) == 120.0


def test_a_429_with_a_long_retry_after_is_not_retried_at_once(receiver: Any) -> None:
    """The receiver asked for an hour: hammering it again 0.25 s later does not help; the
    result carries the wait for the queue's retry."""

    receiver.statuses.extend([429, 429, 429])
    original = receiver.send_header

    def send_header(self: Any, name: str, value: str) -> None:
        original(self, name, value)
        if name == "Content-Length":
            original(self, "Retry-After", "3600")

    receiver.send_header = send_header
    [result] = post_all([WebhookRequest("d", receiver.url, b"{}", "s3cret")], allow_private=True, policy=FAST)
    assert not result.ok and result.status == 429 and result.attempts == 1
    assert result.retry_after == 3600.0


def test_dns_rebinding_between_the_check_and_the_connection_is_refused(
    receiver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The name answers a public address to the checks, then loopback to whoever asks next (the
    # connection): pinned, the connection resolves the name itself and dials only an address
    # it has checked, so nothing reaches the receiver on 127.0.0.1.
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34", "93.184.216.34"])

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in ("rebind.example", b"rebind.example"):  # anyio passes bytes
            return real(next(answers, "127.0.0.1"), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    port = receiver.url.split(":")[2].split("/")[0]
    once = RetryPolicy(attempts=1, timeout_seconds=2)
    [result] = post_all(
        [WebhookRequest("d", f"http://rebind.example:{port}/hook", b"{}")], allow_private=False, policy=once
    )
    assert receiver.got == []
    assert not result.ok and result.permanent and "127.0.0.1" in result.error


def test_a_pinned_connection_dials_the_checked_address_under_the_host_name(
    receiver: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(net, "resolve", lambda host: ["127.0.0.1"])
    monkeypatch.setattr(net, "_is_public", lambda ip: True)  # pretend loopback is public here
    port = receiver.url.split(":")[2].split("/")[0]
    watch = make_watch()
    hook = Webhook(url=f"http://pinned.example:{port}/hook", secret="s3cret")
    req = build_request(make_mention(1, watch=watch), watch, hook, "s3cret", api_url="")
    [result] = post_all([req], allow_private=False, policy=FAST)
    assert result.ok, result.error
    assert receiver.got[0]["host"] == f"pinned.example:{port}"


def test_plain_http_is_refused_in_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(net, "resolve", lambda host: ["93.184.216.34"])
    [result] = post_all(
        [WebhookRequest("d", "http://hooks.example.com/x", b"{}")],
        allow_private=False,
        require_https=True,
        transport=_never_connect(),
    )
    assert result.permanent and "https" in result.error


def test_slack_message_has_blocks_and_escapes_mrkdwn() -> None:
    watch = make_watch()
    m = make_mention(
        1, watch=watch, title="<!channel> *bold* & <http://evil|click>", text="line1\r\nline2 <@U123>"
    )
    message = slack_message(m, watch, api_url="https://api.harken.test/prod")
    assert message["text"] and [b["type"] for b in message["blocks"]] == [
        "header",
        "section",
        "section",
        "context",
    ]
    section = message["blocks"][1]["text"]["text"]
    assert "<!channel>" not in section and "&lt;!channel&gt;" in section
    assert "<@U123>" not in section and "&lt;http://evil|click&gt;" in section
    assert section.startswith(f"*<{m.url}|")
    assert m.id in message["blocks"][3]["elements"][0]["text"]
    req = build_request(
        m,
        watch,
        Webhook(url="https://hooks.slack.com/services/x", format="slack"),
        None,
        api_url="https://api.harken.test/prod",
    )
    assert json.loads(req.body) == json.loads(json.dumps(message))
    assert "X-Harken-Signature" not in req.headers()


def test_secret_is_not_in_the_request_repr() -> None:
    assert "hunter2" not in repr(WebhookRequest("d", "https://x.test", b"{}", "hunter2"))


def test_posts_end_within_the_time_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hung receivers ran a notifier batch past its Lambda timeout before anything was recorded;
    with a budget, a post still hanging at its end is a failed (retryable) result, and the posts
    that went are reported as sent."""
    import asyncio

    monkeypatch.setattr(net, "resolve", lambda host: ["93.184.216.34"])

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "hung.example.com":
            await asyncio.sleep(30)
        return httpx.Response(200)

    requests = [
        WebhookRequest("hung", "https://hung.example.com/x", b"{}"),
        WebhookRequest("fine", "https://fine.example.com/x", b"{}"),
    ]
    hung, fine = post_all(
        requests,
        allow_private=False,
        transport=httpx.MockTransport(handler),
        policy=RetryPolicy(attempts=2, base_seconds=0.01, max_seconds=0.02, timeout_seconds=60),
        time_budget=1.0,
    )
    assert fine.ok
    assert not hung.ok and not hung.permanent and "out of time" in hung.error
