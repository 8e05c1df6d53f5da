"""GET /mentions, GET/PATCH /mentions/{id}: filters, newest first, signed cursors, workflow."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.integration.api.conftest import BASE, KEY_A, KEY_B, create_watch, make_mention, store


def _all_pages(api: Any, key: str, query: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(500):
        response = api.request("GET", "/mentions", key=key, query={**query, "cursor": cursor})
        assert response.status == 200, response.text
        page = response.json()
        assert len(page["items"]) <= query.get("limit", 50)
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


def _seed_varied(watch_id: str, tenant: str, count: int, *, months: int = 3) -> list[Any]:
    categories = ("reputation", "crowd_marketing", "smm")
    sentiments = ("positive", "neutral", "negative")
    statuses = ("new", "in_progress", "handled", "ignored")
    step = timedelta(days=30 * months) / count
    mentions = [
        make_mention(
            watch_id,
            tenant,
            n,
            published=BASE - n * step,
            category=categories[n % 3],
            sentiment=sentiments[(n // 3) % 3],
            status=statuses[n % 4],
            intents=["question"] if n % 5 == 0 else ["complaint"],
            source="reddit" if n % 2 else "hackernews",
            language="de" if n % 7 == 0 else "en",
            text=f"Acme Cloud item {n}" + (" backup went down" if n % 6 == 0 else ""),
        )
        for n in range(count)
    ]
    store(mentions)
    return mentions


def test_mentions_are_newest_first_with_the_contract_shape(api: Any) -> None:
    watch = create_watch(api)
    _seed_varied(watch["id"], "tenant-a", 30)
    page = api.request("GET", "/mentions", key=KEY_A, query={"watch_id": watch["id"]}).json()
    stamps = [m["published_at"] for m in page["items"]]
    assert stamps == sorted(stamps, reverse=True) and len(stamps) == 30
    first = page["items"][0]
    assert first["id"].startswith("m_") and first["watch_id"] == watch["id"]
    for field in (
        "source",
        "url",
        "title",
        "text",
        "author",
        "published_at",
        "fetched_at",
        "language",
        "matches",
        "category",
        "sentiment",
        "intents",
        "status",
        "note",
        "assignee",
    ):
        assert field in first
    assert page["next_cursor"] is None


def test_1000_mentions_paged_by_37_come_back_once_each_in_order(api: Any) -> None:
    watch = create_watch(api)
    mentions = _seed_varied(watch["id"], "tenant-a", 1000, months=4)
    expected = [m.id for m in sorted(mentions, key=lambda m: (m.published_at, m.id), reverse=True)]
    got = [m["id"] for m in _all_pages(api, KEY_A, {"limit": 37})]
    assert got == expected
    got = [m["id"] for m in _all_pages(api, KEY_A, {"limit": 37, "watch_id": watch["id"]})]
    assert got == expected
    negatives = [
        m.id
        for m in sorted(mentions, key=lambda m: (m.published_at, m.id), reverse=True)
        if m.sentiment.label == "negative" and m.category == "smm"
    ]
    got = [m["id"] for m in _all_pages(api, KEY_A, {"limit": 37, "sentiment": "negative", "category": "smm"})]
    assert got == negatives


def test_every_filter_and_combinations_match_a_reference(api: Any) -> None:
    watch = create_watch(api)
    other = create_watch(api)
    mentions = _seed_varied(watch["id"], "tenant-a", 240) + _seed_varied(other["id"], "tenant-a", 60)
    since, until = BASE - timedelta(days=50), BASE - timedelta(days=10)

    def reference(**f: Any) -> list[str]:
        out = []
        for m in mentions:
            if f.get("watch_id") and m.watch_id != f["watch_id"]:
                continue
            if f.get("category") and m.category != f["category"]:
                continue
            if f.get("sentiment") and m.sentiment.label != f["sentiment"]:
                continue
            if f.get("status") and m.status != f["status"]:
                continue
            if f.get("intent") and f["intent"] not in m.intents:
                continue
            if f.get("source") and m.source != f["source"]:
                continue
            if f.get("language") and m.language != f["language"]:
                continue
            if f.get("q") and f["q"].casefold() not in f"{m.title}\n{m.text}".casefold():
                continue
            if f.get("since") and m.published_at < since:
                continue
            if f.get("until") and m.published_at > until:
                continue
            out.append(m)
        return [m.id for m in sorted(out, key=lambda m: (m.published_at, m.id), reverse=True)]

    wid = watch["id"]
    cases: list[dict[str, Any]] = [
        {"watch_id": wid},
        {"category": "crowd_marketing"},
        {"watch_id": wid, "category": "smm"},
        {"watch_id": wid, "sentiment": "negative"},
        {"watch_id": wid, "status": "handled"},
        {"sentiment": "positive"},
        {"status": "in_progress"},
        {"intent": "question"},
        {"source": "reddit"},
        {"language": "de"},
        {"q": "WENT DOWN"},
        {"since": True},
        {"until": True},
        {"since": True, "until": True, "watch_id": wid},
        {"watch_id": wid, "category": "reputation", "sentiment": "negative", "status": "new"},
        {"category": "smm", "sentiment": "neutral", "intent": "complaint", "source": "hackernews"},
        {"watch_id": wid, "q": "backup", "language": "en", "since": True},
    ]
    for case in cases:
        query = dict(case)
        if query.get("since"):
            query["since"] = since.isoformat().replace("+00:00", "Z")
        if query.get("until"):
            query["until"] = until.isoformat()
        got = [m["id"] for m in _all_pages(api, KEY_A, {**query, "limit": 23})]
        assert got == reference(**case), case


def test_a_tampered_or_foreign_cursor_is_400(api: Any) -> None:
    watch = create_watch(api)
    _seed_varied(watch["id"], "tenant-a", 20)
    _seed_varied(create_watch(api, KEY_B)["id"], "tenant-b", 20)
    cursor = api.request("GET", "/mentions", key=KEY_A, query={"limit": 5}).json()["next_cursor"]
    assert cursor
    body, mac = cursor.split(".")
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    for bad in (f"{flipped}.{mac}", f"{body}.{mac[:-1]}x", "garbage", cursor + "x"):
        response = api.request("GET", "/mentions", key=KEY_A, query={"limit": 5, "cursor": bad})
        assert response.status == 400, bad
        assert response.json()["error"]["field"] == "cursor"
    # another tenant replaying it
    response = api.request("GET", "/mentions", key=KEY_B, query={"limit": 5, "cursor": cursor})
    assert response.status == 400
    # the same tenant with other filters
    response = api.request(
        "GET", "/mentions", key=KEY_A, query={"limit": 5, "cursor": cursor, "status": "new"}
    )
    assert response.status == 400
    # changing only the page size is fine
    assert api.request("GET", "/mentions", key=KEY_A, query={"limit": 7, "cursor": cursor}).status == 200


def test_bad_query_parameters_are_400_naming_the_field(api: Any) -> None:
    cases = [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"since": "notadate"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"category": "gossip"}, "category"),
        ({"sentiment": "angry"}, "sentiment"),
        ({"intent": "nope"}, "intent"),
        ({"status": "done"}, "status"),
        ({"since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"}, "since"),
        ({"source": "myspace"}, "source"),  # was 200 with no items
        ({"language": "english"}, "language"),
    ]
    for query, field in cases:
        response = api.request("GET", "/mentions", key=KEY_A, query=query)
        assert response.status == 400, (query, response.text)
        error = response.json()["error"]
        assert error["field"] == field and error["message"], (query, error)


def test_concurrent_patches_keep_both_changes(api: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two people handle one mention at once: a change saved between this PATCH's read and its
    write is not overwritten; this PATCH is applied on top of it."""
    from harken.api.deps import deps
    from harken.api.workflow import apply_patch
    from harken.models import utcnow
    from harken.store.dynamo import MentionRepo

    watch = create_watch(api)
    (mention,) = _seed_varied(watch["id"], "tenant-a", 1)
    repo = deps().mentions
    read = MentionRepo.get_for_update
    raced: list[bool] = []

    def read_then_race(self: Any, mention_id: str) -> Any:
        got, revision = read(self, mention_id)
        if not raced:  # a colleague saves their note right after our read
            raced.append(True)
            theirs = apply_patch(got, {"note": "called the customer"}, now=utcnow(), actor="colleague")
            assert repo.replace(theirs, revision=revision)
        return got, revision

    monkeypatch.setattr(MentionRepo, "get_for_update", read_then_race)
    response = api.request("PATCH", f"/mentions/{mention.id}", key=KEY_A, json_body={"status": "handled"})
    assert response.status == 200, response.text
    body = response.json()
    assert body["status"] == "handled" and body["note"] == "called the customer"
    assert [(h["field"], h["to"]) for h in body["history"]] == [
        ("note", "called the customer"),
        ("status", "handled"),
    ]
    stored = api.request("GET", f"/mentions/{mention.id}", key=KEY_A).json()
    assert stored["note"] == "called the customer" and stored["status"] == "handled"


