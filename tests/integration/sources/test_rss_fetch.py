"""RSS/Atom adapter against a real local HTTP server: conditional GET, dedup across polls and
every fault the runner must turn into a JobOutcome error."""

from __future__ import annotations

import asyncio
import socket

import httpx
import pytest
from harken.sources import Cursor, FetchJob, run_jobs
from harken.sources.base import SEEN_MAX

from .conftest import LocalServer, Reply, fixture_bytes, make_ctx

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rss version="2.0"><channel><title>&lol3;</title><item><title>&lol3;</title></item></channel></rss>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><title>&xxe;</title><link>https://a.example/</link></item></channel></rss>"""


def rss_job(url: str) -> FetchJob:
    return FetchJob(watch_id="w_1", tenant_id="t_1", source={"type": "rss", "url": url}, terms=["Acme Cloud"])


def run(pairs, ctx):
    return asyncio.run(run_jobs(pairs, ctx))


def test_first_poll_returns_feed_items_and_stores_validators(server: LocalServer) -> None:
    server.routes["/feed.xml"] = Reply(
        body=fixture_bytes("rss2_feed.xml"),
        headers={
            "Content-Type": "application/rss+xml",
            "ETag": '"v1"',
            "Last-Modified": "Tue, 10 Mar 2026 03:50:12 GMT",
        },
    )
    [outcome] = run([(rss_job(server.base_url + "/feed.xml"), Cursor())], make_ctx(server.base_url))
    assert outcome.error is None
    assert outcome.result is not None
    assert len(outcome.result.items) == 4
    assert outcome.result.cursor.etag == '"v1"'
    assert outcome.result.cursor.last_modified == "Tue, 10 Mar 2026 03:50:12 GMT"
    assert outcome.result.cursor.watermark == "2026-03-10T03:44:51Z"
    assert len(outcome.result.cursor.seen) == 4
    assert "harken" in server.requests[0].headers["user-agent"]


def test_not_modified_returns_nothing_and_keeps_cursor(server: LocalServer) -> None:
    server.routes["/feed.xml"] = Reply(status=304, headers={"ETag": '"v1"'})
    cursor = Cursor(watermark="2026-03-10T03:44:51Z", seen=["a", "b"], etag='"v1"', last_modified="x")
    [outcome] = run([(rss_job(server.base_url + "/feed.xml"), cursor)], make_ctx(server.base_url))
    assert outcome.result is not None
    assert outcome.result.items == []
    assert outcome.result.cursor.seen == ["a", "b"]
    assert outcome.result.cursor.etag == '"v1"'
    assert server.requests[0].headers["if-none-match"] == '"v1"'
    assert server.requests[0].headers["if-modified-since"] == "x"


def test_second_poll_of_unchanged_feed_yields_no_new_items(server: LocalServer) -> None:
    server.routes["/feed.xml"] = Reply(body=fixture_bytes("atom_feed.xml"))
    ctx = make_ctx(server.base_url)
    job = rss_job(server.base_url + "/feed.xml")
    [first] = run([(job, Cursor())], ctx)
    assert first.result is not None and len(first.result.items) == 3
    [second] = run([(job, first.result.cursor)], ctx)
    assert second.result is not None
    assert second.result.items == []
    assert second.result.cursor.seen == first.result.cursor.seen


def test_new_entry_in_feed_is_the_only_item_on_next_poll(server: LocalServer) -> None:
    feed = fixture_bytes("rss2_feed.xml")
    server.routes["/feed.xml"] = Reply(body=feed)
    ctx = make_ctx(server.base_url)
    job = rss_job(server.base_url + "/feed.xml")
    [first] = run([(job, Cursor())], ctx)
    assert first.result is not None
    extra = (
        b"<item><title>Acme Cloud fixes restores</title><link>https://news.example/fixed</link>"
        b"<guid>fixed-1</guid><pubDate>Wed, 11 Mar 2026 09:00:00 +0000</pubDate></item></channel>"
    )
    server.routes["/feed.xml"] = Reply(body=feed.replace(b"</channel>", extra))
    [second] = run([(job, first.result.cursor)], ctx)
    assert second.result is not None
    assert [i.title for i in second.result.items] == ["Acme Cloud fixes restores"]
    assert second.result.cursor.seen[0] == "fixed-1"
    assert second.result.cursor.watermark == "2026-03-11T09:00:00Z"


