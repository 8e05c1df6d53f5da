"""Stack Exchange API 2.3 `/2.3/search/advanced` (questions), one site per watch source.

Polls use `fromdate` = watermark minus an overlap (the bound is inclusive) and dedupe on
`question_id`. The wrapper's `backoff` makes later calls wait that many seconds; a throttle
error fails the job with `retry_after`. HARKEN_STACKEXCHANGE_KEY raises the daily quota."""

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
from harken.text import html_to_text, unescape_text

SOURCE = "stackexchange"
BASE = "https://api.stackexchange.com"


def parse_questions(data: Any, now: datetime, site: str) -> list[Item]:
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise SourceError("stackexchange: response has no items", kind="bad_payload")
    items: list[Item] = []
    for question in data["items"]:
        if not isinstance(question, dict) or not question.get("question_id"):
            continue
        owner = question.get("owner") or {}
        deleted = owner.get("user_type") == "does_not_exist"
        items.append(
            make_item(
                SOURCE,
                url=clean_url(question.get("link")) or f"https://{site}.com/q/{question['question_id']}",
                title=unescape_text(question.get("title")) or None,
                text=html_to_text(question.get("body")),
                author=None if deleted else clean_author(unescape_text(owner.get("display_name"))),
                published_at=parse_date(question.get("creation_date"), now),
                native_id=f"{site}:{question['question_id']}",
                community=site,
            )
        )
    return items


async def fetch(job: FetchJob, cursor: Cursor, http: Any, ctx: Any, now: datetime) -> FetchResult:
    site = str(job.source.get("site") or "stackoverflow")
    params: dict[str, Any] = {
        "site": site,
        "q": job.query,
        "sort": "creation",
        "order": "desc",
        "pagesize": 100,
        "filter": "withbody",
        "page": 1,
    }
    since = since_watermark(watermark_datetime(cursor), DEFAULT_OVERLAP_SECONDS)
    if since is not None:
        params["fromdate"] = int(since.timestamp())
    key = ctx.credential("HARKEN_STACKEXCHANGE_KEY")
    if key:
        params["key"] = key
    url = ctx.url(SOURCE, BASE, "/2.3/search/advanced")
    items: list[Item] = []
    for page_no in range(1, max(1, ctx.max_pages) + 1):
        params["page"] = page_no
        response = await http.request("GET", url, params=params, ok=(200, 400, 403))
        data = response.json_object()
        if data.get("backoff"):
            http.backoff(float(data["backoff"]))
        if data.get("error_id") or response.status != 200:
            name = str(data.get("error_name") or "")
            message = f"stackexchange: {name or response.status}: {data.get('error_message', '')}".strip()
            if name == "throttle_violation" or data.get("error_id") == 502:
                raise SourceError(
                    message, kind="rate_limited", retry_after=float(data.get("backoff") or 3600)
                )
            raise SourceError(message, kind="http_error")
        page = tolerant(parse_questions, data, "items", now, site)
        items.extend(page)
        if not data.get("has_more") or not all_new(page, cursor) or data.get("quota_remaining") == 0:
            break
    return FetchResult(items=items, cursor=cursor)