def test_patch_workflow_records_history_and_time_to_handle(api: Any) -> None:
    watch = create_watch(api)
    (mention,) = _seed_varied(watch["id"], "tenant-a", 1)
    path = f"/mentions/{mention.id}"
    response = api.request("PATCH", path, key=KEY_A, json_body={"status": "in_progress", "assignee": "jane"})
    assert response.status == 200, response.text
    assert response.json()["status"] == "in_progress" and response.json()["handled_at"] is None
    response = api.request("PATCH", path, key=KEY_A, json_body={"status": "handled", "note": "refunded"})
    done = response.json()
    assert done["status"] == "handled" and done["note"] == "refunded" and done["assignee"] == "jane"
    assert done["handled_at"] and done["time_to_handle_seconds"] > 0
    changes = [(h["field"], h["from"], h["to"]) for h in done["history"]]
    assert changes == [
        ("status", "new", "in_progress"),
        ("assignee", None, "jane"),
        ("status", "in_progress", "handled"),
        ("note", None, "refunded"),
    ]
    assert api.request("GET", path, key=KEY_A).json()["history"] == done["history"]
    # the status index follows the change
    handled = api.request("GET", "/mentions", key=KEY_A, query={"status": "handled"}).json()["items"]
    assert [m["id"] for m in handled] == [mention.id]
    assert api.request("GET", "/mentions", key=KEY_A, query={"status": "new"}).json()["items"] == []


