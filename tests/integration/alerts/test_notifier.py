"""The notifier end to end on moto: stream records in, SES email and real webhook POSTs out,
exactly once per (mention, channel) whatever is redelivered or retried."""

from __future__ import annotations

import json
from typing import Any

from harken.alerts.webhook import verify
from harken.models import Webhook

from tests.integration.alerts.conftest import (
    Receiver,
    Stack,
    failed_ids,
    load_function,
    make_mention,
    make_watch,
    sent_emails,
)


def _run_queue(app: Any, stack: Stack, rounds: int = 10) -> None:
    """Drive the DeliveryQueue like Lambda: receive, invoke, delete what succeeded."""
    for _ in range(rounds):
        records = stack.queue_records()
        if not records:
            return
        response = app.handler({"Records": records}, None)
        stack.delete(records, failed_ids(response))


def test_new_mention_sends_one_email_and_one_signed_webhook(stack: Stack, receiver: Receiver) -> None:
    watch = make_watch(webhooks=[Webhook(url=receiver.url + "/hook", format="json", secret="s3cret")])
    stack.watches.put(watch)
    mention = make_mention(1, watch=watch)
    assert stack.mentions.put_new(mention)
    app = load_function("notifier")

    response = app.handler({"Records": stack.stream_records()}, None)

    assert response == {"batchItemFailures": []}
    emails = sent_emails()
    assert len(emails) == 1
    body = emails[0].get_body(("plain",)).get_content()
    assert mention.id in body and mention.url in body
    assert f"PATCH https://api.harken.test/prod/mentions/{mention.id}" in body
    assert len(receiver.accepted) == 1
    hit = receiver.accepted[0]
    assert json.loads(hit["body"])["id"] == mention.id
    assert verify(hit["body"], "s3cret", hit["headers"]["X-Harken-Signature"])
    assert hit["headers"]["X-Harken-Delivery"].startswith(mention.id + "#webhook#")


def test_same_stream_record_three_times_sends_one_email_and_one_webhook(
    stack: Stack, receiver: Receiver
) -> None:
    watch = make_watch(webhooks=[Webhook(url=receiver.url + "/hook", secret="s3cret")])
    stack.watches.put(watch)
    stack.mentions.put_new(make_mention(1, watch=watch))
    records = stack.stream_records()
    app = load_function("notifier")

    app.handler({"Records": records}, None)
    app.handler({"Records": records}, None)
    app.handler({"Records": records * 3}, None)  # and duplicated inside one batch

    assert len(sent_emails()) == 1
    assert len(receiver.accepted) == 1


def test_mention_outside_the_instant_rule_alerts_nobody(stack: Stack, receiver: Receiver) -> None:
    watch = make_watch(webhooks=[Webhook(url=receiver.url)])  # default rule: negative reputation
    stack.watches.put(watch)
    stack.mentions.put_new(make_mention(1, watch=watch, label="positive", score=0.8))
    app = load_function("notifier")

    assert app.handler({"Records": stack.stream_records()}, None) == {"batchItemFailures": []}

    assert sent_emails() == [] and receiver.accepted == []


def test_receiver_down_then_up_delivers_every_alert_once(stack: Stack, receiver: Receiver) -> None:
    watch = make_watch(email=[], webhooks=[Webhook(url=receiver.url + "/hook", secret="k")])
    stack.watches.put(watch)
    mentions = [make_mention(i, watch=watch) for i in range(12)]
    for m in mentions:
        stack.mentions.put_new(m)
    app = load_function("notifier")
    app.deps().webhook_policy = __import__("harken.alerts.webhook", fromlist=["RetryPolicy"]).RetryPolicy(
        attempts=2, base_seconds=0.01
    )

    receiver.status = 503  # down: every attempt fails, retries wait on the DeliveryQueue
    response = app.handler({"Records": stack.stream_records()}, None)
    assert response == {"batchItemFailures": []}  # nothing lost: the retries are queued
    assert receiver.accepted == [] and receiver.refused == 24
    # still down for a few retry rounds (each failed message is postponed, then comes back)
    records = stack.queue_records()
    assert len(records) == 12
    response = app.handler({"Records": records[:10]}, None)
    assert len(failed_ids(response)) == 10
    for r in records[10:]:  # not handed to the function this round: make visible again
        __import__("harken.store.aws", fromlist=["client"]).client("sqs").change_message_visibility(
            QueueUrl=stack.queue_url, ReceiptHandle=r["receiptHandle"], VisibilityTimeout=0
        )

    receiver.status = 200  # up again
    _run_queue(app, stack)
    # and a stray redelivery of the original stream batch changes nothing
    stack._shard_iters.clear()
    app.handler({"Records": stack.stream_records()}, None)
    _run_queue(app, stack)

    delivered = [json.loads(hit["body"])["id"] for hit in receiver.accepted]
    assert sorted(delivered) == sorted(m.id for m in mentions)  # none lost, none twice
    assert stack.queue_depth() == 0 and stack.queue_depth(stack.dlq_url) == 0
