"""Reddit: keyword search (`/search.json`) or a subreddit's newest posts (`/r/<sub>/new.json`).

Without OAuth credentials the public JSON endpoints are used with a descriptive User-Agent
(10 requests/min). With HARKEN_REDDIT_CLIENT_ID/SECRET an app-only token is fetched, cached in
the context and the same paths are called on oauth.reddit.com (100 requests/min).

Responses are requested without `raw_json=1`, so titles and selftext carry one layer of legacy
entity escaping (`&amp;`) that is decoded exactly once here."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from urllib.parse import quote

from harken.models import Item
from harken.sources.base import Cursor, FetchJob, FetchResult, SourceError, all_new
from harken.sources.http import single_flight
from harken.sources.normalize import clean_author, clean_url, make_item, parse_date, tolerant
from harken.text import markdown_to_text, unescape_text

SOURCE = "reddit"
PUBLIC_BASE = "https://www.reddit.com"
OAUTH_BASE = "https://oauth.reddit.com"
WEB = "https://www.reddit.com"


def parse_listing(data: Any, now: datetime) -> list[Item]:
    """Items of a Listing (`{"kind": "Listing", "data": {"children": [...]}}`)."""
    if not isinstance(data, dict) or not isinstance(data.get("data"), dict):
        raise SourceError("reddit: response is not a Listing", kind="bad_payload")
    items: list[Item] = []
    for child in data["data"].get("children") or []:
        post = child.get("data") if isinstance(child, dict) else None
        if not isinstance(post, dict) or child.get("kind") not in ("t3", "t1"):
            continue
        permalink = str(post.get("permalink") or "")
        url = (
            clean_url(WEB + permalink)
            if permalink.startswith("/")
            else clean_url(unescape_text(post.get("url")))
        )
        selftext = str(post.get("selftext") or post.get("body") or "")
        if selftext in ("[deleted]", "[removed]"):
            selftext = ""
        text = markdown_to_text(selftext)
        link = clean_url(unescape_text(post.get("url")))
        if (
            link
            and not link.startswith(("https://www.reddit.com/", "https://reddit.com/"))
            and link not in text
        ):
            text = f"{text}\n{link}".strip()
        items.append(
            make_item(
                SOURCE,
                url=url,
                title=unescape_text(post.get("title")) or None,
                text=text,
                author=clean_author(post.get("author")),
                published_at=parse_date(post.get("created_utc"), now),
                native_id=str(post.get("name") or post.get("id") or url),
                community=str(post.get("subreddit") or "") or None,
            )
        )
    return items


async def _token(http: Any, ctx: Any, client_id: str, secret: str) -> str:
    cached = ctx.cache.get("reddit_token")
    if cached and cached[1] > time.monotonic() + 60:
        return str(cached[0])
    import httpx

    async def login() -> str:
        response = await http.request(
            "POST",
            ctx.url(SOURCE, PUBLIC_BASE, "/api/v1/access_token"),
            data={"grant_type": "client_credentials"},
            auth=httpx.BasicAuth(client_id, secret),
            rate_limited=False,
        )
        body = response.json_object()
        token = body.get("access_token")
        if not token:
            raise SourceError("reddit: no access_token in the OAuth response", kind="auth")
        ctx.cache["reddit_token"] = (token, time.monotonic() + float(body.get("expires_in") or 3600))
        return str(token)

    return str(await single_flight(ctx, "reddit_token", login))


async def fetch(job: FetchJob, cursor: Cursor, http: Any, ctx: Any, now: datetime) -> FetchResult:
    client_id = ctx.credential("HARKEN_REDDIT_CLIENT_ID")
    secret = ctx.credential("HARKEN_REDDIT_CLIENT_SECRET")
    headers: dict[str, str] = {}
    if client_id and secret:
        http.limit_key = "reddit_oauth"
        headers["Authorization"] = f"bearer {await _token(http, ctx, client_id, secret)}"
        base, suffix = ctx.base_url(SOURCE, OAUTH_BASE), ""
    else:
        base, suffix = ctx.base_url(SOURCE, PUBLIC_BASE), ".json"
    subreddits = job.source.get("subreddits") or []
    params: dict[str, Any] = {"limit": 100}
    if subreddits and not job.query:
        path = f"/r/{quote(str(subreddits[0]), safe='')}/new{suffix}"
    else:
        path = f"/search{suffix}"
        params.update({"q": job.query, "sort": "new", "type": "link"})
    items: list[Item] = []
    for _ in range(max(1, ctx.max_pages)):
        response = await http.request("GET", base + path, params=params, headers=headers)
        data = response.json()
        page = tolerant(parse_listing, data, "data.children", now)
        items.extend(page)
        after = data["data"].get("after")
        if not after or not all_new(page, cursor):
            break
        params = {**params, "after": after, "count": len(items)}
    return FetchResult(items=items, cursor=cursor)
