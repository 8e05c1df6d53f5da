"""Watches over HTTP: CRUD, validation naming the field, write-only secrets, poll."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.api.conftest import KEY_A, KEY_B, WATCH, create_watch


def test_health_needs_no_key(api: Any) -> None:
    response = api.request("GET", "/health")
    assert (response.status, response.json()) == (200, {"status": "ok"})


def test_created_watch_is_stored_with_an_id_and_listed(api: Any) -> None:
    watch = create_watch(api)
    assert watch["id"].startswith("w_") and watch["name"] == "Acme Cloud"
    assert api.request("GET", f"/watches/{watch['id']}", key=KEY_A).json()["id"] == watch["id"]
    listed = api.request("GET", "/watches", key=KEY_A).json()["items"]
    assert [w["id"] for w in listed] == [watch["id"]]


def test_webhook_secrets_are_write_only(api: Any) -> None:
    watch = create_watch(api)
    text = api.request("GET", f"/watches/{watch['id']}", key=KEY_A).text + json.dumps(watch)
    assert "s3cret" not in text
    assert watch["alerts"]["webhooks"][0]["secret"] == "********"


def test_put_with_the_masked_secret_keeps_the_stored_one(api: Any) -> None:
    from harken.api.deps import deps

    watch = create_watch(api)
    body = {k: v for k, v in watch.items() if k not in ("id", "created_at", "updated_at")}
    body["name"] = "Renamed"
    response = api.request("PUT", f"/watches/{watch['id']}", key=KEY_A, json_body=body)
    assert response.status == 200, response.text
    assert response.json()["name"] == "Renamed" and response.json()["created_at"] == watch["created_at"]
    stored = deps().watches.get("tenant-a", watch["id"])
    assert stored is not None and stored.alerts.webhooks[0].secret == "s3cret"


def test_delete_then_read_is_404(api: Any) -> None:
    watch = create_watch(api)
    assert api.request("DELETE", f"/watches/{watch['id']}", key=KEY_A).status == 204
    assert api.request("GET", f"/watches/{watch['id']}", key=KEY_A).status == 404
    assert api.request("DELETE", f"/watches/{watch['id']}", key=KEY_A).status == 404


def test_watch_without_sources_is_rejected_naming_sources(api: Any) -> None:
    for sources in ([], None):
        body = dict(WATCH)
        if sources is None:
            body.pop("sources")
        else:
            body["sources"] = sources
        response = api.request("POST", "/watches", key=KEY_A, json_body=body)
        assert response.status in (400, 422), response.text
        assert response.json()["error"]["field"] == "sources"


def test_invalid_watch_documents_name_the_field(api: Any) -> None:
    cases = [
        ("name", {**WATCH, "name": ""}),
        ("terms", {"name": "x", "sources": [{"type": "hackernews"}]}),
        ("sources[0]", {**WATCH, "sources": [{"type": "carrier-pigeon"}]}),
        ("alerts.email", {**WATCH, "alerts": {"email": ["not an address"]}}),
        ("languages", {**WATCH, "languages": ["english"]}),
        ("query", {**WATCH, "query": "acme lang:english"}),
        ("query", {**WATCH, "query": "(" * 500 + "acme" + ")" * 500}),  # was a RecursionError: 500
    ]
    for field, body in cases:
        response = api.request("POST", "/watches", key=KEY_A, json_body=body)
        assert response.status in (400, 422), (field, response.text)
        assert response.json()["error"]["field"].startswith(field), (field, response.text)
        put = api.request("PUT", f"/watches/{create_watch(api)['id']}", key=KEY_A, json_body=body)
        assert put.status in (400, 422), (field, put.text)


def test_invalid_json_is_400(api: Any) -> None:
    response = api.request(
        "POST", "/watches", key=KEY_A, body="{not json", headers={"content-type": "application/json"}
    )
    assert response.status == 400
    assert response.json()["error"]["field"] == "body"


def test_body_over_256_kb_is_413(api: Any) -> None:
    body = {**WATCH, "exclude": ["x" * 100] * 3000}
    response = api.request("POST", "/watches", key=KEY_A, json_body=body)
    assert response.status == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_poll_queues_the_watch_fetch_jobs(api: Any, aws: Any) -> None:
    import boto3
    from harken.api.deps import deps

    sqs = boto3.client("sqs")

    def drain() -> list[dict[str, Any]]:
        bodies: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(QueueUrl=deps().settings.fetch_queue_url, MaxNumberOfMessages=10)
            if not batch.get("Messages"):
                return bodies
            for m in batch["Messages"]:
                bodies.append(json.loads(m["Body"]))
                sqs.delete_message(QueueUrl=deps().settings.fetch_queue_url, ReceiptHandle=m["ReceiptHandle"])

    watch = create_watch(api)
    first_poll = drain()  # a new watch is polled at once, not at the next scheduler tick
    assert {b["watch_id"] for b in first_poll} == {watch["id"]} and len(first_poll) >= 2
    response = api.request("POST", f"/watches/{watch['id']}/poll", key=KEY_A)
    assert response.status == 202, response.text
    assert response.json()["jobs"] >= 2
    bodies = drain()
    assert len(bodies) == response.json()["jobs"]
    assert {b["watch_id"] for b in bodies} == {watch["id"]}
    assert {b["tenant_id"] for b in bodies} == {"tenant-a"}
    assert {b["source"]["type"] for b in bodies} == {"hackernews", "rss"}


def test_another_tenant_never_sees_or_changes_a_watch(api: Any) -> None:
    watch = create_watch(api)
    body = {k: v for k, v in watch.items() if k not in ("id", "created_at", "updated_at")}
    wid = watch["id"]
    assert api.request("GET", f"/watches/{wid}", key=KEY_B).status == 404
    assert api.request("PUT", f"/watches/{wid}", key=KEY_B, json_body=body).status == 404
    assert api.request("DELETE", f"/watches/{wid}", key=KEY_B).status == 404
    assert api.request("POST", f"/watches/{wid}/poll", key=KEY_B).status == 404
    assert api.request("GET", "/watches", key=KEY_B).json()["items"] == []
    assert api.request("GET", f"/watches/{wid}", key=KEY_A).json()["name"] == "Acme Cloud"


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.1/x",
        "http://hooks.example.com/x",
    ],
)
def test_unsafe_webhook_is_refused_when_the_watch_is_saved(
    aws: Any, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    from harken.api import deps as api_deps
    from harken.store.dynamo import StateRepo

    from tests.integration.api.gateway import Gateway

    monkeypatch.setenv("HARKEN_ALLOW_PRIVATE_URLS", "0")  # as in AWS
    api_deps.reset()
    api = Gateway()
    StateRepo(api_deps.deps().state.table).put_api_key(KEY_A, "tenant-a")
    body = {**WATCH, "alerts": {"webhooks": [{"url": url, "format": "json"}]}}
    response = api.request("POST", "/watches", key=KEY_A, json_body=body)
    assert response.status == 400, response.text
    assert response.json()["error"]["field"] == "alerts.webhooks[0].url"
    assert api.request("GET", "/watches", key=KEY_A).json()["items"] == []
    api_deps.reset()
