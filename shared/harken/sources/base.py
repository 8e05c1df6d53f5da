"""The one small interface every source adapter implements: fetch what is new since a cursor,
return normalised items and the cursor to store once those items are safely queued."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
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
            watch_id=str(data["watch_id"]), tenant_id=str(data["tenant_id"]),
            source=dict(data["source"]), query=str(data.get("query", "")),
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
