"""The offline demo's sources: a local HTTP server that answers each source's documented paths
with bundled sample payloads (the "Acme Cloud" fixtures in `replay/`).

    server = start_replay_server()          # 127.0.0.1, a free port, background thread
    os.environ.update(replay_env(server.base_url))
    ...
    server.stop()

Paths served (query strings are accepted and ignored):

    reddit         GET  /search.json, /search, /r/<sub>/new.json, /r/<sub>/new, /r/<sub>/search.json
                   POST /api/v1/access_token
    hackernews     GET  /api/v1/search_by_date
    mastodon       GET  /api/v1/timelines/tag/<tag>, /api/v2/search
    bluesky        POST /xrpc/com.atproto.server.createSession, /xrpc/com.atproto.server.refreshSession
                   GET  /xrpc/app.bsky.feed.searchPosts
    stackexchange  GET  /2.3/search/advanced
    github         GET  /search/issues
    lemmy          GET  /api/v3/search, /api/v3/site
    lobsters       GET  /newest.json, /newest/page/<n>.json (empty after page 1)
    youtube        GET  /youtube/v3/search
    feeds          GET  /feeds/rss2.xml, /feeds/atom.xml, /feeds/google_alerts.xml, /feeds/malformed.xml
                        (with ETag / Last-Modified, so polls after the first get 304)

A demo watch names its feeds as `<base_url>/feeds/rss2.xml` etc. and every other source by type
only (`{"type": "reddit"}`, `{"type": "mastodon", "instance": "https://mastodon.social"}`): the
environment from `replay_env` points them all here.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DATA = Path(__file__).resolve().parent / "replay"
SOURCES = (
    "REDDIT", "HACKERNEWS", "MASTODON", "BLUESKY", "STACKEXCHANGE", "GITHUB", "LEMMY", "LOBSTERS", "YOUTUBE",
)  # fmt: skip
FEEDS = {
    "/feeds/rss2.xml": ("rss2_feed.xml", "application/rss+xml; charset=utf-8"),
    "/feeds/atom.xml": ("atom_feed.xml", "application/atom+xml; charset=utf-8"),
    "/feeds/google_alerts.xml": ("google_alerts.atom.xml", "application/atom+xml; charset=utf-8"),
    "/feeds/malformed.xml": ("rss2_feed_malformed.xml", "application/rss+xml; charset=utf-8"),
}
_GET_JSON: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^/(?:r/[^/]+/)?(?:search|new)(?:\.json)?$"), "reddit_search.json"),
    (re.compile(r"^/api/v1/search_by_date$"), "hn_algolia_search_by_date.json"),
    (re.compile(r"^/api/v1/timelines/tag/[^/]+$"), "mastodon_tag_timeline.json"),
    (re.compile(r"^/api/v2/search$"), "mastodon_search.json"),
    (re.compile(r"^/xrpc/app\.bsky\.feed\.searchPosts$"), "bluesky_searchPosts.json"),
    (re.compile(r"^/2\.3/search/advanced$"), "stackexchange_search_advanced.json"),
    (re.compile(r"^/search/issues$"), "github_search_issues.json"),
    (re.compile(r"^/api/v3/search$"), "lemmy_search.json"),
    (re.compile(r"^/api/v3/site$"), "lemmy_site.json"),
    (re.compile(r"^/newest(?:/page/1)?\.json$"), "lobsters_newest.json"),
    (re.compile(r"^/youtube/v3/search$"), "youtube_search.json"),
]
_LAST_MODIFIED = "Tue, 10 Mar 2026 04:00:00 GMT"


def _fake_jwt(lifetime: int) -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims = {"sub": "did:plc:replaydemo", "exp": int(time.time()) + lifetime, "scope": "com.atproto.appPass"}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.replay"


def _load(name: str) -> bytes:
    if name == "mastodon_search.json":
        # full-text search answers the same statuses as the recorded hashtag timeline, wrapped
        statuses = json.loads((DATA / "mastodon_tag_timeline.json").read_bytes())
        return json.dumps({"accounts": [], "statuses": statuses, "hashtags": []}).encode()
    body = (DATA / name).read_bytes()
    if name == "stackexchange_search_advanced.json":
        # The recorded wrapper asks for a 10 s `backoff`; the demo runs several Stack Exchange
        # queries per poll, so the replay leaves it out (the adapter tests cover it).
        data = json.loads(body)
        data.pop("backoff", None)
        body = json.dumps(data).encode()
    return body


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "HarkenReplay/1.0"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)

    def _json(self, data: Any, status: int = 200) -> None:
        self._send(status, json.dumps(data).encode(), "application/json; charset=utf-8")

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path in FEEDS:
            name, content_type = FEEDS[path]
            body = _load(name)
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self._send(304, b"", content_type, {"ETag": etag})
                return
            self._send(200, body, content_type, {"ETag": etag, "Last-Modified": _LAST_MODIFIED})
            return
        if re.match(r"^/newest/page/\d+\.json$", path):
            self._json([])
            return
        for pattern, name in _GET_JSON:
            if pattern.match(path):
                self._send(200, _load(name), "application/json; charset=utf-8")
                return
        self._json({"error": "not found", "path": path}, status=404)

    do_HEAD = do_GET

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if path in ("/xrpc/com.atproto.server.createSession", "/xrpc/com.atproto.server.refreshSession"):
            self._json(
                {
                    "did": "did:plc:replaydemo",
                    "handle": "demo.bsky.social",
                    "accessJwt": _fake_jwt(2 * 3600),
                    "refreshJwt": _fake_jwt(60 * 24 * 3600),
                    "active": True,
                }
            )
            return
        if path == "/api/v1/access_token":
            self._json({"access_token": "replay-reddit-token", "token_type": "bearer", "expires_in": 3600})
            return
        self._json({"error": "not found", "path": path}, status=404)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


@dataclass
class ReplayServer:
    """A running replay server; `base_url` is `http://127.0.0.1:<port>`."""

    base_url: str
    _httpd: _Server
    _thread: threading.Thread

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)


def start_replay_server(host: str = "127.0.0.1", port: int = 0) -> ReplayServer:
    """Start serving the bundled payloads in a background thread."""
    httpd = _Server((host, port), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, name="harken-replay", daemon=True)
    thread.start()
    bound_port = httpd.server_address[1]
    return ReplayServer(base_url=f"http://{host}:{bound_port}", _httpd=httpd, _thread=thread)


def replay_env(base_url: str) -> dict[str, str]:
    """Environment that points every source at the replay server, allows its loopback address
    and supplies dummy credentials for the sources that need them (Bluesky, YouTube, Mastodon search)."""
    env = {f"HARKEN_{name}_BASE_URL": base_url for name in SOURCES}
    env.update(
        {
            "HARKEN_ALLOW_PRIVATE_URLS": "1",
            "HARKEN_SOURCE_RATE_LIMITS": "off",  # every source is this server
            "HARKEN_BLUESKY_HANDLE": "demo.bsky.social",
            "HARKEN_BLUESKY_APP_PASSWORD": "replay-app-password",
            "HARKEN_YOUTUBE_API_KEY": "replay-youtube-key",
            "HARKEN_MASTODON_TOKEN": "replay-mastodon-token",
        }
    )
    return env


def demo_sources(base_url: str) -> list[dict[str, Any]]:
    """The source list of a watch that exercises every replayed source."""
    return [
        {"type": "rss", "url": f"{base_url}/feeds/rss2.xml"},
        {"type": "rss", "url": f"{base_url}/feeds/atom.xml"},
        {"type": "rss", "url": f"{base_url}/feeds/google_alerts.xml"},
        {"type": "reddit"},
        {"type": "hackernews"},
        {"type": "mastodon", "instance": "https://mastodon.social", "tags": ["acmecloud"]},
        {"type": "bluesky"},
        {"type": "stackexchange", "site": "stackoverflow"},
        {"type": "github"},
        {"type": "lemmy", "instance": "https://lemmy.world"},
        {"type": "lobsters"},
        {"type": "youtube"},
    ]
