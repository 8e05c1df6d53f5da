"""Exactly once under failure: grouped emails, SES throttling, leases held by another worker,
retries exhausted into the DLQ and redriven, secrets kept in Secrets Manager, refused URLs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from harken.alerts import cli, queue, secrets
from harken.alerts.webhook import RetryPolicy, verify
from harken.models import Webhook
from harken.service import notify
from harken.store import aws

from tests.integration.alerts.conftest import (
    Receiver,
    Stack,
    failed_ids,
    load_function,
    make_mention,
    make_watch,
    sent_emails,
)

FAST = RetryPolicy(attempts=1, base_seconds=0.01, timeout_seconds=2)


class Clock:
    def __init__(self, t: float = 1_800_000_000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _deps(stack: Stack, clock: Clock | None = None, **settings: Any) -> notify.NotifyDeps:
    return notify.NotifyDeps(
        watches=stack.watches,
        mentions=stack.mentions,
        state=stack.state,
        client=aws.client,
        settings=notify.NotifierSettings.from_env().model_copy(update=settings),
        clock=clock or Clock(),
        rand=lambda: 0.5,
        webhook_policy=FAST,
    )


def _drain(stack: Stack, deps: notify.NotifyDeps, rounds: int = 10) -> None:
    for _ in range(rounds):
        records = stack.queue_records()
        if not records:
            return
        outcome = notify.process_delivery_messages(records, deps)
        stack.delete(records, set(outcome.failures))


@pytest.fixture
def no_delays(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retry messages visible at once (the clock in these tests is fake; SQS delays are real)."""
    monkeypatch.setattr(queue, "MAX_DELAY_SECONDS", 0)


def test_alerts_within_the_window_are_grouped_into_one_email(stack: Stack, no_delays: None) -> None:
    watch = make_watch()
    stack.watches.put(watch)
    clock = Clock()
    deps = _deps(stack, clock, email_group_seconds=60)
    first, burst = make_mention(0, watch=watch), [make_mention(i, watch=watch) for i in range(1, 6)]
    for m in [first, *burst]:
        stack.mentions.put_new(m)
    records = stack.stream_records()

    notify.process_stream_records(records[:1], deps)  # the first alert goes at once
    clock.t += 5
    notify.process_stream_records(records[1:3], deps)  # then a burst, in two batches
    clock.t += 5
    notify.process_stream_records(records[3:], deps)
    assert len(sent_emails()) == 1
    _drain(stack, deps)  # flush messages that come early wait for the window
    assert len(sent_emails()) == 1
    clock.t += 60
    _drain(stack, deps)
    notify.process_stream_records(records, deps)  # and a full redelivery changes nothing
    clock.t += 120
    _drain(stack, deps)

    emails = sent_emails()
    assert len(emails) == 2
    assert emails[1]["Subject"] == "[Harken] Acme Cloud: 5 new mentions (5 negative) on reddit"
    body = emails[1].get_body(("plain",)).get_content()
    assert all(m.id in body for m in burst) and first.id not in body


