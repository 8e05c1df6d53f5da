"""GitHub issue and pull-request search: `GET /search/issues?q=<terms> created:>=<since>`.

HARKEN_GITHUB_TOKEN raises the search limit from 10 to 30 requests/min. A 403/429 with
`X-RateLimit-Remaining: 0` fails the job with the reset time as `retry_after`."""

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
from harken.sources.http import parse_retry_after
from harken.sources.normalize import clean_author, clean_url, make_item, parse_date, since_watermark, tolerant
from harken.text import markdown_to_text

SOURCE = "github"
BASE = "https://api.github.com"


def _repo(item: dict[str, Any]) -> str | None:
    repo_url = str(item.get("repository_url") or "")
    if "/repos/" in repo_url:
        return repo_url.split("/repos/", 1)[1].strip("/") or None
    return None


def parse_issues(data: Any, now: datetime) -> list[Item]:
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise SourceError("github: response has no items", kind="bad_payload")
    items: list[Item] = []
    for issue in data["items"]:
        if not isinstance(issue, dict) or not issue.get("html_url"):
            continue
        user = issue.get("user") or {}
        items.append(
            make_item(
                SOURCE,
                url=clean_url(issue["html_url"]),
                title=str(issue.get("title") or "") or None,
                text=markdown_to_text(issue.get("body")),
                author=clean_author(user.get("login")),
                published_at=parse_date(issue.get("created_at"), now),
                native_id=str(issue.get("id") or issue["html_url"]),
                community=_repo(issue),
            )
        )
    return items


async def fetch(job: FetchJob, cursor: Cursor, http: Any, ctx: Any, now: datetime) -> FetchResult:
    query = job.query
    since = since_watermark(watermark_datetime(cursor), DEFAULT_OVERLAP_SECONDS)
    if since is not None:
        query = f"{query} created:>={since.strftime('%Y-%m-%dT%H:%M:%SZ')}"
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    token = ctx.credential("HARKEN_GITHUB_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
        http.limit_key = "github_token"
    params: dict[str, Any] = {"q": query, "sort": "created", "order": "desc", "per_page": 100, "page": 1}
    url = ctx.url(SOURCE, BASE, "/search/issues")
    items: list[Item] = []
    for page_no in range(1, max(1, ctx.max_pages) + 1):
        params["page"] = page_no
        response = await http.request("GET", url, params=params, headers=headers, ok=(200, 403, 422))
        if response.status == 403:
            if response.headers.get("x-ratelimit-remaining") == "0" or "retry-after" in response.headers:
                wait = parse_retry_after(response.headers) or 60.0
                http.limiter().block_for(wait)
                raise SourceError(
                    f"github: search rate limit, retry after {wait:.0f}s",
                    kind="rate_limited",
                    retry_after=wait,
                )
            raise SourceError("github: search forbidden (check HARKEN_GITHUB_TOKEN)", kind="auth")
        if response.status == 422:
            raise SourceError("github: the search query was rejected (422)", kind="http_error")
        data = response.json_object()
        page = tolerant(parse_issues, data, "items", now)
        items.extend(page)
        if 'rel="next"' not in response.headers.get("link", "") or not all_new(page, cursor):
            break
    return FetchResult(items=items, cursor=cursor)
