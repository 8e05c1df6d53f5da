"""Lemmy 0.19 (API v3) search on one instance: `/api/v3/search?q=…&type_=All&sort=New`, posts
and comments. `language_id` is mapped to a code through `/api/v3/site` (cached per instance).
Deleted or removed content is blanked by the server; the item is kept with author None."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from harken.models import Item
from harken.sources.base import Cursor, FetchJob, FetchResult, SourceError
from harken.sources.http import single_flight
from harken.sources.mastodon import instance_base
from harken.sources.normalize import clean_author, clean_language, clean_url, host_of, make_item, parse_date
from harken.text import markdown_to_text

SOURCE = "lemmy"


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


def parse_search(data: Any, now: datetime, languages: dict[int, str] | None = None) -> list[Item]:
    if not isinstance(data, dict) or not isinstance(data.get("posts", []), list):
        raise SourceError("lemmy: unexpected search response", kind="bad_payload")
    languages = languages or {}
    items: list[Item] = []
    for view in data.get("posts") or []:
        post = view.get("post") or {}
        if not post.get("ap_id"):
            continue
        gone = bool(post.get("deleted") or post.get("removed"))
        text = "" if gone else markdown_to_text(post.get("body"))
        link = clean_url(post.get("url"))
        if link and not gone:
            text = f"{text}\n{link}".strip()
        items.append(
            make_item(
                SOURCE,
                url=clean_url(post["ap_id"]),
                title=None if gone else (str(post.get("name") or "") or None),
                text=text,
                author=_author(view.get("creator") or {}, gone),
                published_at=parse_date(post.get("published"), now),
                native_id=str(post["ap_id"]),
                language=clean_language(languages.get(int(post.get("language_id") or 0))),
                community=_community(view.get("community") or {}),
            )
        )
    for view in data.get("comments") or []:
        comment = view.get("comment") or {}
        if not comment.get("ap_id"):
            continue
        gone = bool(comment.get("deleted") or comment.get("removed"))
        items.append(
            make_item(
                SOURCE,
                url=clean_url(comment["ap_id"]),
                title=None,
                text="" if gone else markdown_to_text(comment.get("content")),
                author=_author(view.get("creator") or {}, gone),
                published_at=parse_date(comment.get("published"), now),
                native_id=str(comment["ap_id"]),
                language=clean_language(languages.get(int(comment.get("language_id") or 0))),
                community=_community(view.get("community") or {}),
            )
        )
    return items


async def _languages(http: Any, ctx: Any, base: str) -> dict[int, str]:
    key = f"lemmy_languages:{base}"
    if key in ctx.cache:
        return dict(ctx.cache[key])

    async def load() -> dict[int, str]:
        languages: dict[int, str] = {}
        try:
            response = await http.request("GET", f"{base}/api/v3/site", rate_limited=False)
            data = response.json_object()
        except SourceError:
            return {}  # language is a nicety: never fail the search for it, try again next time
        for lang in data.get("all_languages") or []:
            if isinstance(lang, dict) and isinstance(lang.get("id"), int) and lang.get("code"):
                languages[lang["id"]] = str(lang["code"])
        ctx.cache[key] = languages
        return languages

    return dict(await single_flight(ctx, key, load))


async def fetch(job: FetchJob, cursor: Cursor, http: Any, ctx: Any, now: datetime) -> FetchResult:
    base = instance_base(job, ctx)
    headers = {}
    token = ctx.credential("HARKEN_LEMMY_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    params = {"q": job.query, "type_": "All", "sort": "New", "listing_type": "All", "limit": 50, "page": 1}
    response = await http.request("GET", f"{base}/api/v3/search", params=params, headers=headers)
    data = response.json_object()
    languages = await _languages(http, ctx, base)
    return FetchResult(items=parse_search(data, now, languages), cursor=cursor)
