"""Lobsters newest stories (`/newest.json`, 25 per page). There is no JSON search, so stories are
filtered here on the job's terms before they are handed to the classifier."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from harken.models import Item
from harken.sources.base import Cursor, FetchJob, FetchResult, SourceError, all_new
from harken.sources.normalize import clean_author, clean_url, make_item, mentions_any, parse_date, tolerant
from harken.text import html_to_text

SOURCE = "lobsters"
BASE = "https://lobste.rs"


def parse_stories(data: Any, now: datetime) -> list[Item]:
    if not isinstance(data, list):
        raise SourceError("lobsters: expected a list of stories", kind="bad_payload")
    items: list[Item] = []
    for story in data:
        if not isinstance(story, dict) or not story.get("short_id"):
            continue
        short_id = str(story["short_id"])
        text = html_to_text(story.get("description"))
        link = clean_url(story.get("url"))
        if link:
            text = f"{text}\n{link}".strip()
        items.append(
            make_item(
                SOURCE,
                url=clean_url(story.get("short_id_url")) or f"https://lobste.rs/s/{short_id}",
                title=html_to_text(story.get("title")) or None,
                text=text,
                author=clean_author(story.get("submitter_user")),
                published_at=parse_date(story.get("created_at"), now),
                native_id=short_id,
            )
        )
    return items


async def fetch(job: FetchJob, cursor: Cursor, http: Any, ctx: Any, now: datetime) -> FetchResult:
    items: list[Item] = []
    for page_no in range(1, max(1, ctx.max_pages) + 1):
        path = "/newest.json" if page_no == 1 else f"/newest/page/{page_no}.json"
        page = tolerant(
            parse_stories, (await http.request("GET", ctx.url(SOURCE, BASE, path))).json(), None, now
        )
        items.extend(page)
        if not all_new(page, cursor):
            break
    wanted = [i for i in items if mentions_any(f"{i.title or ''}\n{i.text}", job.terms)]
    return FetchResult(items=wanted, cursor=cursor)
