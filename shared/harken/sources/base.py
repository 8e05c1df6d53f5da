"""The one small interface every source adapter implements: fetch what is new since a cursor,
return normalised items and the cursor to store once those items are safely queued."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from harken.models import Item

SEEN_MAX = 1000  # recent ids kept per cursor: enough to cover inclusive / late-indexed boundaries


@dataclass
class Cursor:
    """Where one (watch, source, query) job stands. Stored as JSON in the state table."""

    watermark: str | None = None  # newest published time (ISO) or source-native position
    seen: list[str] = field(default_factory=list)  # recent item ids, newest first
    etag: str | None = None
    last_modified: str | None = None
    state: dict[str, Any] = field(default_factory=dict)  # adapter-specific extras

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Cursor:
        if not data:
            return cls()
        known = {k: data[k] for k in ("watermark", "seen", "etag", "last_modified", "state") if k in data}
        return cls(**known)


@dataclass
class FetchJob:
    """One unit of fetching: a watch's source with one query. The scheduler emits these."""

    watch_id: str
    tenant_id: str
    source: dict[str, Any]  # the watch's SourceSpec as JSON
    query: str = ""  # the source-specific search string ("" for feeds / newest listings)
    terms: list[str] = field(default_factory=list)  # for sources filtered on our side

    @property
    def key(self) -> str:
        """Stable id of this job's cursor."""
        spec = "|".join(f"{k}={self.source[k]}" for k in sorted(self.source))
        digest = hashlib.sha256(f"{spec}\n{self.query}".encode()).hexdigest()[:16]
        return f"{self.watch_id}#{self.source.get('type')}#{digest}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FetchJob:
        return cls(
            watch_id=str(data["watch_id"]),
            tenant_id=str(data["tenant_id"]),
            source=dict(data["source"]),
            query=str(data.get("query", "")),
            terms=list(data.get("terms", [])),
        )


@dataclass
class FetchResult:
    items: list[Item]
    cursor: Cursor


class SourceError(Exception):
    """A source misbehaved (rate limit, 5xx, timeout, bad payload, unsafe redirect, too large).
    The job's cursor does not move; the job is retried later."""

    def __init__(self, message: str, *, kind: str = "error", retry_after: float | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retry_after = retry_after


class SourceSkipped(SourceError):
    """The source cannot run here (missing credentials): skipped with one log line, not retried hot."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind="skipped")


DEFAULT_OVERLAP_SECONDS = 6 * 3600  # how far behind the watermark late-indexed items are still taken


def item_key(item: Item) -> str:
    """The id a cursor remembers for an item: the source's own id, else its URL."""
    return item.native_id or item.url


def advance(
    cursor: Cursor,
    items: list[Item],
    *,
    now: datetime,
    overlap_seconds: float | None = DEFAULT_OVERLAP_SECONDS,
) -> tuple[list[Item], Cursor]:
    """Split what a source returned into the items not delivered before, and the cursor to store
    once they are queued: watermark = newest publication time seen (never in the future), seen =
    the ids of this response then the older ones, capped at SEEN_MAX.

    `overlap_seconds=None` turns the watermark filter off (feeds, sources with back-dated
    items) so only `seen` decides."""
    seen = set(cursor.seen)
    floor = _parse_watermark(cursor.watermark)
    if floor is not None and overlap_seconds is not None:
        floor -= timedelta(seconds=overlap_seconds)
    else:
        floor = None
    fresh: list[Item] = []
    batch_keys: list[str] = []
    batch_set: set[str] = set()  # (a list lookup made 40,000 items take 10 s)
    newest: datetime | None = None
    for item in sorted(items, key=lambda i: i.published_at, reverse=True):
        key = item_key(item)
        if key in batch_set:
            continue
        batch_keys.append(key)
        batch_set.add(key)
        if newest is None or item.published_at > newest:
            newest = item.published_at
        if key in seen:
            continue
        if floor is not None and item.published_at < floor:
            continue
        fresh.append(item)
    watermark = cursor.watermark
    if newest is not None:
        newest = min(newest, now)
        current = _parse_watermark(watermark)
        if current is None or newest > current:
            watermark = newest.strftime("%Y-%m-%dT%H:%M:%SZ")
    in_batch = set(batch_keys)
    merged = batch_keys + [k for k in cursor.seen if k not in in_batch]
    new_cursor = Cursor(
        watermark=watermark,
        seen=merged[:SEEN_MAX],
        etag=cursor.etag,
        last_modified=cursor.last_modified,
        state=dict(cursor.state),
    )
    return fresh, new_cursor


def _parse_watermark(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def watermark_datetime(cursor: Cursor) -> datetime | None:
    """The cursor's watermark as an aware datetime (None on a first poll or a garbage value)."""
    return _parse_watermark(cursor.watermark)


@dataclass
class JobOutcome:
    """What running one job produced: a result (new items + cursor to store) or an error."""

    job: FetchJob
    result: FetchResult | None = None
    error: SourceError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.result is not None


def all_new(items: list[Item], cursor: Cursor) -> bool:
    """True when nothing in `items` was seen before and none is older than the watermark: the
    adapter may be behind and should read the next page (only on later polls)."""
    if not items or not (cursor.seen or cursor.watermark):
        return False
    seen = set(cursor.seen)
    floor = _parse_watermark(cursor.watermark)
    return all(item_key(i) not in seen and (floor is None or i.published_at > floor) for i in items)
