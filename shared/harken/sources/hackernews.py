"""Hacker News through the Algolia search API: `/api/v1/search_by_date`, stories and comments,
time-filtered on `created_at_i` from the watermark (minus an overlap; `objectID` dedupes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from harken.models import Item
from harken.sources.base import (
    DEFAULT_OVERLAP_SECONDS,
    Cursor,
    FetchJob,
    FetchResult,
    SourceError,
    all_new,
    watermark_datetime,
)
from harken.sources.normalize import clean_author, clean_url, make_item, parse_date, since_watermark, tolerant
from harken.text import html_to_text

SOURCE = "hackernews"
BASE = "https://hn.algolia.com"
WEB = "https://news.ycombinator.com/item?id="


def parse_hits(data: Any, now: datetime) -> list[Item]:
    if not isinstance(data, dict) or not isinstance(data.get("hits"), list):
        raise SourceError("hackernews: response has no hits", kind="bad_payload")
    items: list[Item] = []
    for hit in data["hits"]:
        if not isinstance(hit, dict) or not hit.get("objectID"):
            continue
        object_id = str(hit["objectID"])
        tags = hit.get("_tags") or []
        is_comment = "comment" in tags or (hit.get("comment_text") and not hit.get("title"))
        if is_comment:
            title = None
            text = html_to_text(hit.get("comment_text"))
        else:
            title = html_to_text(hit.get("title")) or None
            text = html_to_text(hit.get("story_text"))
            link = clean_url(hit.get("url"))
            if link:
                text = f"{text}\n{link}".strip()
        items.append(
            make_item(
                SOURCE,
                url=WEB + object_id,
                title=title,
                text=text,
                author=clean_author(hit.get("author")),
                published_at=parse_date(hit.get("created_at_i") or hit.get("created_at"), now),
                native_id=object_id,
            )
        )
    return items


async def fetch(job: FetchJob, cursor: Cursor, http: Any, ctx: Any, now: datetime) -> FetchResult:
    params: dict[str, Any] = {"query": job.query, "tags": "(story,comment)", "hitsPerPage": 100, "page": 0}
    since = since_watermark(watermark_datetime(cursor), DEFAULT_OVERLAP_SECONDS)
    if since is not None:
        params["numericFilters"] = f"created_at_i>={int(since.timestamp())}"
    url = ctx.url(SOURCE, BASE, "/api/v1/search_by_date")
    items: list[Item] = []
    for page_no in range(max(1, ctx.max_pages)):
        params["page"] = page_no
        data = (await http.request("GET", url, params=params)).json()
        page = tolerant(parse_hits, data, "hits", now)
        items.extend(page)
        if page_no + 1 >= int(data.get("nbPages") or 0) or not all_new(page, cursor):
            break
    return FetchResult(items=items, cursor=cursor)