def test_bad_patches_are_rejected(api: Any) -> None:
    watch = create_watch(api)
    (mention,) = _seed_varied(watch["id"], "tenant-a", 1)
    path = f"/mentions/{mention.id}"
    for body, field in (({"status": "done"}, "status"), ({}, None), ({"colour": "red"}, "colour")):
        response = api.request("PATCH", path, key=KEY_A, json_body=body)
        assert response.status in (400, 422), body
        if field:
            assert response.json()["error"]["field"] == field
    assert (
        api.request("PATCH", "/mentions/m_missing", key=KEY_A, json_body={"status": "handled"}).status == 404
    )


def test_another_tenant_never_sees_or_handles_a_mention(api: Any) -> None:
    watch = create_watch(api)
    mentions = _seed_varied(watch["id"], "tenant-a", 10)
    path = f"/mentions/{mentions[0].id}"
    assert api.request("GET", path, key=KEY_B).status == 404
    assert api.request("PATCH", path, key=KEY_B, json_body={"status": "handled"}).status == 404
    assert api.request("GET", "/mentions", key=KEY_B).json() == {"items": [], "next_cursor": None}
    assert api.request("GET", "/mentions", key=KEY_B, query={"watch_id": watch["id"]}).status == 404
    assert api.request("GET", "/stats", key=KEY_B, query={"watch_id": watch["id"]}).status == 404
    assert api.request("GET", "/stats", key=KEY_B).json()["total"] == 0
    assert api.request("GET", path, key=KEY_A).json()["status"] == "new"


def test_missing_or_wrong_key_is_rejected_on_every_route(api: Any) -> None:
    routes = [
        ("GET", "/watches"),
        ("POST", "/watches"),
        ("GET", "/watches/w_x"),
        ("PUT", "/watches/w_x"),
        ("DELETE", "/watches/w_x"),
        ("POST", "/watches/w_x/poll"),
        ("GET", "/mentions"),
        ("GET", "/mentions/m_x"),
        ("PATCH", "/mentions/m_x"),
        ("GET", "/stats"),
    ]
    for method, path in routes:
        assert api.request(method, path).status == 401, path
        wrong = api.request(method, path, key="not-a-key")
        assert wrong.status == 403 and wrong.json()["error"]["code"] == "forbidden", path


def test_api_function_refuses_an_event_without_a_tenant(api: Any) -> None:
    from tests.integration.api.gateway import build_event

    response = api.api.handler(build_event("GET", "/mentions"), None)
    assert response["statusCode"] == 401


def test_unknown_route_is_a_json_404(api: Any) -> None:
    response = api.request("GET", "/nothing/here", key=KEY_A)
    assert response.status == 404 and response.json()["error"]["code"] == "not_found"


def test_stats_by_day_default_to_the_whole_history(api: Any) -> None:
    """Mentions published months ago (a quiet brand, or a feed's history) were outside the
    default 30 days, so /stats without `since` said 0."""
    watch = create_watch(api)
    mentions = _seed_varied(watch["id"], "tenant-a", 6)  # published in March 2026
    stats = api.request("GET", "/stats", key=KEY_A, query={"watch_id": watch["id"]}).json()
    assert stats["total"] == len(mentions)
    hourly = api.request(
        "GET", "/stats", key=KEY_A, query={"watch_id": watch["id"], "interval": "hour"}
    ).json()
    assert len(hourly["buckets"]) <= 49  # by hour the default stays the last 48 hours
