"""Request and response bodies of the HTTP API (DESIGN.md §4). The OpenAPI document is generated
from these models, and responses are validated against them."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from harken.models import (
    Category,
    Intent,
    Match,
    Sentiment,
    SentimentLabel,
    SourceSpec,
    Status,
    WatchDoc,
    WatchIn,
)

MAX_BODY_BYTES = 256 * 1024

_ISO_START = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_8601_only(value: Any) -> Any:
    # pydantic would also take "0.0" or 1700000000 as Unix time; the contract says ISO 8601.
    # An empty parameter (`?since=`) means absent.
    if value is None or isinstance(value, datetime) or value == "":
        return None if value == "" else value
    if not isinstance(value, str) or not _ISO_START.match(value.strip()):
        raise ValueError("must be an ISO 8601 date-time, e.g. 2026-03-09T06:12:41Z")
    return value.strip()


IsoDateTime = Annotated[
    datetime | None,
    BeforeValidator(_iso_8601_only),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "maxLength": 0}]}
    ),
]
SECRET_MASK = "********"


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str
    type: str


class ErrorInfo(BaseModel):
    code: str
    message: str
    field: str | None = None
    details: list[ErrorDetail] | None = None


class ErrorResponse(BaseModel):
    """Every 4xx / 5xx the API itself produces."""

    error: ErrorInfo


class Health(BaseModel):
    status: Literal["ok"]


class WatchBody(WatchDoc):
    """The body of POST and PUT /watches: a watch as `harken classify` takes it, plus at least one
    source (a deployed watch that reads nothing would never find anything). A webhook secret sent
    back as the mask the API shows (`********`) keeps the stored secret."""

    sources: list[SourceSpec] = Field(min_length=1, max_length=50, description="at least one source")


class WatchOut(WatchIn):
    """A stored watch as the API shows it (webhook secrets masked)."""

    model_config = ConfigDict(extra="allow")

    id: str = Field(pattern=r"^w_")
    created_at: datetime
    updated_at: datetime


class WatchList(BaseModel):
    items: list[WatchOut]


class PollAccepted(BaseModel):
    watch_id: str
    jobs: int = Field(description="fetch jobs queued for the fetcher")


class MentionOut(BaseModel):
    """One stored mention (DESIGN.md §4) with its handling workflow."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    id: str = Field(pattern=r"^m_")
    watch_id: str
    source: str
    url: str
    title: str | None = None
    text: str
    author: str | None = None
    published_at: str
    fetched_at: str
    language: str | None = None
    community: str | None = None
    matches: list[Match]
    category: Category
    sentiment: Sentiment
    intents: list[Intent]
    status: Status
    note: str | None = None
    assignee: str | None = None
    handled_at: str | None = None
    time_to_handle_seconds: float | None = Field(
        default=None, description="from detection (fetched_at) to handled_at"
    )
    history: list[dict[str, Any]] = Field(default_factory=list)


class MentionPage(BaseModel):
    items: list[MentionOut]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last one")


def _never_null(schema: dict[str, Any]) -> None:
    """An optional field that may not be null: its JSON schema drops the null alternative."""
    options = [o for o in schema.pop("anyOf", []) if o.get("type") != "null"]
    if len(options) == 1:
        schema.update(options[0])
    elif options:
        schema["anyOf"] = options


class MentionPatch(BaseModel):
    """The handling workflow: move a mention through new → in_progress → handled | ignored, with a
    note and an assignee. Absent fields stay as they are; null clears a note or an assignee."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: Status | None = Field(default=None, json_schema_extra=_never_null)  # optional, not nullable
    note: str | None = Field(default=None, max_length=5000)
    assignee: str | None = Field(default=None, max_length=200)

    @field_validator("status", mode="before")
    @classmethod
    def _status_not_null(cls, v: Any) -> Any:
        if v is None:
            raise ValueError("status cannot be null (one of new, in_progress, handled, ignored)")
        return v

    @model_validator(mode="after")
    def _something_to_change(self) -> MentionPatch:
        if not self.model_fields_set:
            raise ValueError("give at least one of status, note, assignee")
        return self


class CountsBySentiment(BaseModel):
    positive: int = 0
    neutral: int = 0
    negative: int = 0


class CountsByCategory(BaseModel):
    reputation: int = 0
    crowd_marketing: int = 0
    smm: int = 0


class StatsBucket(BaseModel):
    start: str
    total: int
    sentiment: CountsBySentiment
    category: CountsByCategory
    handled: int
    median_time_to_handle_seconds: float | None


class Stats(BaseModel):
    watch_id: str | None
    interval: Literal["hour", "day"]
    since: str
    until: str
    total: int
    sentiment: CountsBySentiment
    category: CountsByCategory
    status: dict[str, int]
    handled: int
    median_time_to_handle_seconds: float | None = Field(
        description="median of handled_at - fetched_at over the handled mentions in range"
    )
    buckets: list[StatsBucket]


__all__ = [
    "MAX_BODY_BYTES",
    "SECRET_MASK",
    "ErrorResponse",
    "Health",
    "MentionOut",
    "MentionPage",
    "MentionPatch",
    "PollAccepted",
    "SentimentLabel",
    "Stats",
    "WatchBody",
    "WatchList",
    "WatchOut",
]
