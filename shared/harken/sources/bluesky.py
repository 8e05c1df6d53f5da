"""Bluesky post search (`app.bsky.feed.searchPosts`), which needs an authenticated session since
2025: `com.atproto.server.createSession` with HARKEN_BLUESKY_HANDLE and an app password
(HARKEN_BLUESKY_APP_PASSWORD). The session is cached in the context and renewed with
`refreshSession` when the access token expires (createSession is limited to 30 per 5 min).

Polls ask for `sort=latest&since=<last indexedAt - overlap>`; `createdAt` can be back-dated, so
the watermark filter is off and `uri` dedupes."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime
from typing import Any

from harken.models import Item
from harken.sources.base import Cursor, FetchJob, FetchResult, SourceError, SourceSkipped
from harken.sources.http import single_flight
from harken.sources.normalize import clean_author, clean_language, make_item, parse_date, tolerant
from harken.text import normalize_space

SOURCE = "bluesky"
BASE = "https://bsky.social"
OVERLAP_SECONDS: float | None = None
_SINCE_OVERLAP = 600.0
_SESSION = "bluesky_session"


def parse_posts(data: Any, now: datetime) -> list[Item]:
    if not isinstance(data, dict) or not isinstance(data.get("posts"), list):
        raise SourceError("bluesky: response has no posts", kind="bad_payload")
    items: list[Item] = []
    for post in data["posts"]:
        if not isinstance(post, dict) or not post.get("uri"):
            continue
        uri = str(post["uri"])
        author = post.get("author") or {}
        record = post.get("record") or {}
        handle = str(author.get("handle") or author.get("did") or "")
        rkey = uri.rstrip("/").rsplit("/", 1)[-1]
        langs = record.get("langs") or []
        items.append(
            make_item(
                SOURCE,
                url=f"https://bsky.app/profile/{handle}/post/{rkey}",
                title=None,
                text=normalize_space(str(record.get("text") or "")),
                author=clean_author(handle) if handle != "handle.invalid" else None,
                published_at=parse_date(record.get("createdAt") or post.get("indexedAt"), now),
                native_id=uri,
                language=clean_language(langs[0]) if langs else None,
            )
        )
    return items


def _jwt_expiry(token: str) -> float:
    """Seconds since the epoch when a JWT expires (its `exp`), or in 90 minutes if unreadable."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return time.time() + 90 * 60


def _store(ctx: Any, body: dict[str, Any]) -> str:
    access = body.get("accessJwt")
    if not access:
        raise SourceError("bluesky: no accessJwt in the session response", kind="auth")
    ctx.cache[_SESSION] = {
        "access": access,
        "refresh": body.get("refreshJwt"),
        "expires": _jwt_expiry(str(access)),
    }
    return str(access)


async def _create_session(http: Any, ctx: Any, handle: str, password: str) -> str:
    response = await http.request(
        "POST",
        ctx.url(SOURCE, BASE, "/xrpc/com.atproto.server.createSession"),
        json_body={"identifier": handle, "password": password},
        ok=(200, 400, 401),
    )
    if response.status != 200:
        raise SourceError("bluesky: login refused (check the handle and app password)", kind="auth")
    return _store(ctx, response.json_object())


async def _refresh_session(http: Any, ctx: Any) -> str | None:
    refresh = (ctx.cache.get(_SESSION) or {}).get("refresh")
    if not refresh:
        return None
    response = await http.request(
        "POST",
        ctx.url(SOURCE, BASE, "/xrpc/com.atproto.server.refreshSession"),
        headers={"Authorization": f"Bearer {refresh}"},
        ok=(200, 400, 401),
    )
    if response.status != 200:
        ctx.cache.pop(_SESSION, None)
        return None
    return _store(ctx, response.json_object())


async def access_token(http: Any, ctx: Any, handle: str, password: str, *, stale: str | None = None) -> str:
    """A valid access token: the cached one, else a refreshed one, else a new session. `stale` is
    a token the server just refused; concurrent jobs share one login or refresh."""
    session = ctx.cache.get(_SESSION)
    if session and session["access"] != stale and session["expires"] > time.time() + 60:
        return str(session["access"])

    async def renew() -> str:
        if ctx.cache.get(_SESSION):
            token = await _refresh_session(http, ctx)
            if token:
                return token
        return await _create_session(http, ctx, handle, password)

    return str(await single_flight(ctx, _SESSION, renew))


async def fetch(job: FetchJob, cursor: Cursor, http: Any, ctx: Any, now: datetime) -> FetchResult:
    handle = ctx.credential("HARKEN_BLUESKY_HANDLE")
    password = ctx.credential("HARKEN_BLUESKY_APP_PASSWORD")
    if not handle or not password:
        raise SourceSkipped(
            "bluesky: search needs a login since 2025; set HARKEN_BLUESKY_HANDLE and HARKEN_BLUESKY_APP_PASSWORD"
        )
    params: dict[str, Any] = {"q": job.query, "sort": "latest", "limit": 100}
    indexed = cursor.state.get("indexed_at")
    if indexed:
        since = parse_date(indexed, now).timestamp() - _SINCE_OVERLAP
        params["since"] = datetime.fromtimestamp(since, now.tzinfo).strftime("%Y-%m-%dT%H:%M:%SZ")
    url = ctx.url(SOURCE, BASE, "/xrpc/app.bsky.feed.searchPosts")
    token = await access_token(http, ctx, handle, password)
    posts: list[Any] = []
    # Since the last poll, as many pages as it takes (up to max_pages): more than one page of new
    # posts (a busy term, a poll that backed off) lost all but the newest 100.
    for _page in range(max(1, ctx.max_pages) if indexed else 1):
        for attempt in range(2):
            response = await http.request(
                "GET", url, params=params, headers={"Authorization": f"Bearer {token}"}, ok=(200, 400, 401)
            )
            if response.status == 200:
                break
            body = response.json() if response.body else {}
            error = body.get("error") if isinstance(body, dict) else None
            if attempt == 0 and (response.status == 401 or error in ("ExpiredToken", "InvalidToken")):
                token = await access_token(http, ctx, handle, password, stale=token)
                continue
            raise SourceError(f"bluesky: search refused (HTTP {response.status}, {error})", kind="http_error")
        data = response.json()
        page = data.get("posts") if isinstance(data, dict) else None
        if not isinstance(page, list):
            raise SourceError("bluesky: search answered without a posts list", kind="bad_payload")
        posts += page
        next_cursor = data.get("cursor")
        if len(page) < params["limit"] or not next_cursor or not isinstance(next_cursor, str):
            break
        params = {**params, "cursor": next_cursor}
    data = {"posts": posts}
    items = tolerant(parse_posts, data, "posts", now)
    indexed_values = [
        str(p.get("indexedAt")) for p in data["posts"] if isinstance(p, dict) and p.get("indexedAt")
    ]
    state = dict(cursor.state)
    if indexed_values:
        newest = max(parse_date(v, now) for v in indexed_values)
        old = parse_date(indexed, now) if indexed else None
        if old is None or newest > old:
            state["indexed_at"] = min(newest, now).strftime("%Y-%m-%dT%H:%M:%SZ")
    return FetchResult(
        items=items,
        cursor=Cursor(cursor.watermark, list(cursor.seen), cursor.etag, cursor.last_modified, state),
    )
