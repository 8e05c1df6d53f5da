"""What DynamoDB does for each request, recorded with botocore event hooks on the repositories'
clients: never a Scan on a request path, every mention read is a Query on an index, and the main
filtered listings read at most two items per item they return."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from tests.integration.api.conftest import BASE, KEY_A, create_watch, make_mention, store


@dataclass
class Recorder:
    calls: list[dict[str, Any]] = field(default_factory=list)

    def params(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        self.calls.append(
            {"op": model.name, "table": params.get("TableName"), "index": params.get("IndexName")}
        )

    def after(self, model: Any, parsed: dict[str, Any], **_: Any) -> None:
        self.calls[-1].update(scanned=parsed.get("ScannedCount"), count=parsed.get("Count"))


@pytest.fixture
def recorder(api: Any) -> Iterator[Recorder]:
    from harken.api.deps import deps

    rec = Recorder()
    d = deps()
    clients = {id(t.meta.client): t.meta.client for t in (d.watches.table, d.mentions.table, d.state.table)}
    for client in clients.values():
        client.meta.events.register("provide-client-params.dynamodb", rec.params)
        client.meta.events.register("after-call.dynamodb", rec.after)
    yield rec
    for client in clients.values():
        client.meta.events.unregister("provide-client-params.dynamodb", rec.params)
        client.meta.events.unregister("after-call.dynamodb", rec.after)


def _seed(watch_id: str, count: int) -> None:
    categories = ("reputation", "crowd_marketing", "smm")
    sentiments = ("positive", "neutral", "negative")
    statuses = ("new", "in_progress", "handled", "ignored")
    store(
        [
            make_mention(
                watch_id,
                "tenant-a",
                n,
                published=BASE - n * timedelta(hours=5),
                category=categories[n % 3],
                sentiment=sentiments[(n // 3) % 3],
                status=statuses[(n // 9) % 4],
                intents=["question"] if n % 4 == 0 else [],
            )
            for n in range(count)
        ]
    )


def test_no_request_scans_and_mentions_are_read_by_query_on_an_index(api: Any, recorder: Recorder) -> None:
    watch = create_watch(api)
    wid = watch["id"]
    _seed(wid, 120)
    mention_id = make_mention(wid, "tenant-a", 3).id
    # a filtered listing goes through the index keyed on its filter
    api.request("GET", "/mentions", key=KEY_A, query={"watch_id": wid, "status": "handled"})
    assert {c["index"] for c in recorder.calls if c["op"] == "Query"} == {"ByWatchStatus"}
    requests: list[tuple[str, str, dict[str, Any] | None, Any]] = [
        ("GET", "/watches", None, None),
        ("GET", f"/watches/{wid}", None, None),
        ("GET", "/mentions", {"limit": 10}, None),
        ("GET", "/mentions", {"watch_id": wid, "category": "smm", "sentiment": "negative"}, None),
        (
            "GET",
            "/mentions",
            {"status": "handled", "intent": "question", "q": "acme", "source": "lemmy"},
            None,
        ),
        (
            "GET",
            "/mentions",
            {"language": "en", "since": "2026-02-01T00:00:00Z", "until": "2026-03-01T00:00:00Z"},
            None,
        ),
        ("GET", f"/mentions/{mention_id}", None, None),
        ("PATCH", f"/mentions/{mention_id}", None, {"status": "handled"}),
        (
            "GET",
            "/stats",
            {
                "watch_id": wid,
                "interval": "hour",
                "since": "2026-03-01T00:00:00Z",
                "until": "2026-03-10T00:00:00Z",
            },
            None,
        ),
        ("GET", "/stats", {"interval": "day", "since": "2026-01-01T00:00:00Z"}, None),
        ("POST", f"/watches/{wid}/poll", None, None),
        ("DELETE", f"/watches/{wid}", None, None),
    ]
    for method, path, query, body in requests:
        recorder.calls.clear()
        response = api.request(method, path, key=KEY_A, query=query, json_body=body)
        assert response.status < 300, (path, response.text)
        ops = {c["op"] for c in recorder.calls}
        assert "Scan" not in ops, (method, path, recorder.calls)
        for call in recorder.calls:
            if call["op"] == "Query" and call["table"] == "MentionsTable":
                assert call["index"], call


MAIN_FILTERS: list[dict[str, str]] = [
    {"category": "smm"},
    {"sentiment": "negative"},
    {"status": "in_progress"},
]


@pytest.mark.parametrize("scope", ["watch", "tenant"])
def test_main_filtered_listings_read_at_most_two_items_per_item_returned(
    api: Any, recorder: Recorder, scope: str
) -> None:
    watch = create_watch(api)
    _seed(watch["id"], 400)
    _seed(create_watch(api)["id"], 200)  # a second watch: tenant-wide listings see both
    for filters in MAIN_FILTERS:
        query: dict[str, Any] = dict(filters, limit=20)
        if scope == "watch":
            query["watch_id"] = watch["id"]
        recorder.calls.clear()
        returned, cursor = 0, None
        while True:
            page = api.request("GET", "/mentions", key=KEY_A, query={**query, "cursor": cursor}).json()
            returned += len(page["items"])
            cursor = page["next_cursor"]
            if not cursor:
                break
        scanned = sum(c["scanned"] or 0 for c in recorder.calls if c["op"] == "Query")
        assert returned > 0
        ratio = scanned / returned
        # the filter is the index key: a page of `limit` reads limit + 1 items
        assert ratio <= 2.0, (scope, filters, scanned, returned)
