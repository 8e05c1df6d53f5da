"""The fetch → classify → store path against moto built from template.yaml, with the real
handlers and a real HTTP feed server."""

from __future__ import annotations

import importlib.util
import json
import sys
import uuid
from typing import Any

import pytest
from harken.models import Watch, WatchIn, utcnow
from harken.sources.base import FetchJob

from tests.conftest import ROOT, fixture_bytes


def load_handler(name: str) -> Any:
    path = ROOT / "functions" / name / "app.py"
    spec = importlib.util.spec_from_file_location(f"fn_{name}_{uuid.uuid4().hex}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class Ctx:
    function_name = "test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test"
    aws_request_id = "req"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def make_watch(feed_url: str, tenant: str = "t1") -> Watch:
    now = utcnow()
    spec = WatchIn.model_validate(
        {
            "name": "Acme Cloud",
            "terms": {"brand": ["Acme Cloud"], "variants": ["AcmeCloud", "アクメクラウド"]},
            "exclude": ["bakery"],
            "sources": [{"type": "rss", "url": feed_url}],
        }
    )
    return Watch(
        **spec.model_dump(), id="w_" + uuid.uuid4().hex[:16], tenant_id=tenant, created_at=now, updated_at=now
    )


def sqs_event(bodies: list[str]) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"msg-{i}",
                "receiptHandle": f"rh-{i}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:Q",
                "awsRegion": "us-east-1",
            }
            for i, body in enumerate(bodies)
        ]
    }


