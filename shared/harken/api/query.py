"""Query planning for GET /mentions and /stats: every filter combination is served by a DynamoDB
Query on one index, one month bucket at a time, newest first — never a Scan.

The index is picked from the filters (docs/data-model.md): a watch or the whole tenant, and at most
one of category / sentiment / status as part of the partition key; every other filter becomes a
FilterExpression on that Query. Pages are cut at `limit` items and resume after the last returned
item, so a page never skips or repeats an item however the filters thin the partition out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from harken.models import as_utc, iso
from harken.store.dynamo import month_of, search_form

# The partition-key attribute of each index (template.yaml MentionsTable).
INDEX_ATTR = {
    "ByWatch": "watch_bucket",
    "ByTenant": "tenant_bucket",
    "ByWatchCategory": "watch_category_bucket",
    "ByWatchSentiment": "watch_sentiment_bucket",
    "ByWatchStatus": "watch_status_bucket",
    "ByTenantCategory": "tenant_category_bucket",
    "ByTenantSentiment": "tenant_sentiment_bucket",
    "ByTenantStatus": "tenant_status_bucket",
}

# When several keyed filters are given, key on the one likely to match fewest mentions: most
# mentions are new, neutral and reputation, so a value other than those narrows more.
_COMMON = {"status": "new", "sentiment": "neutral", "category": "reputation"}
_KEYED = ("status", "sentiment", "category")

# Attribute that holds each filter's value on the stored item.
_FILTER_ATTR = {"category": "category", "sentiment": "sentiment_label", "status": "status"}


@dataclass(frozen=True)
class MentionFilters:
    watch_id: str | None = None
    category: str | None = None
    sentiment: str | None = None
    intent: str | None = None
    source: str | None = None
    language: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    q: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The filter set as the cursor signs it."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, datetime):
                value = iso(value)
            if value is not None:
                out[name] = value
        return out


@dataclass(frozen=True)
class Plan:
    index: str
    bucket_attr: str
    prefix: str  # the bucket is f"{prefix}#{month}"
    keyed_on: str | None  # the filter folded into the partition key, if any
    lower: str | None
    upper: str | None
    residual: tuple[str, ...]  # filters applied as a FilterExpression

    def bucket(self, month: str) -> str:
        return f"{self.prefix}#{month}"


def plan(tenant_id: str, f: MentionFilters) -> Plan:
    """The index, partition prefix, sort-key range and residual filters for a filter set."""
    scope = "Watch" if f.watch_id else "Tenant"
    owner = f.watch_id if f.watch_id else tenant_id
    given = [name for name in _KEYED if getattr(f, name)]
    keyed: str | None = None
    if given:
        rare = [name for name in given if getattr(f, name) != _COMMON[name]]
        keyed = (rare or given)[0]
    index = f"By{scope}{keyed.capitalize() if keyed else ''}"
    prefix = f"{owner}#{getattr(f, keyed)}" if keyed else owner
    residual = tuple(
        name
        for name in ("category", "sentiment", "status", "intent", "source", "language", "q")
        if getattr(f, name) and name != keyed
    )
    return Plan(
        index=index,
        bucket_attr=INDEX_ATTR[index],
        prefix=prefix,
        keyed_on=keyed,
        lower=iso(f.since) if f.since else None,
        # Sort keys are "<published>#<id>": "~" sorts after every id, so `until` is inclusive.
        upper=f"{iso(f.until)}#~" if f.until else None,
        residual=residual,
    )


def filter_expression(f: MentionFilters, residual: tuple[str, ...]) -> Any:
    """The FilterExpression for the filters the index key does not cover (None when none)."""
    from boto3.dynamodb.conditions import Attr

    expression: Any = None
    for name in residual:
        value = getattr(f, name)
        part: Any
        if name in _FILTER_ATTR:
            part = Attr(_FILTER_ATTR[name]).eq(value)
        elif name == "intent":
            part = Attr("intents").contains(value)
        elif name == "q":
            part = Attr("search_text").contains(search_form(str(value)))
        else:
            part = Attr(name).eq(value)
        expression = part if expression is None else expression & part
    return expression


def months_in_range(months: list[str], since: datetime | None, until: datetime | None) -> list[str]:
    """The registered month buckets (newest first) that can hold items in [since, until]."""
    low = month_of(as_utc(since)) if since else None
    high = month_of(as_utc(until)) if until else None
    return [m for m in months if (low is None or m >= low) and (high is None or m <= high)]


def index_key(item: dict[str, Any], p: Plan) -> dict[str, str]:
    """The ExclusiveStartKey that resumes a Query on the plan's index right after `item`."""
    return {"id": str(item["id"]), p.bucket_attr: str(item[p.bucket_attr]), "sort_key": str(item["sort_key"])}


@dataclass
class Page:
    items: list[dict[str, Any]]
    next: tuple[str, dict[str, str]] | None  # (month, key) to resume after, None at the end


def read_page(
    table: Any,
    p: Plan,
    months: list[str],
    *,
    limit: int,
    expression: Any = None,
    start: tuple[str, dict[str, str]] | None = None,
    tenant_id: str,
) -> Page:
    """Up to `limit` items newest first, reading month buckets in turn from `start`.

    Without residual filters each Query asks for one item more than the page still needs: the
    extra one tells whether another page exists without a second round trip, so DynamoDB reads
    at most limit + 1 items for a page of `limit`."""
    from boto3.dynamodb.conditions import Key

    taken: list[dict[str, Any]] = []
    more = False
    widen = 1
    last_month = ""
    if start is not None:
        months = [m for m in months if m <= start[0]]
    for month in months:
        start_key = start[1] if start is not None and month == start[0] else None
        while True:
            condition: Any = Key(p.bucket_attr).eq(p.bucket(month))
            if p.lower and p.upper:
                condition = condition & Key("sort_key").between(p.lower, p.upper)
            elif p.lower:
                condition = condition & Key("sort_key").gte(p.lower)
            elif p.upper:
                condition = condition & Key("sort_key").lte(p.upper)
            need = limit - len(taken) + 1
            kwargs: dict[str, Any] = {
                "IndexName": p.index,
                "KeyConditionExpression": condition,
                "ScanIndexForward": False,
                "Limit": need if expression is None else min(max(need * 2, 10) * widen, 1000),
            }
            if start_key:
                kwargs["ExclusiveStartKey"] = start_key
            if expression is not None:
                kwargs["FilterExpression"] = expression
            response = table.query(**kwargs)
            for item in response.get("Items", []):
                if item.get("tenant_id") != tenant_id:  # defence in depth: never another tenant's
                    continue
                if len(taken) == limit:
                    more = True
                    break
                taken.append(item)
                last_month = month
            if more:
                break
            # A FilterExpression applies after Limit: when a read found too few matches, read in
            # wider steps so that a sparse filter does not cost one round trip per match.
            widen = min(widen * 4, 64)
            start_key = response.get("LastEvaluatedKey")
            if not start_key:
                break
        if more:
            break
    if more and taken:
        return Page(items=taken, next=(last_month, index_key(taken[-1], p)))
    return Page(items=taken, next=None)
