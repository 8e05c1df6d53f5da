"""Mastodon hashtag timelines: `GET https://<instance>/api/v1/timelines/tag/<tag>?any[]=…`, and
full-text search `GET /api/v2/search?q=…&type=statuses` when a token is configured.

Full-text search needs a user token and only finds opted-in (`indexable`) posts, so hashtags are
the keyword proxy that always runs (up to 4 per request); search jobs (source `mode: search`) are
skipped without HARKEN_MASTODON_TOKEN. Paging forward uses `min_id` (ids compared as integers). An
instance that closed its public hashtag feeds answers 401: set HARKEN_MASTODON_TOKEN."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from harken.models import Item
from harken.sources.base import Cursor, FetchJob, FetchResult, SourceError, SourceSkipped
from harken.sources.normalize import (
    clean_author,
    clean_language,
    clean_url,
    host_of,
    make_item,
    parse_date,
    tolerant,
)
from harken.text import html_to_text

SOURCE = "mastodon"
DEFAULT_INSTANCE = "https://mastodon.social"


def _order(value: Any) -> tuple[int, str]:
    """A status id as it sorts: Mastodon's are numeric strings (longer is newer), GoToSocial's
    and others' ULIDs of one length (lexicographic). Turned into ints, ULIDs were all 0: the
    cursor stuck at "0" and the oldest page came back at every poll."""
    text = str(value or "").strip()
    return (len(text), text)


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


def instance_base(job: FetchJob, ctx: Any, source: str = SOURCE, default: str = DEFAULT_INSTANCE) -> str:
    """The watch's instance (scheme and host), or the source's HARKEN_<SOURCE>_BASE_URL override."""
    instance = str(job.source.get("instance") or default).strip()
    if "://" not in instance:
        instance = "https://" + instance
    parts = urlsplit(instance)
    return ctx.base_url(source, f"{parts.scheme}://{parts.netloc}")


def _advanced(cursor: Cursor, data: list[Any], min_id: Any) -> Cursor:
    ids = [str(s.get("id")) for s in data if isinstance(s, dict) and s.get("id")]
    state = dict(cursor.state)
    if ids:
        state["min_id"] = max([*ids, str(min_id)] if min_id else ids, key=_order)
    return Cursor(cursor.watermark, list(cursor.seen), cursor.etag, cursor.last_modified, state)


async def search(job: FetchJob, cursor: Cursor, http: Any, ctx: Any, now: datetime) -> FetchResult:
    """Full-text search of one term (statuses only), newest since the cursor's min_id."""
    token = ctx.credential("HARKEN_MASTODON_TOKEN")
    if not token:
        raise SourceSkipped(
            "mastodon: full-text search needs HARKEN_MASTODON_TOKEN (hashtag timelines still run)"
        )
    base = instance_base(job, ctx)
    params: list[tuple[str, Any]] = [
        ("q", job.query),
        ("type", "statuses"),
        ("limit", 40),
        ("resolve", "false"),
    ]
    min_id = cursor.state.get("min_id")
    if min_id:
        params.append(("min_id", str(min_id)))
    response = await http.request(
        "GET", f"{base}/api/v2/search", params=params, headers={"Authorization": f"Bearer {token}"}
    )
    data = response.json_object()
    statuses = data.get("statuses") or []
    if not isinstance(statuses, list):
        raise SourceError("mastodon: search answered without a statuses list", kind="bad_payload")
    items = tolerant(parse_statuses, statuses, None, now, host_of(str(job.source.get("instance") or "")))
    return FetchResult(items=items, cursor=_advanced(cursor, statuses, min_id))


async def fetch(job: FetchJob, cursor: Cursor, http: Any, ctx: Any, now: datetime) -> FetchResult:
    if job.source.get("mode") == "search":
        return await search(job, cursor, http, ctx, now)
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
    items = tolerant(parse_statuses, data, None, now, host_of(str(job.source.get("instance") or "")))
    return FetchResult(items=items, cursor=_advanced(cursor, data, min_id))