def test_seen_ids_are_capped(server: LocalServer) -> None:
    server.routes["/feed.xml"] = Reply(body=fixture_bytes("rss2_feed.xml"))
    cursor = Cursor(seen=[f"old-{i}" for i in range(SEEN_MAX)])
    [outcome] = run([(rss_job(server.base_url + "/feed.xml"), cursor)], make_ctx(server.base_url))
    assert outcome.result is not None
    assert len(outcome.result.cursor.seen) == SEEN_MAX
    assert outcome.result.cursor.seen[-1] == f"old-{SEEN_MAX - 5}"


def test_malformed_feed_still_yields_its_item(server: LocalServer) -> None:
    server.routes["/bad.xml"] = Reply(body=fixture_bytes("rss2_feed_malformed.xml"))
    [outcome] = run([(rss_job(server.base_url + "/bad.xml"), Cursor())], make_ctx(server.base_url))
    assert outcome.result is not None
    [item] = outcome.result.items
    assert item.title == "Acme Clod (sic) review – 2 stars"


@pytest.mark.parametrize("payload", [BOMB, EXTERNAL], ids=["entity-bomb", "external-entity"])
def test_feeds_declaring_entities_are_refused(server: LocalServer, payload: bytes) -> None:
    server.routes["/evil.xml"] = Reply(body=payload)
    [outcome] = run([(rss_job(server.base_url + "/evil.xml"), Cursor())], make_ctx(server.base_url))
    assert outcome.result is None
    assert outcome.error is not None and outcome.error.kind == "bad_payload"


def test_non_feed_response_is_a_bad_payload(server: LocalServer) -> None:
    server.routes["/page"] = Reply(body=b"<html><body>Hello</body></html>")
    [outcome] = run([(rss_job(server.base_url + "/page"), Cursor())], make_ctx(server.base_url))
    assert outcome.error is not None and outcome.error.kind == "bad_payload"


def test_rate_limited_feed_reports_retry_after(server: LocalServer) -> None:
    server.routes["/feed.xml"] = Reply(status=429, headers={"Retry-After": "120"})
    [outcome] = run([(rss_job(server.base_url + "/feed.xml"), Cursor())], make_ctx(server.base_url))
    assert outcome.result is None
    assert outcome.error is not None
    assert outcome.error.kind == "rate_limited"
    assert outcome.error.retry_after == 120


def test_short_retry_after_is_waited_in_place(server: LocalServer) -> None:
    server.routes["/feed.xml"] = [
        Reply(status=429, headers={"Retry-After": "0"}),
        Reply(body=fixture_bytes("atom_feed.xml")),
    ]
    [outcome] = run([(rss_job(server.base_url + "/feed.xml"), Cursor())], make_ctx(server.base_url))
    assert outcome.result is not None and len(outcome.result.items) == 3
    assert len(server.requests) == 2


def test_server_error_is_retried_then_succeeds(server: LocalServer) -> None:
    server.routes["/feed.xml"] = [
        Reply(status=500),
        Reply(status=502),
        Reply(body=fixture_bytes("atom_feed.xml")),
    ]
    [outcome] = run([(rss_job(server.base_url + "/feed.xml"), Cursor())], make_ctx(server.base_url))
    assert outcome.result is not None and len(outcome.result.items) == 3
    assert len(server.requests) == 3


def test_persistent_server_error_fails_the_job(server: LocalServer) -> None:
    server.routes["/feed.xml"] = Reply(status=500)
    [outcome] = run([(rss_job(server.base_url + "/feed.xml"), Cursor())], make_ctx(server.base_url))
    assert outcome.error is not None and outcome.error.kind == "http_error"
    assert len(server.requests) == 3


def test_not_found_is_not_retried(server: LocalServer) -> None:
    [outcome] = run([(rss_job(server.base_url + "/missing.xml"), Cursor())], make_ctx(server.base_url))
    assert outcome.error is not None and outcome.error.kind == "http_error"
    assert len(server.requests) == 1


def test_slow_feed_times_out(server: LocalServer) -> None:
    server.routes["/slow.xml"] = Reply(body=fixture_bytes("atom_feed.xml"), delay=1.0)
    ctx = make_ctx(server.base_url, timeout=0.2, retries=2)
    [outcome] = run([(rss_job(server.base_url + "/slow.xml"), Cursor())], ctx)
    assert outcome.error is not None and outcome.error.kind == "timeout"


def test_connection_reset_is_a_network_error(server: LocalServer) -> None:
    server.routes["/reset.xml"] = Reply(reset=True)
    [outcome] = run([(rss_job(server.base_url + "/reset.xml"), Cursor())], make_ctx(server.base_url))
    assert outcome.error is not None and outcome.error.kind == "network"
    assert len(server.requests) == 3  # retried