def test_ses_throttling_is_retried_and_sends_once(
    stack: Stack, no_delays: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from botocore.exceptions import ClientError
    from harken.alerts import ses

    watch = make_watch()
    stack.watches.put(watch)
    stack.mentions.put_new(make_mention(1, watch=watch))
    real = ses.send_raw
    calls = {"n": 0}

    def throttled(*args: Any, **kwargs: Any) -> str:
        calls["n"] += 1
        if calls["n"] <= 2:
            raise ClientError(
                {"Error": {"Code": "Throttling", "Message": "Maximum sending rate exceeded."}}, "SendRawEmail"
            )
        return real(*args, **kwargs)

    monkeypatch.setattr(ses, "send_raw", throttled)
    deps = _deps(stack, email_group_seconds=0)
    records = stack.stream_records()

    outcome = notify.process_stream_records(records, deps)
    assert outcome.failures == {} and sent_emails() == []  # the retry is queued, the record is done
    _drain(stack, deps)
    notify.process_stream_records(records, deps)

    assert len(sent_emails()) == 1 and calls["n"] == 3
    assert stack.state.delivery_status("m_w_test_0001#email") == "sent"


def test_a_delivery_another_worker_holds_is_checked_again_not_dropped(
    stack: Stack, receiver: Receiver, no_delays: None
) -> None:
    watch = make_watch(email=[], webhooks=[Webhook(url=receiver.url)])
    stack.watches.put(watch)
    m = make_mention(1, watch=watch)
    stack.mentions.put_new(m)
    clock = Clock()
    deps = _deps(stack, clock)
    delivery = f"{m.id}#webhook#" + __import__("harken.alerts.webhook", fromlist=["hook_key"]).hook_key(
        receiver.url
    )
    assert stack.state.claim_delivery(delivery, now=clock.t)  # a worker that then crashed

    notify.process_stream_records(stack.stream_records(), deps)
    assert receiver.accepted == []
    clock.t += 200  # its lease ran out
    _drain(stack, deps)

    assert len(receiver.accepted) == 1 and stack.state.delivery_status(delivery) == "sent"


def test_exhausted_retries_land_in_the_dlq_and_redrive_delivers_once(
    stack: Stack, receiver: Receiver
) -> None:
    watch = make_watch(email=[], webhooks=[Webhook(url=receiver.url + "/hook", secret="k")])
    stack.watches.put(watch)
    for i in range(3):
        stack.mentions.put_new(make_mention(i, watch=watch))
    app = load_function("notifier")
    app.deps().webhook_policy = FAST
    receiver.status = 500

    app.handler({"Records": stack.stream_records()}, None)
    for _ in range(12):  # every receive fails; after maxReceiveCount (8) SQS moves them to the DLQ
        records = stack.queue_records()
        if not records:
            break
        response = app.handler({"Records": records}, None)
        assert failed_ids(response) == {r["messageId"] for r in records}
    assert stack.queue_depth() == 0 and stack.queue_depth(stack.dlq_url) == 3
    assert receiver.accepted == []

    receiver.status = 200
    assert cli.redrive_main(["--dlq-url", stack.dlq_url, "--queue-url", stack.queue_url]) == 0
    assert stack.queue_depth(stack.dlq_url) == 0
    for _ in range(3):
        records = stack.queue_records()
        stack.delete(records, failed_ids(app.handler({"Records": records}, None)))

    assert sorted(json.loads(h["body"])["id"] for h in receiver.accepted) == [
        f"m_w_test_000{i}" for i in range(3)
    ]


def test_redrive_needs_queue_urls(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HARKEN_DELIVERY_DLQ_URL", raising=False)
    monkeypatch.delenv("HARKEN_DELIVERY_QUEUE_URL", raising=False)
    assert cli.redrive_main([]) == 2
    assert "--dlq-url" in capsys.readouterr().err


def test_webhook_secret_lives_in_secrets_manager_and_still_signs(
    stack: Stack, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = "harken/test/webhooks/"
    monkeypatch.setenv("HARKEN_WEBHOOK_SECRET_PREFIX", prefix)
    sm = aws.client("secretsmanager")
    watch = make_watch(email=[], webhooks=[Webhook(url=receiver.url, secret="plaintext-s3cret")])
    stored = secrets.externalize_secrets(watch, sm, prefix)
    stack.watches.put(stored)

    doc = stack.watches.table.get_item(Key={"tenant_id": "t1", "watch_id": "w_test"})["Item"]["doc"]
    assert "plaintext-s3cret" not in doc and "secretsmanager:harken/test/webhooks/t1/w_test/" in doc
    assert stored.public()["alerts"]["webhooks"][0]["secret"] == "********"

    stack.mentions.put_new(make_mention(1, watch=watch))
    load_function("notifier").handler({"Records": stack.stream_records()}, None)
    [hit] = receiver.accepted
    assert verify(hit["body"], "plaintext-s3cret", hit["headers"]["X-Harken-Signature"])

    # GET shows "********"; sending that back keeps the stored secret
    again = watch.model_copy(
        update={
            "alerts": watch.alerts.model_copy(
                update={"webhooks": [Webhook(url=receiver.url, secret="********")]}
            )
        }
    )
    assert secrets.externalize_secrets(again, sm, prefix, previous=stored).alerts.webhooks[0].secret == (
        stored.alerts.webhooks[0].secret
    )
    assert secrets.delete_secrets(stored, sm) == 1
    assert [s["Name"] for s in sm.list_secrets()["SecretList"] if s["Name"].startswith(prefix)] == []


def test_refused_webhook_is_never_posted_nor_retried(
    stack: Stack, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARKEN_ALLOW_PRIVATE_URLS", "0")  # as in AWS
    watch = make_watch(email=[], webhooks=[Webhook(url=receiver.url.replace("http:", "https:"))])
    stack.watches.put(watch)
    stack.mentions.put_new(make_mention(1, watch=watch))

    outcome = notify.process_stream_records(stack.stream_records(), _deps(stack))

    assert outcome.failures == {} and outcome.counts["webhooks_refused"] == 1
    assert receiver.accepted == [] and receiver.refused == 0  # no connection was made
    assert stack.queue_depth() == 0
