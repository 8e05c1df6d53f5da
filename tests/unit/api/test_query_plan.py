"""Query planning: which index serves a filter set, and what is left for a FilterExpression."""

from __future__ import annotations

from datetime import UTC, datetime

from harken.api.query import MentionFilters, months_in_range, plan


def test_no_filter_reads_the_tenant_buckets() -> None:
    p = plan("t1", MentionFilters())
    assert (p.index, p.prefix, p.residual) == ("ByTenant", "t1", ())
    assert p.bucket("2026-03") == "t1#2026-03"


def test_a_watch_filter_reads_the_watch_buckets() -> None:
    p = plan("t1", MentionFilters(watch_id="w_1"))
    assert (p.index, p.bucket_attr, p.prefix) == ("ByWatch", "watch_bucket", "w_1")


def test_one_keyed_filter_goes_into_the_partition_key() -> None:
    for name, index in (("category", "Category"), ("sentiment", "Sentiment"), ("status", "Status")):
        value = {"category": "smm", "sentiment": "negative", "status": "handled"}[name]
        p = plan("t1", MentionFilters(watch_id="w_1", **{name: value}))
        assert (p.index, p.prefix, p.residual) == (f"ByWatch{index}", f"w_1#{value}", ())
        p = plan("t1", MentionFilters(**{name: value}))
        assert (p.index, p.bucket_attr, p.prefix) == (
            f"ByTenant{index}",
            f"tenant_{name}_bucket",
            f"t1#{value}",
        )


def test_with_several_keyed_filters_the_rarer_value_is_keyed() -> None:
    p = plan("t1", MentionFilters(category="reputation", sentiment="negative", status="new"))
    assert p.index == "ByTenantSentiment"
    assert p.residual == ("category", "status")
    p = plan("t1", MentionFilters(category="smm", sentiment="neutral", status="new"))
    assert p.index == "ByTenantCategory"


def test_other_filters_are_residual_and_times_bound_the_sort_key() -> None:
    since, until = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 9, 12, tzinfo=UTC)
    p = plan(
        "t1",
        MentionFilters(intent="question", source="reddit", language="de", q="x", since=since, until=until),
    )
    assert p.index == "ByTenant"
    assert p.residual == ("intent", "source", "language", "q")
    assert p.lower == "2026-03-01T00:00:00Z" and p.upper == "2026-03-09T12:00:00Z#~"


def test_months_outside_the_range_are_not_read() -> None:
    months = ["2026-04", "2026-03", "2026-02", "2025-12"]
    since, until = datetime(2026, 2, 15, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC)
    assert months_in_range(months, since, until) == ["2026-03", "2026-02"]
    assert months_in_range(months, None, None) == months
