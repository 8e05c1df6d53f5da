"""YouTube Data API v3 `search.list` (videos, newest first). Needs HARKEN_YOUTUBE_API_KEY; each
call costs a large share of the daily quota, so one page per poll, `publishedAfter` from the
watermark. A quota error fails the job until the quota resets (midnight Pacific time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from harken.models import Item
from harken.sources.base import (
    DEFAULT_OVERLAP_SECONDS,
    Cursor,
    FetchJob,
    FetchResult,
    SourceError,
    SourceSkipped,
    watermark_datetime,
)
from harken.sources.normalize import clean_author, make_item, parse_date, since_watermark, tolerant
from harken.text import unescape_text

SOURCE = "youtube"
BASE = "https://www.googleapis.com"


def parse_search(data: Any, now: datetime) -> list[Item]:
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise SourceError("youtube: response has no items", kind="bad_payload")
    items: list[Item] = []
    for result in data["items"]:
        if not isinstance(result, dict):
            continue
        video_id = (result.get("id") or {}).get("videoId")
        if not video_id:
            continue
        snippet = result.get("snippet") or {}
        items.append(
            make_item(
                SOURCE,
                url=f"https://www.youtube.com/watch?v={video_id}",
                title=unescape_text(snippet.get("title")) or None,
                text=unescape_text(snippet.get("description")),
                author=clean_author(unescape_text(snippet.get("channelTitle"))),
                published_at=parse_date(snippet.get("publishedAt") or snippet.get("publishTime"), now),
                native_id=str(video_id),
            )
        )
    return items


def _seconds_to_quota_reset(now: datetime) -> float:
    """The quota resets at midnight Pacific time (08:00 UTC, 07:00 in summer: take the later)."""
    reset = now.astimezone(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
    if reset <= now:
        reset += timedelta(days=1)
    return (reset - now).total_seconds()


async def fetch(job: FetchJob, cursor: Cursor, http: Any, ctx: Any, now: datetime) -> FetchResult:
    key = ctx.credential("HARKEN_YOUTUBE_API_KEY")
    if not key:
        raise SourceSkipped(
            "youtube: set HARKEN_YOUTUBE_API_KEY (a YouTube Data API v3 key) to search YouTube"
        )
    params: dict[str, Any] = {
        "part": "snippet",
        "q": job.query,
        "type": "video",
        "order": "date",
        "maxResults": 50,
        "key": key,
    }
    since = since_watermark(watermark_datetime(cursor), DEFAULT_OVERLAP_SECONDS)
    if since is not None:
        params["publishedAfter"] = since.strftime("%Y-%m-%dT%H:%M:%SZ")
    response = await http.request(
        "GET", ctx.url(SOURCE, BASE, "/youtube/v3/search"), params=params, ok=(200, 403)
    )
    data = response.json_object()
    if response.status == 403:
        reasons = {
            str(e.get("reason")) for e in (data.get("error") or {}).get("errors") or [] if isinstance(e, dict)
        }
        if reasons & {"quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded"}:
            wait = _seconds_to_quota_reset(now)
            raise SourceError("youtube: daily quota used up", kind="rate_limited", retry_after=wait)
        raise SourceError(
            f"youtube: request forbidden ({', '.join(sorted(reasons)) or 'no reason'})", kind="auth"
        )
    return FetchResult(items=tolerant(parse_search, data, "items", now), cursor=cursor)