def test_truncated_body_is_a_network_error(server: LocalServer) -> None:
    body = fixture_bytes("atom_feed.xml")
    server.routes["/cut.xml"] = Reply(body=body[:500], declared_length=len(body))
    [outcome] = run([(rss_job(server.base_url + "/cut.xml"), Cursor())], make_ctx(server.base_url, retries=1))
    assert outcome.result is None
    assert outcome.error is not None and outcome.error.kind == "network"


def test_huge_response_is_capped(server: LocalServer) -> None:
    server.routes["/huge.xml"] = Reply(stream_bytes=50 * 1024 * 1024)
    [outcome] = run([(rss_job(server.base_url + "/huge.xml"), Cursor())], make_ctx(server.base_url))
    assert outcome.error is not None and outcome.error.kind == "too_large"


def test_huge_declared_length_is_refused_before_reading(server: LocalServer) -> None:
    server.routes["/huge.xml"] = Reply(body=b"", declared_length=50 * 1024 * 1024)
    [outcome] = run([(rss_job(server.base_url + "/huge.xml"), Cursor())], make_ctx(server.base_url))
    assert outcome.error is not None and outcome.error.kind == "too_large"


def test_loopback_feed_is_refused_without_allow_private(server: LocalServer) -> None:
    server.routes["/feed.xml"] = Reply(body=fixture_bytes("atom_feed.xml"))
    ctx = make_ctx(server.base_url, allow_private=False)
    [outcome] = run([(rss_job(server.base_url + "/feed.xml"), Cursor())], ctx)
    assert outcome.error is not None and outcome.error.kind == "unsafe_url"
    assert server.requests == []


