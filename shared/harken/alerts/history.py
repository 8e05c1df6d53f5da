"""Reads a watch's mentions over a time range from the MentionsTable's ByWatch index (one month
bucket at a time, as the table is laid out). Takes the table resource; creates no client."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from harken.models import as_utc, iso


def months_between(start: datetime, end: datetime) -> list[str]:
    """The YYYY-MM buckets that [start, end) touches, oldest first."""
    start, end = as_utc(start), as_utc(end)
    out: list[str] = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def items_between(
    table: Any, watch_id: str, start: datetime, end: datetime, *, projection: list[str] | None = None
) -> Iterator[dict[str, Any]]:
    """Raw items of mentions of `watch_id` published in [start, end)."""
    from boto3.dynamodb.conditions import Key

    # sort_key is "<published ISO>#<id>": "<end ISO>#…" sorts above "<end ISO>", so `between`
    # over the bare timestamps is a half-open interval
    for month in months_between(start, end):
        kwargs: dict[str, Any] = {
            "IndexName": "ByWatch",
            "KeyConditionExpression": Key("watch_bucket").eq(f"{watch_id}#{month}")
            & Key("sort_key").between(iso(start), iso(end)),
        }
        if projection:
            kwargs["ProjectionExpression"] = ", ".join(f"#p{i}" for i in range(len(projection)))
            kwargs["ExpressionAttributeNames"] = {f"#p{i}": name for i, name in enumerate(projection)}
        while True:
            page = table.query(**kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
