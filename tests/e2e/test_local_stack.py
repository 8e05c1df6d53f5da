"""End to end: `harken local` in a subprocess, a real feed server, the HTTP API, the outbox.

Creates a watch over the API, polls it, and checks the stored mentions, the alert email, that
a second poll adds nothing and sends nothing, tenant isolation, and that a poison message in
the MentionQueue ends in its DLQ without blocking the others."""

from __future__ import annotations

import email
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from email import policy
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, fixture_bytes

pytestmark = pytest.mark.e2e

KEY_A, KEY_B = "key-tenant-a", "key-tenant-b"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, every: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")


class Stack:
    def __init__(self, base: str, outbox: Path, endpoint: str, log: Path) -> None:
        self.base = base
        self.outbox = outbox
        self.aws_endpoint = endpoint
        self.log = log

    def api(self, method: str, path: str, key: str = KEY_A, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, self.base + path, headers={"x-api-key": key}, timeout=15, **kwargs)

    def emails(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
            for p in sorted(self.outbox.glob("*.eml"))
        ]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("stack")
    port = free_port()
    outbox = tmp / "outbox"
    log = tmp / "stack.log"
    env = dict(os.environ, HARKEN_API_KEYS=f"{KEY_A}:tenant-a,{KEY_B}:tenant-b", PYTHONUNBUFFERED="1")
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "harken_local",
                "--port",
                str(port),
                "--poll-seconds",
                "3600",
                "--outbox",
                str(outbox),
                "--retry-seconds",
                "1",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            if proc.poll() is not None:
                raise AssertionError("local stack exited:\n" + log.read_text())
            try:
                return httpx.get(base + "/health", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, timeout=60)
        endpoint = next(
            line.split(": ", 1)[1].strip()
            for line in log.read_text().splitlines()
            if "moto) endpoint" in line
        )
        yield Stack(base, outbox, endpoint, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = fixture_bytes("rss2_feed.xml")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    server.shutdown()


def watch_body(feed_url: str) -> dict[str, Any]:
    return {
        "name": "Acme Cloud",
        "terms": {"brand": ["Acme Cloud"], "variants": ["AcmeCloud", "アクメクラウド"]},
        "exclude": ["bakery"],
        "sources": [{"type": "rss", "url": feed_url}],
        "alerts": {
            "email": ["team@example.com"],
            "instant": {"categories": ["reputation"], "sentiments": ["negative"]},
        },
    }


def settled_email_count(stack: Stack, quiet: float = 8.0, timeout: float = 60.0) -> int:
    """The number of emails once none has arrived for `quiet` seconds."""
    deadline = time.monotonic() + timeout
    count, since = len(stack.emails()), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now_count = len(stack.emails())
        if now_count != count:
            count, since = now_count, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return count
    raise AssertionError("the outbox never settled")


def mentions_of(stack: Stack, watch_id: str, key: str = KEY_A) -> list[dict[str, Any]]:
    r = stack.api("GET", f"/mentions?watch_id={watch_id}&limit=100", key=key)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_health_needs_no_key(stack: Stack) -> None:
    r = httpx.get(stack.base + "/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_a_method_a_route_lacks_is_405_with_allow_and_a_bad_length_is_400(stack: Stack) -> None:
    import socket
    from urllib.parse import urlsplit

    r = httpx.request("DELETE", stack.base + "/health")
    assert (
        r.status_code == 405
        and r.headers["allow"] == "GET"
        and r.json()["error"]["code"] == "method_not_allowed"
    )
    parts = urlsplit(stack.base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"POST /watches HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.") and b" 400 " in answer.split(b"\r\n", 1)[0]


def test_head_and_chunked_bodies_are_http_as_clients_send_it(stack: Stack) -> None:
    """HEAD /health was a 405; a chunked body (curl -H 'Transfer-Encoding: chunked', streaming
    clients) was read as no body at all: 422 "field required"."""
    head = httpx.head(stack.base + "/health")
    assert head.status_code == 200 and head.content == b""

    def chunks() -> Iterator[bytes]:
        data = json.dumps(watch_body("https://news.example/feed.xml") | {"name": "Chunked"}).encode()
        for i in range(0, len(data), 50):
            yield data[i : i + 50]

    r = httpx.post(
        stack.base + "/watches",
        content=chunks(),
        headers={"x-api-key": KEY_A, "content-type": "application/json"},
        timeout=15,
    )
    assert r.status_code == 201, r.text
    assert stack.api("DELETE", f"/watches/{r.json()['id']}").status_code == 204


def test_routes_need_a_valid_key(stack: Stack) -> None:
    assert httpx.get(stack.base + "/mentions").status_code == 401
    assert stack.api("GET", "/mentions", key="wrong").status_code in (401, 403)


def test_watch_poll_mentions_email_and_no_duplicates(stack: Stack, feed: str) -> None:
    r = stack.api("POST", "/watches", json=watch_body(feed))
    assert r.status_code == 201, r.text
    watch = r.json()
    assert watch["id"].startswith("w_")

    assert stack.api("POST", f"/watches/{watch['id']}/poll").status_code == 202
    found = wait_for(lambda: len(mentions_of(stack, watch["id"])) >= 3 and mentions_of(stack, watch["id"]))
    time.sleep(2)  # let the pipeline settle
    first = mentions_of(stack, watch["id"])
    titles = " ".join(m["title"] or "" for m in first)
    assert "Acme Cloud outage" in titles
    assert all(m["watch_id"] == watch["id"] and m["id"].startswith("m_") for m in first)
    assert len(found) <= len(first)

    negative = [m for m in first if m["category"] == "reputation" and m["sentiment"]["label"] == "negative"]
    assert negative, first
    mails = wait_for(lambda: stack.emails(), timeout=30)
    bodies = [m.get_body(preferencelist=("plain",)).get_content() for m in mails]  # type: ignore[union-attr]
    assert any(negative[0]["id"] in b and negative[0]["url"] in b for b in bodies)
    assert all("\n" not in str(m["subject"]) for m in mails)

    # a second poll of the same feed stores no mention and sends no email (first let alerts grouped
    # from the first poll go out: the local grouping window is 5 s)
    count_mails = settled_email_count(stack)
    assert stack.api("POST", f"/watches/{watch['id']}/poll").status_code == 202
    time.sleep(6)
    assert len(mentions_of(stack, watch["id"])) == len(first)
    assert len(stack.emails()) == count_mails

    one = stack.api("GET", f"/mentions/{first[0]['id']}")
    assert one.status_code == 200 and one.json()["id"] == first[0]["id"]

    # another tenant sees none of it
    assert stack.api("GET", f"/watches/{watch['id']}", key=KEY_B).status_code == 404
    assert stack.api("GET", f"/mentions/{first[0]['id']}", key=KEY_B).status_code == 404
    other = stack.api("GET", f"/mentions?watch_id={watch['id']}", key=KEY_B)
    assert other.status_code == 404 or other.json()["items"] == []
    assert all(m["watch_id"] != watch["id"] for m in stack.api("GET", "/mentions", key=KEY_B).json()["items"])


def test_poison_message_ends_in_dlq_and_does_not_block_others(stack: Stack, feed: str) -> None:
    import boto3

    r = stack.api("POST", "/watches", json=watch_body(feed) | {"name": "Poison check"})
    watch = r.json()
    sqs = boto3.client(
        "sqs",
        endpoint_url=stack.aws_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    queue = sqs.get_queue_url(QueueName="MentionQueue")["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName="MentionDLQ")["QueueUrl"]
    good = {
        "watch_id": watch["id"],
        "tenant_id": "tenant-a",
        "item": {
            "source": "rss",
            "url": "https://news.example/poison-neighbour",
            "title": "Acme Cloud support was helpful",
            "text": "Acme Cloud answered in minutes.",
            "author": None,
            "published_at": "2026-03-10T00:00:00Z",
        },
    }
    sqs.send_message_batch(
        QueueUrl=queue,
        Entries=[{"Id": "bad", "MessageBody": "{not json"}, {"Id": "good", "MessageBody": json.dumps(good)}],
    )
    wait_for(
        lambda: any(
            m["url"] == "https://news.example/poison-neighbour" for m in mentions_of(stack, watch["id"])
        )
    )

    def in_dlq() -> list[dict[str, Any]]:
        return sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )

    dead = wait_for(in_dlq, timeout=40)
    assert any(m["Body"] == "{not json" for m in dead)


def test_a_webhook_receiver_down_for_a_while_still_gets_each_alert_once(stack: Stack, feed: str) -> None:
    """The notifier's backoff holds in the local stack too (it reset every failed record to a
    short fixed delay, so 8 quick failures sent the alert to the DLQ while the receiver was down)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    deliveries: list[str] = []
    first: list[float] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            first.append(first[0] if first else time.monotonic())
            up = time.monotonic() - first[0] > 15
            if up:
                deliveries.append(self.headers["X-Harken-Delivery"])
            self.send_response(200 if up else 503)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hook = {"url": f"http://127.0.0.1:{server.server_address[1]}/hook", "format": "json", "secret": "s"}
        body = watch_body(feed) | {"name": "Receiver down"}
        body["alerts"] = {"webhooks": [hook], "instant": {"categories": ["reputation"]}}
        watch = stack.api("POST", "/watches", json=body).json()
        assert stack.api("POST", f"/watches/{watch['id']}/poll").status_code == 202
        found = wait_for(
            lambda: len(mentions_of(stack, watch["id"])) >= 3 and mentions_of(stack, watch["id"])
        )
        try:
            wait_for(lambda: len(set(deliveries)) >= len(found) or None, timeout=150)
        except AssertionError:
            raise AssertionError(
                f"{len(set(deliveries))} of {len(found)} delivered after {len(first)} attempts;\n"
                + stack.log.read_text()[-3000:]
            ) from None
        time.sleep(3)
        assert len(deliveries) == len(set(deliveries)) == len(mentions_of(stack, watch["id"]))
        assert len(first) > len(found)  # it was down: retried
    finally:
        server.shutdown()
