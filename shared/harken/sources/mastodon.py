"""Mastodon hashtag timelines: `GET https://<instance>/api/v1/timelines/tag/<tag>?any[]=…`.

Full-text search needs a user token and only finds opted-in posts, so hashtags are the keyword
proxy (up to 4 per request). Paging forward uses `min_id` (ids compared as integers). An
instance that closed its public hashtag feeds answers 401: set HARKEN_MASTODON_TOKEN."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from harken.models import Item
from harken.sources.base import Cursor, FetchJob, FetchResult, SourceError
from harken.sources.normalize import clean_author, clean_language, clean_url, host_of, make_item, parse_date
from harken.text import html_to_text

SOURCE = "mastodon"
DEFAULT_INSTANCE = "https://mastodon.social"


def _int(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        return 0


def parse_statuses(data: Any, now: datetime, instance_host: str | None = None) -> list[Item]:
    if not isinstance(data, list):
        raise SourceError("mastodon: expected a list of statuses", kind="bad_payload")
    items: list[Item] = []
    for status in data:
        if not isinstance(status, dict):
            continue
        if isinstance(status.get("reblog"), dict):  # a boost: the boosted post is the mention
            status = status["reblog"]
        url = clean_url(status.get("url") or status.get("uri"))
        if not url:
            continue
        spoiler = html_to_text(status.get("spoiler_text"))
        content = html_to_text(status.get("content"))
        account = status.get("account") or {}
        items.append(
            make_item(
                SOURCE,
                url=url,
                title=None,
                text=f"{spoiler}\n{content}".strip() if spoiler else content,
                author=clean_author(account.get("acct") or account.get("username")),
                published_at=parse_date(status.get("created_at"), now),
                native_id=str(status.get("uri") or url),
                language=clean_language(status.get("language")),
                community=host_of(url) or instance_host,
            )
        )
    return items


def instance_base(job: FetchJob, ctx: Any) -> str:
    instance = str(job.source.get("instance") or DEFAULT_INSTANCE).strip()
    if "://" not in instance:
        instance = "https://" + instance
    parts = urlsplit(instance)
    return ctx.base_url(SOURCE, f"{parts.scheme}://{parts.netloc}")


async def fetch(job: FetchJob, cursor: Cursor, http: Any, ctx: Any, now: datetime) -> FetchResult:
    tags = [t for t in job.query.split() if t] or [str(t) for t in job.source.get("tags") or []]
    if not tags:
        raise SourceError("mastodon: no hashtag to follow", kind="bad_job")
    base = instance_base(job, ctx)
    params: list[tuple[str, Any]] = [("limit", 40)]
    params += [("any[]", tag) for tag in tags[1:4]]
    min_id = cursor.state.get("min_id")
    if min_id:
        params.append(("min_id", str(min_id)))
    headers = {}
    token = ctx.credential("HARKEN_MASTODON_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = f"{base}/api/v1/timelines/tag/{quote(tags[0], safe='')}"
    try:
        response = await http.request("GET", url, params=params, headers=headers)
    except SourceError as exc:
        if exc.kind == "auth" and not token:
            raise SourceError(
                f"mastodon: {host_of(base)} requires a token for hashtag timelines (HARKEN_MASTODON_TOKEN)",
                kind="auth",
            ) from exc
        raise
    data = response.json()
    items = parse_statuses(data, now, host_of(str(job.source.get("instance") or "")))
    ids = [_int(s.get("id")) for s in data if isinstance(s, dict)]
    state = dict(cursor.state)
    if ids:
        state["min_id"] = str(max([*ids, _int(min_id or 0)]))
    return FetchResult(
        items=items,
        cursor=Cursor(cursor.watermark, list(cursor.seen), cursor.etag, cursor.last_modified, state),
    )
