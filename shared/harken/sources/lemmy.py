"""Lemmy search on one instance, posts and comments. The API version is detected once per
instance from its site endpoint: Lemmy 0.19 (API v3) answers `/api/v3/search?q=…&type_=All&sort=New`
with `posts[]`/`comments[]`; Lemmy 1.x (API v4) answers `/api/v4/search?search_term=…` with one
`search[]` list of views tagged by `type_`. `language_id` is mapped to a code through the site's
`all_languages` (cached per instance). Deleted or removed content is blanked by the server; the item
is kept with author None."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from harken.models import Item
from harken.sources.base import Cursor, FetchJob, FetchResult, SourceError
from harken.sources.http import single_flight
from harken.sources.mastodon import instance_base
from harken.sources.normalize import (
    clean_author,
    clean_language,
    clean_url,
    host_of,
    make_item,
    parse_date,
    skip_bad,
)
from harken.text import markdown_to_text

SOURCE = "lemmy"
DEFAULT_INSTANCE = "https://lemmy.world"


def _author(creator: dict[str, Any], deleted: bool) -> str | None:
    if deleted or creator.get("deleted"):
        return None
    name = clean_author(creator.get("name"))
    if name and not creator.get("local", True):
        host = host_of(creator.get("actor_id"))
        return f"{name}@{host}" if host else name
    return name


def _community(community: dict[str, Any]) -> str | None:
    name = community.get("name")
    if not name:
        return None
    host = host_of(community.get("actor_id"))
    return f"{name}@{host}" if host else str(name)


def _post_item(view: dict[str, Any], now: datetime, languages: dict[int, str]) -> Item | None:
    post = view.get("post") or {}
    if not post.get("ap_id"):
        return None
    gone = bool(post.get("deleted") or post.get("removed"))
    text = "" if gone else markdown_to_text(post.get("body"))
    link = clean_url(post.get("url"))
    if link and not gone:
        text = f"{text}\n{link}".strip()
    return make_item(
        SOURCE,
        url=clean_url(post["ap_id"]),
        title=None if gone else (str(post.get("name") or "") or None),
        text=text,
        author=_author(view.get("creator") or {}, gone),
        published_at=parse_date(post.get("published") or post.get("published_at"), now),
        native_id=str(post["ap_id"]),
        language=clean_language(languages.get(int(post.get("language_id") or 0))),
        community=_community(view.get("community") or {}),
    )


def _comment_item(view: dict[str, Any], now: datetime, languages: dict[int, str]) -> Item | None:
    comment = view.get("comment") or {}
    if not comment.get("ap_id"):
        return None
    gone = bool(comment.get("deleted") or comment.get("removed"))
    return make_item(
        SOURCE,
        url=clean_url(comment["ap_id"]),
        title=None,
        text="" if gone else markdown_to_text(comment.get("content")),
        author=_author(view.get("creator") or {}, gone),
        published_at=parse_date(comment.get("published") or comment.get("published_at"), now),
        native_id=str(comment["ap_id"]),
        language=clean_language(languages.get(int(comment.get("language_id") or 0))),
        community=_community(view.get("community") or {}),
    )


def parse_search(data: Any, now: datetime, languages: dict[int, str] | None = None) -> list[Item]:
    """Items of a v3 (`posts`/`comments`) or v4 (`search` of tagged views) search response."""
    if not isinstance(data, dict):
        raise SourceError("lemmy: unexpected search response", kind="bad_payload")
    languages = languages or {}
    if "search" in data:  # API v4
        views = data.get("search")
        if not isinstance(views, list):
            raise SourceError("lemmy: unexpected v4 search response", kind="bad_payload")
        posts = [v for v in views if isinstance(v, dict) and v.get("type_") == "post"]
        comments = [v for v in views if isinstance(v, dict) and v.get("type_") == "comment"]
    else:
        posts, comments = data.get("posts", []), data.get("comments") or []
        if not isinstance(posts, list) or not isinstance(comments, list):
            raise SourceError("lemmy: unexpected search response", kind="bad_payload")
    items = skip_bad(lambda v: _post_item(v, now, languages), posts or [], "lemmy")
    return items + skip_bad(lambda v: _comment_item(v, now, languages), comments, "lemmy")


def _api_version(site: dict[str, Any]) -> int:
    """4 for Lemmy 1.x and later, 3 for 0.19 and earlier (the site's `version`, e.g. "0.19.5")."""
    version = str(site.get("version") or "0")
    major = version.lstrip("v").split(".", 1)[0]
    return 4 if major.isdigit() and int(major) >= 1 else 3


async def _site(http: Any, ctx: Any, base: str, headers: dict[str, str]) -> tuple[int, dict[int, str]]:
    """(API version, language map) of an instance, asked once and cached. A 1.x instance may have
    dropped /api/v3, so a failed v3 site is asked again on v4."""
    key = f"lemmy_site:{base}"
    if key in ctx.cache:
        return ctx.cache[key]  # type: ignore[no-any-return]

    async def load() -> tuple[int, dict[int, str]]:
        data: dict[str, Any] | None = None
        version = 3
        for api in ("v3", "v4"):
            try:
                response = await http.request(
                    "GET", f"{base}/api/{api}/site", headers=headers, rate_limited=False
                )
                data = response.json_object()
            except SourceError:
                continue
            version = 4 if api == "v4" else _api_version(data)
            break
        if data is None:
            return 3, {}  # not cached: try again next time; the search itself says what is wrong
        languages: dict[int, str] = {}
        for lang in data.get("all_languages") or []:
            if isinstance(lang, dict) and isinstance(lang.get("id"), int) and lang.get("code"):
                languages[lang["id"]] = str(lang["code"])
        ctx.cache[key] = (version, languages)
        return version, languages

    return await single_flight(ctx, key, load)  # type: ignore[no-any-return]


async def fetch(job: FetchJob, cursor: Cursor, http: Any, ctx: Any, now: datetime) -> FetchResult:
    base = instance_base(job, ctx, SOURCE, DEFAULT_INSTANCE)
    headers = {}
    token = ctx.credential("HARKEN_LEMMY_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    version, languages = await _site(http, ctx, base, headers)
    if version >= 4:
        params: dict[str, Any] = {
            "search_term": job.query,
            "type_": "All",
            "sort": "New",
            "listing_type": "All",
            "limit": 50,
        }
    else:
        params = {
            "q": job.query,
            "type_": "All",
            "sort": "New",
            "listing_type": "All",
            "limit": 50,
            "page": 1,
        }
    # Pages until one reaches back to what the last poll saw (its watermark), up to max_pages:
    # more new posts than one page (50) lost the rest for good.
    floor = _watermark(cursor)
    items: list[Item] = []
    for _page in range(max(1, ctx.max_pages) if floor else 1):
        response = await http.request("GET", f"{base}/api/v{version}/search", params=params, headers=headers)
        data = response.json_object()
        page = parse_search(data, now, languages)
        items += page
        views = (
            data.get("search") if version >= 4 else (data.get("posts") or []) + (data.get("comments") or [])
        )
        full = isinstance(views, list) and len(views) >= params["limit"]
        if floor is None or not full or not page or min(i.published_at for i in page) < floor:
            break
        if version >= 4:
            next_page = data.get("next_page")
            if not isinstance(next_page, str) or not next_page:
                break
            params = {**params, "page_cursor": next_page}
        else:
            params = {**params, "page": int(params["page"]) + 1}
    return FetchResult(items=items, cursor=cursor)


def _watermark(cursor: Cursor) -> datetime | None:
    if not cursor.watermark:
        return None
    try:
        return datetime.fromisoformat(cursor.watermark.replace("Z", "+00:00"))
    except ValueError:
        return None