def test_a_feed_name_rebound_to_loopback_after_the_check_is_never_dialled(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # DNS rebinding: the name answers a public address to the request's SSRF check, then
    # loopback to the next lookup. Pinned, the connection does that lookup itself, checks it,
    # and never dials the local server.
    server.routes["/feed.xml"] = Reply(body=fixture_bytes("atom_feed.xml"))
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34"])

    def rebinding(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host in ("feeds.rebind.example", b"feeds.rebind.example"):  # anyio passes bytes
            return real(next(answers, "127.0.0.1"), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    url = f"http://feeds.rebind.example:{server.base_url.rsplit(':', 1)[1]}/feed.xml"
    [outcome] = run([(rss_job(url), Cursor())], make_ctx(server.base_url, allow_private=False))
    assert outcome.error is not None and outcome.error.kind == "unsafe_url"
    assert server.requests == []


class _ToLocal(httpx.AsyncBaseTransport):
    """Sends every request for public.example to the local server (as if DNS said so)."""

    def __init__(self, port: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.port = port

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "public.example":
            request.url = request.url.copy_with(host="127.0.0.1", port=self.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize(
    "target", ["http://127.0.0.1:{port}/feed.xml", "http://169.254.169.254/latest/meta-data/"]
)
def test_redirect_to_private_address_is_refused(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch, target: str
) -> None:
    import harken.net

    real_getaddrinfo = socket.getaddrinfo

    def fake_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host == "public.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 0))]
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(harken.net.socket, "getaddrinfo", fake_getaddrinfo)
    port = int(server.base_url.rsplit(":", 1)[1])
    server.routes["/feed.xml"] = Reply(body=fixture_bytes("atom_feed.xml"))
    server.routes["/moved"] = Reply(status=302, headers={"Location": target.format(port=port)})
    ctx = make_ctx(server.base_url, allow_private=False, transport=_ToLocal(port))
    [outcome] = run([(rss_job("http://public.example/moved"), Cursor())], ctx)
    assert outcome.result is None
    assert outcome.error is not None and outcome.error.kind == "unsafe_url"
    assert [r.path for r in server.requests] == ["/moved"]


def test_redirect_between_public_hosts_is_followed(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import harken.net

    monkeypatch.setattr(
        harken.net.socket,
        "getaddrinfo",
        lambda host, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 0))],
    )
    port = int(server.base_url.rsplit(":", 1)[1])
    server.routes["/feed.xml"] = Reply(body=fixture_bytes("atom_feed.xml"))
    server.routes["/moved"] = Reply(status=301, headers={"Location": "http://public.example/feed.xml"})
    ctx = make_ctx(server.base_url, allow_private=False, transport=_ToLocal(port))
    [outcome] = run([(rss_job("http://public.example/moved"), Cursor())], ctx)
    assert outcome.result is not None and len(outcome.result.items) == 3


def test_one_failing_feed_does_not_affect_the_others(server: LocalServer) -> None:
    server.routes["/ok.xml"] = Reply(body=fixture_bytes("atom_feed.xml"))
    server.routes["/down.xml"] = Reply(status=503)
    ctx = make_ctx(server.base_url)
    outcomes = run(
        [
            (rss_job(server.base_url + "/ok.xml"), Cursor()),
            (rss_job(server.base_url + "/down.xml"), Cursor()),
        ],
        ctx,
    )
    assert outcomes[0].result is not None and len(outcomes[0].result.items) == 3
    assert outcomes[1].error is not None and outcomes[1].error.kind == "http_error"


def test_one_feeds_429_does_not_hold_the_other_feeds(server: LocalServer) -> None:
    """Limits were per source type: one feed's "Retry-After: 3600" held every feed of the
    container for an hour. They are per host for feeds and instances now."""
    server.routes["/a.xml"] = Reply(status=429, headers={"Retry-After": "3600"})
    server.routes["/b.xml"] = Reply(body=fixture_bytes("atom_feed.xml"))
    port = server.base_url.rsplit(":", 1)[1]
    ctx = make_ctx(server.base_url)  # one warm container for both polls
    [a] = run([(rss_job(f"http://127.0.0.1:{port}/a.xml"), Cursor())], ctx)
    assert a.error is not None and a.error.kind == "rate_limited"
    [b] = run([(rss_job(f"http://localhost:{port}/b.xml"), Cursor())], ctx)
    assert b.error is None and b.result is not None and len(b.result.items) == 3
    [again] = run([(rss_job(f"http://127.0.0.1:{port}/a.xml"), Cursor())], ctx)
    assert again.error is not None and len([r for r in server.requests if r.path == "/a.xml"]) == 1


@pytest.mark.parametrize("value", ["inf", "1e12", "nan"])
def test_an_absurd_retry_after_is_at_most_a_day(server: LocalServer, value: str) -> None:
    """ "inf" made the fetcher's backoff int(inf): an OverflowError on every batch after."""
    from harken.service.fetching import backoff_seconds

    server.routes["/feed.xml"] = Reply(status=429, headers={"Retry-After": value})
    [outcome] = run([(rss_job(server.base_url + "/feed.xml"), Cursor())], make_ctx(server.base_url))
    assert outcome.error is not None and outcome.error.kind == "rate_limited"
    wait = backoff_seconds(1, outcome.error.retry_after)
    assert 0 < wait <= 86_400 and int(wait) == int(wait)


def test_jobs_end_within_the_batch_time_budget(server: LocalServer) -> None:
    """A job is cut at the batch's budget (the Lambda's time left), not only at its own timeout:
    slow sources ran past the Lambda timeout and the whole batch's items were lost."""
    server.routes["/slow.xml"] = Reply(body=fixture_bytes("atom_feed.xml"), delay=4.0)
    server.routes["/fast.xml"] = Reply(body=fixture_bytes("atom_feed.xml"))
    ctx = make_ctx(server.base_url, timeout=10.0, retries=1)
    pairs = [
        (rss_job(server.base_url + "/slow.xml"), Cursor()),
        (rss_job(server.base_url + "/fast.xml"), Cursor()),
    ]
    slow, fast = asyncio.run(run_jobs(pairs, ctx, time_budget=1.0))
    assert slow.error is not None and slow.error.kind == "timeout" and "longer than 1s" in str(slow.error)
    assert fast.result is not None and len(fast.result.items) == 3


def test_a_gzip_bomb_is_refused_without_inflating_it(server: LocalServer) -> None:
    """130 KB of gzip is 130 MB of feed: httpx inflated each chunk whole (143 MB per job, ten jobs
    over the Lambda's memory) before the size cap saw it. It is inflated a cap's worth at a time."""
    import gzip
    import tracemalloc

    bomb = gzip.compress(b"<rss><channel>" + b" " * 60_000_000 + b"</channel></rss>", compresslevel=9)
    server.routes["/bomb.xml"] = Reply(body=bomb, headers={"Content-Encoding": "gzip"})
    server.routes["/feed.xml"] = Reply(
        body=gzip.compress(fixture_bytes("atom_feed.xml")), headers={"Content-Encoding": "gzip"}
    )
    tracemalloc.start()
    [outcome] = run([(rss_job(server.base_url + "/bomb.xml"), Cursor())], make_ctx(server.base_url))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert outcome.error is not None and "cap" in str(outcome.error)
    assert peak < 30_000_000, peak  # the cap is 5 MiB; 60 MB inflated would be far over
    [fine] = run([(rss_job(server.base_url + "/feed.xml"), Cursor())], make_ctx(server.base_url))
    assert fine.result is not None and len(fine.result.items) == 3
