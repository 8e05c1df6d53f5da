"""Validation errors name the field; stats buckets and medians."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from harken.api import stats
from harken.api.errors import BadRequest, describe_validation_errors


def test_validation_errors_name_nested_fields_and_query_parameters() -> None:
    message, field, details = describe_validation_errors(
        [
            {
                "loc": ("body", "sources", 0, "rss", "url"),
                "msg": "must be an http(s) URL",
                "type": "value_error",
            },
            {"loc": ("query", "limit"), "msg": "Input should be greater than or equal to 1", "type": "x"},
        ]
    )
    assert field == "sources[0].rss.url"
    assert details[1]["field"] == "limit"
    assert message.startswith("sources[0].rss.url: must be") and "1 more" in message


def test_a_field_named_query_keeps_its_name() -> None:
    _, field, _ = describe_validation_errors(
        [{"loc": ("body", "query"), "msg": "Value error, bad", "type": "v"}]
    )
    assert field == "query"


def test_invalid_json_is_reported_on_the_body() -> None:
    message, field, _ = describe_validation_errors(
        [
            {
                "loc": ("body", 3),
                "msg": "JSON decode error",
                "type": "json_invalid",
                "ctx": {"error": "Expecting value"},
            }
        ]
    )
    assert field == "body" and "invalid JSON" in message


def test_stats_buckets_counts_and_median_time_to_handle() -> None:
    items = [
        {"sort_key": "2026-03-09T10:15:00Z#m_1", "sentiment_label": "negative", "category": "reputation",
         "status": "handled", "fetched_at": "2026-03-09T10:16:00Z", "handled_at": "2026-03-09T10:26:00Z"},
        {"sort_key": "2026-03-09T10:45:00Z#m_2", "sentiment_label": "neutral", "category": "smm", "status": "new"},
        {"sort_key": "2026-03-09T12:05:00Z#m_3", "sentiment_label": "negative", "category": "reputation",
         "status": "handled", "fetched_at": "2026-03-09T12:05:00Z", "handled_at": "2026-03-09T12:35:00Z"},
        {"sort_key": "2026-03-08T12:05:00Z#m_4", "sentiment_label": "negative", "category": "smm", "status": "new"},
    ]  # fmt: skip
    since, until = datetime(2026, 3, 9, 10, tzinfo=UTC), datetime(2026, 3, 9, 12, 59, tzinfo=UTC)
    out = stats.compute(items, interval="hour", since=since, until=until, watch_id=None)
    assert [b["start"] for b in out["buckets"]] == [
        "2026-03-09T10:00:00Z",
        "2026-03-09T11:00:00Z",
        "2026-03-09T12:00:00Z",
    ]
    assert [b["total"] for b in out["buckets"]] == [2, 0, 1]
    assert out["total"] == 3 and out["sentiment"]["negative"] == 2 and out["category"]["smm"] == 1
    assert out["handled"] == 2 and out["median_time_to_handle_seconds"] == 1200.0
    assert out["buckets"][0]["median_time_to_handle_seconds"] == 600.0


def test_stats_ranges_are_bounded() -> None:
    now = datetime(2026, 3, 9, tzinfo=UTC)
    with pytest.raises(BadRequest):
        stats.resolve_range("hour", datetime(2025, 1, 1, tzinfo=UTC), now, now)
    with pytest.raises(BadRequest):
        stats.resolve_range("day", now, datetime(2026, 3, 1, tzinfo=UTC), now)
    since, until = stats.resolve_range("day", None, None, now)
    assert (until - since).days == 30