def drain(queue_url: str) -> list[str]:
    from harken.store import aws

    sqs = aws.client("sqs")
    bodies: list[str] = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            return bodies
        for m in got:
            bodies.append(m["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])


def all_mentions(table: str) -> list[dict[str, Any]]:
    from harken.store import aws

    return aws.table(table).scan()["Items"]


@pytest.fixture
def feed(http_files: Any) -> Any:
    http_files.routes["/feed.xml"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        fixture_bytes("rss2_feed.xml"),
    )
    return http_files


def store_watch(watch: Watch) -> None:
    from harken.store import aws
    from harken.store.dynamo import WatchRepo

    WatchRepo(aws.table("WatchesTable")).put(watch)


def test_fetched_feed_items_are_queued_once_and_cursor_advances(aws: Any, feed: Any) -> None:
    watch = make_watch(feed.base_url + "/feed.xml")
    store_watch(watch)
    scheduler = load_handler("scheduler")
    fetcher = load_handler("fetcher")

    assert scheduler.handler({}, Ctx())["jobs"] == 1
    jobs = drain(aws.queues["FetchQueue"])
    assert len(jobs) == 1
    assert fetcher.handler(sqs_event(jobs), Ctx()) == {"batchItemFailures": []}
    first = drain(aws.queues["MentionQueue"])
    assert len(first) >= 4
    titles = [json.loads(b)["item"]["title"] for b in first]
    assert any(t and "Acme Cloud outage" in t for t in titles)

    # a second poll of the same feed queues nothing new
    assert fetcher.handler(sqs_event(jobs), Ctx()) == {"batchItemFailures": []}
    assert drain(aws.queues["MentionQueue"]) == []


def test_cursor_does_not_move_when_items_cannot_be_queued(
    aws: Any, feed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    watch = make_watch(feed.base_url + "/feed.xml")
    job = FetchJob(
        watch_id=watch.id,
        tenant_id=watch.tenant_id,
        source={"type": "rss", "url": feed.base_url + "/feed.xml"},
    )
    fetcher = load_handler("fetcher")
    from harken import config

    good_url = aws.queues["MentionQueue"]
    monkeypatch.setenv("HARKEN_MENTION_QUEUE_URL", good_url.replace("MentionQueue", "NoSuchQueue"))
    config.settings.cache_clear()
    out = fetcher.handler(sqs_event([json.dumps(job.to_dict())]), Ctx())
    assert out == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}

    monkeypatch.setenv("HARKEN_MENTION_QUEUE_URL", good_url)
    config.settings.cache_clear()
    assert fetcher.handler(sqs_event([json.dumps(job.to_dict())]), Ctx()) == {"batchItemFailures": []}
    assert len(drain(good_url)) >= 4  # nothing was skipped by the failed attempt


def test_source_fault_keeps_cursor_and_backs_off(aws: Any, http_files: Any) -> None:
    http_files.routes["/feed.xml"] = (503, {"Retry-After": "1"}, b"down")
    watch = make_watch(http_files.base_url + "/feed.xml")
    job = FetchJob(
        watch_id=watch.id,
        tenant_id=watch.tenant_id,
        source={"type": "rss", "url": http_files.base_url + "/feed.xml"},
    )
    fetcher = load_handler("fetcher")
    assert fetcher.handler(sqs_event([json.dumps(job.to_dict())]), Ctx()) == {"batchItemFailures": []}
    from harken.store import aws as clients
    from harken.store.dynamo import StateRepo

    cursor, meta = StateRepo(clients.table("StateTable")).get_cursor(job.key)
    assert cursor.seen == [] and meta["failures"] == 1 and meta["retry_at"] > 0
    assert drain(aws.queues["MentionQueue"]) == []


def _item_message(watch: Watch, **item: Any) -> str:
    base = {
        "source": "rss",
        "url": "https://news.example/acme-outage",
        "title": "Acme Cloud restores failing for three days",
        "text": "Terrible: Acme Cloud lost our backups and support never answered. Awful service.",
        "author": "Dana",
        "published_at": "2026-03-10T03:44:51Z",
    }
    base.update(item)
    return json.dumps({"watch_id": watch.id, "tenant_id": watch.tenant_id, "item": base})


def test_redelivered_message_stores_one_mention(aws: Any) -> None:
    watch = make_watch("https://feeds.example/x.xml")
    store_watch(watch)
    classifier = load_handler("classifier")
    body = _item_message(watch)
    assert classifier.handler(sqs_event([body]), Ctx()) == {"batchItemFailures": []}
    assert classifier.handler(sqs_event([body]), Ctx()) == {"batchItemFailures": []}
    items = all_mentions("MentionsTable")
    assert len(items) == 1
    assert items[0]["category"] == "reputation"
    assert items[0]["watch_id"] == watch.id


def test_same_url_from_two_sources_is_one_mention(aws: Any) -> None:
    watch = make_watch("https://feeds.example/x.xml")
    store_watch(watch)
    classifier = load_handler("classifier")
    a = _item_message(watch, url="https://news.example/acme-outage?utm_source=rss")
    b = _item_message(watch, source="hackernews", url="https://news.example/acme-outage")
    assert classifier.handler(sqs_event([a, b]), Ctx()) == {"batchItemFailures": []}
    assert len(all_mentions("MentionsTable")) == 1


def test_poison_message_does_not_block_the_batch(aws: Any) -> None:
    watch = make_watch("https://feeds.example/x.xml")
    store_watch(watch)
    classifier = load_handler("classifier")
    good = _item_message(watch)
    poison = '{"watch_id": "w_x", "item": '
    other = _item_message(watch, url="https://news.example/other", title="Acme Cloud is great")
    out = classifier.handler(sqs_event([good, poison, other]), Ctx())
    assert out == {"batchItemFailures": [{"itemIdentifier": "msg-1"}]}
    assert len(all_mentions("MentionsTable")) == 2


def test_items_that_do_not_mention_the_watch_are_not_stored(aws: Any) -> None:
    watch = make_watch("https://feeds.example/x.xml")
    store_watch(watch)
    classifier = load_handler("classifier")
    bakery = _item_message(
        watch,
        url="https://x.example/b",
        title="Acme Cloud bakery opens",
        text="Fresh bread at the Acme Cloud bakery.",
    )
    unrelated = _item_message(watch, url="https://x.example/c", title="Weather", text="Rain tomorrow.")
    assert classifier.handler(sqs_event([bakery, unrelated]), Ctx()) == {"batchItemFailures": []}
    assert all_mentions("MentionsTable") == []
