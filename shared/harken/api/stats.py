"""GET /stats: counts by sentiment and category per hour or day, and the median time to handle.
Read with Queries on the watch's or tenant's month buckets over the time range, projecting only the
few attributes the counts need."""

from __future__ import annotations

import statistics
from datetime import UTC, datetime, timedelta
from typing import Any

from harken.api.errors import BadRequest
from harken.models import CATEGORIES, SENTIMENTS, STATUSES, iso

MAX_BUCKETS = 2000
MAX_ITEMS = 200_000
DEFAULT_SPAN = {"hour": timedelta(hours=48), "day": timedelta(days=30)}
STEP = {"hour": timedelta(hours=1), "day": timedelta(days=1)}


def floor_to(value: datetime, interval: str) -> datetime:
    value = value.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return value.replace(hour=0) if interval == "day" else value


def default_day_start(first_month: str, until: datetime) -> datetime:
    """The start of the first month with mentions ("2026-03"), or MAX_BUCKETS days before
    `until` if that is later."""
    year, month = (int(part) for part in first_month.split("-")[:2])
    start = datetime(year, month, 1, tzinfo=UTC)
    return max(start, floor_to(until, "day") - (MAX_BUCKETS - 1) * STEP["day"])


def resolve_range(
    interval: str, since: datetime | None, until: datetime | None, now: datetime
) -> tuple[datetime, datetime]:
    until = until or now
    since = since or until - DEFAULT_SPAN[interval]
    if since > until:
        raise BadRequest("since must not be after until", field="since")
    buckets = (floor_to(until, interval) - floor_to(since, interval)) // STEP[interval] + 1
    if buckets > MAX_BUCKETS:
        raise BadRequest(
            f"the range covers {buckets} {interval}s; at most {MAX_BUCKETS} buckets per request",
            field="since",
        )
    return since, until


def _median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def _parse(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def compute(
    items: list[dict[str, Any]], *, interval: str, since: datetime, until: datetime, watch_id: str | None
) -> dict[str, Any]:
    """The stats document from projected mention items (sort_key, sentiment_label, category,
    status, fetched_at, handled_at)."""
    step = STEP[interval]
    first = floor_to(since, interval)
    count = (floor_to(until, interval) - first) // step + 1
    buckets: list[dict[str, Any]] = [
        {
            "start": iso(first + i * step),
            "total": 0,
            "sentiment": dict.fromkeys(SENTIMENTS, 0),
            "category": dict.fromkeys(CATEGORIES, 0),
            "handled": 0,
            "_tth": [],
        }
        for i in range(count)
    ]
    totals_sentiment = dict.fromkeys(SENTIMENTS, 0)
    totals_category = dict.fromkeys(CATEGORIES, 0)
    totals_status = dict.fromkeys(STATUSES, 0)
    all_tth: list[float] = []
    total = 0
    for item in items:
        published = _parse(str(item.get("sort_key", "")).split("#", 1)[0])
        if published is None or published < since or published > until:
            continue
        index = (floor_to(published, interval) - first) // step
        if not 0 <= index < count:
            continue
        bucket = buckets[index]
        total += 1
        bucket["total"] += 1
        sentiment, category, status = item.get("sentiment_label"), item.get("category"), item.get("status")
        if sentiment in totals_sentiment:
            bucket["sentiment"][sentiment] += 1
            totals_sentiment[sentiment] += 1
        if category in totals_category:
            bucket["category"][category] += 1
            totals_category[category] += 1
        if status in totals_status:
            totals_status[status] += 1
        if status == "handled":
            bucket["handled"] += 1
            handled_at, fetched_at = _parse(item.get("handled_at")), _parse(item.get("fetched_at"))
            if handled_at and fetched_at:
                seconds = max(0.0, (handled_at - fetched_at).total_seconds())
                bucket["_tth"].append(seconds)
                all_tth.append(seconds)
    for bucket in buckets:
        bucket["median_time_to_handle_seconds"] = _median(bucket.pop("_tth"))
    return {
        "watch_id": watch_id,
        "interval": interval,
        "since": iso(since),
        "until": iso(until),
        "total": total,
        "sentiment": totals_sentiment,
        "category": totals_category,
        "status": totals_status,
        "handled": totals_status["handled"],
        "median_time_to_handle_seconds": _median(all_tth),
        "buckets": buckets,
    }


def read_items(
    table: Any, index: str, bucket_attr: str, prefix: str, months: list[str], lower: str, upper: str
):
    """Every mention in [lower, upper] of the owner's month buckets, projected for counting."""
    from boto3.dynamodb.conditions import Key

    out: list[dict[str, Any]] = []
    for month in months:
        kwargs: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": Key(bucket_attr).eq(f"{prefix}#{month}")
            & Key("sort_key").between(lower, upper),
            "ProjectionExpression": "sort_key, sentiment_label, category, #s, fetched_at, handled_at, tenant_id",
            "ExpressionAttributeNames": {"#s": "status"},
        }
        while True:
            response = table.query(**kwargs)
            out.extend(response.get("Items", []))
            if len(out) > MAX_ITEMS:
                raise BadRequest(
                    f"more than {MAX_ITEMS} mentions in range; narrow since/until", field="since"
                )
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
    return out
