"""Digests and spike alerts on seeded mentions in moto: content, one email per period, one alert
per spike."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.integration.alerts.conftest import Stack, load_function, make_mention, make_watch, sent_emails

NOW = datetime(2026, 3, 9, 0, 10, tzinfo=UTC)  # a Monday, just after midnight UTC


def _tick(app, when: datetime) -> dict:
    return app.handler(
        {
            "source": "aws.events",
            "detail-type": "Scheduled Event",
            "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        None,
    )


def _seed_day(stack: Stack, watch) -> dict[str, list]:
    day = datetime(2026, 3, 8, tzinfo=UTC)
    negatives = [
        make_mention(
            i, watch=watch, score=-0.2 - i / 10, title=f"complaint {i}", published_at=day + timedelta(hours=i)
        )
        for i in range(7)
    ]
    leads = [
        make_mention(
            20,
            watch=watch,
            category="crowd_marketing",
            label="neutral",
            score=0.0,
            intents=["question"],
            title="which backup service?",
            published_at=day + timedelta(hours=9),
        ),
        make_mention(
            21,
            watch=watch,
            category="crowd_marketing",
            label="neutral",
            score=0.0,
            intents=["purchase_intent"],
            title="want to buy cloud backup",
            published_at=day + timedelta(hours=10),
        ),
    ]
    others = [
        make_mention(
            30,
            watch=watch,
            category="smm",
            label="positive",
            score=0.6,
            intents=["praise"],
            published_at=day + timedelta(hours=12),
        ),
        # outside the day: not in the digest
        make_mention(31, watch=watch, published_at=day - timedelta(minutes=2)),  # found the day before
        make_mention(32, watch=watch, published_at=day + timedelta(days=1)),
    ]
    for m in negatives + leads + others:
        stack.mentions.put_new(m)
    return {"negatives": negatives, "leads": leads}


def _seed_smm_id(watch) -> str:
    return make_mention(30, watch=watch).id


def test_daily_digest_counts_and_tops_sent_once_per_period(stack: Stack) -> None:
    # Created as the day began: the day before had no digest to catch up on.
    watch = make_watch(digest="daily", created_at=datetime(2026, 3, 8, tzinfo=UTC))
    stack.watches.put(watch)
    seeded = _seed_day(stack, watch)
    app = load_function("digest")

    result = _tick(app, NOW)
    _tick(app, NOW)  # a retried tick
    _tick(app, NOW + timedelta(hours=1))  # the next tick of the same day

    assert result["counts"]["digest_sent"] == 1
    [msg] = sent_emails()
    assert msg["Subject"] == "[Harken] Acme Cloud: daily digest, 10 mentions (7 negative)"
    text = msg.get_body(("plain",)).get_content()
    assert "2026-03-08T00:00:00Z to 2026-03-09T00:00:00Z" in text
    assert "By category: reputation: 7, crowd_marketing: 2, smm: 1" in text
    assert "By sentiment: positive: 1, neutral: 2, negative: 7" in text
    top, leads = text.split("Top crowd-marketing leads:")
    leads, smm = leads.split("On the official pages (SMM):")
    assert _seed_smm_id(watch) in smm  # the official-page mention had no list of its own
    # the five most negative, most negative first; the two mildest are left out
    order = [m.id for m in sorted(seeded["negatives"], key=lambda m: m.sentiment.score)]
    assert [top.index(i) for i in order[:5]] == sorted(top.index(i) for i in order[:5])
    assert all(i not in top for i in order[5:])
    assert leads.index(seeded["leads"][1].id) < leads.index(seeded["leads"][0].id)  # purchase intent first
    for m in seeded["negatives"][2:] + seeded["leads"]:
        assert m.url in msg.get_body(("html",)).get_content()


def test_a_mention_found_after_its_periods_digest_went_is_in_the_next_one(stack: Stack) -> None:
    """Published at 23:30 on Mar 8, found at 10:00 on Mar 9, after the Mar 8 digest went: it was in
    no digest at all (digests selected by publication time)."""
    watch = make_watch(digest="daily", created_at=datetime(2026, 3, 8, tzinfo=UTC))
    stack.watches.put(watch)
    app = load_function("digest")
    stack.mentions.put_new(make_mention(1, watch=watch, published_at=datetime(2026, 3, 8, 12, tzinfo=UTC)))
    assert _tick(app, datetime(2026, 3, 9, 0, 5, tzinfo=UTC))["counts"]["digest_sent"] == 1
    late = make_mention(2, watch=watch, published_at=datetime(2026, 3, 8, 23, 30, tzinfo=UTC))
    late = late.model_copy(update={"fetched_at": datetime(2026, 3, 9, 10, tzinfo=UTC)})
    stack.mentions.put_new(late)
    assert _tick(app, datetime(2026, 3, 10, 0, 5, tzinfo=UTC))["counts"]["digest_sent"] == 1
    first, second = sent_emails()
    assert late.id not in first.get_body(("plain",)).get_content()
    assert "Mentions: 1" in second.get_body(("plain",)).get_content()
    assert (
        late.url in second.get_body(("html",)).get_content()
        or late.id in second.get_body(("plain",)).get_content()
    )


def test_a_missed_hourly_tick_is_caught_up_by_the_next_digest(stack: Stack) -> None:
    """Mentions at 12:30 and 13:30, the 13:05 tick never ran: the 14:05 digest covers 12:00-14:00
    (the 12:00-13:00 mention was in no digest at all). An empty hour is recorded, so the look back
    stops there."""
    watch = make_watch(digest="hourly", created_at=datetime(2026, 3, 9, tzinfo=UTC))
    stack.watches.put(watch)
    for n, hour in ((1, 12), (2, 13)):
        stack.mentions.put_new(
            make_mention(n, watch=watch, published_at=datetime(2026, 3, 9, hour, 30, tzinfo=UTC))
        )
    app = load_function("digest")
    assert _tick(app, datetime(2026, 3, 9, 12, 5, tzinfo=UTC))["counts"]["digest_empty"] == 1  # 11-12
    assert _tick(app, datetime(2026, 3, 9, 14, 5, tzinfo=UTC))["counts"]["digest_sent"] == 1
    [msg] = sent_emails()
    text = msg.get_body(("plain",)).get_content()
    assert "2026-03-09T12:00:00Z to 2026-03-09T14:00:00Z" in text and "Mentions: 2" in text
    assert _tick(app, datetime(2026, 3, 9, 15, 5, tzinfo=UTC))["counts"]["digest_empty"] == 1
    assert len(sent_emails()) == 1


def test_no_digest_when_off_or_nothing_happened(stack: Stack) -> None:
    stack.watches.put(make_watch(watch_id="w_off", digest="off"))
    stack.watches.put(make_watch(watch_id="w_quiet", digest="hourly"))
    result = _tick(load_function("digest"), NOW)
    assert result["counts"]["digest_off"] == 1 and result["counts"]["digest_empty"] == 1
    assert sent_emails() == []


def _seed_hours(stack: Stack, watch, end: datetime, per_hour: dict[int, int], start_n: int, **kw) -> int:
    n = start_n
    for h, count in per_hour.items():
        for i in range(count):
            published = end - timedelta(hours=h + 1) + timedelta(minutes=1 + i % 58, seconds=i // 58)
            stack.mentions.put_new(make_mention(n, watch=watch, published_at=published, **kw))
            n += 1
    return n


def test_spike_alerts_once_per_spike_and_quiet_new_watch_does_not_fire(stack: Stack) -> None:
    tick = datetime(2026, 3, 9, 12, 5, tzinfo=UTC)
    end = datetime(2026, 3, 9, 12, tzinfo=UTC)
    old = make_watch(watch_id="w_old", created_at=tick - timedelta(days=3))
    new = make_watch(watch_id="w_new", created_at=tick - timedelta(hours=2))
    for w in (old, new):
        stack.watches.put(w)
    # a steady baseline of 1 neutral mention an hour, then 25 negative ones in the last hour
    n = _seed_hours(stack, old, end, {h: 1 for h in range(1, 60)}, 0, label="neutral", score=0.0)
    n = _seed_hours(stack, old, end, {0: 25}, n)
    _seed_hours(stack, new, end, {h: 3 for h in range(0, 30)}, 0)  # first poll brought history
    app = load_function("digest")

    first = _tick(app, tick)
    _tick(app, tick)  # the same tick again
    # the next hour is still far above the baseline: same spike, no new alert
    _seed_hours(stack, old, end + timedelta(hours=1), {0: 20}, 5000)
    second = _tick(app, tick + timedelta(hours=1))

    assert first["counts"]["spike_sent"] == 1 and second["counts"].get("spike_sent", 0) == 0
    [msg] = sent_emails()
    assert msg["Subject"] == "[Harken] Acme Cloud: spike in volume and negative volume"
    text = msg.get_body(("plain",)).get_content()
    assert "25 mentions in the window" in text and "25 negative mentions in the window" in text
    assert "m_w_old_" in text  # examples link to the mentions

    # calm for an hour ends the episode; a new surge alerts again
    third = _tick(app, tick + timedelta(hours=2))
    _seed_hours(stack, old, end + timedelta(hours=3), {0: 40}, 6000)
    fourth = _tick(app, tick + timedelta(hours=3))
    assert third["counts"].get("spike_sent", 0) == 0 and fourth["counts"]["spike_sent"] == 1
    assert len(sent_emails()) == 2


def test_spike_reaches_webhooks_once_signed_and_as_slack(stack: Stack, receiver) -> None:
    import json

    from harken.alerts.webhook import verify
    from harken.models import Webhook

    tick = datetime(2026, 3, 9, 12, 5, tzinfo=UTC)
    end = datetime(2026, 3, 9, 12, tzinfo=UTC)
    hooks = [
        Webhook(url=receiver.url + "/json", format="json", secret="s3cret"),
        Webhook(url=receiver.url + "/slack", format="slack"),
    ]
    watch = make_watch(watch_id="w_hooks", email=[], webhooks=hooks, created_at=tick - timedelta(days=3))
    stack.watches.put(watch)
    n = _seed_hours(stack, watch, end, {h: 1 for h in range(1, 60)}, 0, label="neutral", score=0.0)
    _seed_hours(stack, watch, end, {0: 25}, n)
    app = load_function("digest")

    first = _tick(app, tick)
    _tick(app, tick)  # a retried tick sends nothing twice
    assert first["counts"]["spike_sent"] == 1
    assert sent_emails() == []
    by_path = {a["path"]: a for a in receiver.accepted}
    assert sorted(by_path) == ["/json", "/slack"] and len(receiver.accepted) == 2
    payload = json.loads(by_path["/json"]["body"])
    assert payload["event"] == "spike" and payload["watch_id"] == "w_hooks"
    assert {k["kind"] for k in payload["kinds"]} == {"volume", "negative"}
    assert payload["examples"] and payload["examples"][0]["id"].startswith("m_")
    headers = {k.lower(): v for k, v in by_path["/json"]["headers"].items()}
    assert verify(by_path["/json"]["body"], "s3cret", headers["x-harken-signature"])
    assert headers["x-harken-event"] == "spike"
    assert "Spike" in json.loads(by_path["/slack"]["body"])["text"]


def test_a_spike_webhook_that_fails_is_retried_through_the_delivery_queue(
    stack: Stack, receiver, monkeypatch
) -> None:
    """The receiver is down when the spike starts: the email goes once, the episode is recorded
    (the next hour sends nothing again: it re-sent the email every hour while the hook failed),
    and the webhook waits on the DeliveryQueue until the receiver is back — then arrives once."""
    from harken.alerts import queue
    from harken.alerts.webhook import RetryPolicy, verify
    from harken.models import Webhook
    from harken.service import notify
    from harken.store import aws

    monkeypatch.setattr(queue, "MAX_DELAY_SECONDS", 0)  # retry messages visible at once
    tick = datetime(2026, 3, 9, 12, 5, tzinfo=UTC)
    end = datetime(2026, 3, 9, 12, tzinfo=UTC)
    hook = Webhook(url=receiver.url + "/json", format="json", secret="s3cret")
    watch = make_watch(
        watch_id="w_retry", email=["team@example.com"], webhooks=[hook], created_at=tick - timedelta(days=3)
    )
    stack.watches.put(watch)
    n = _seed_hours(stack, watch, end, {h: 1 for h in range(1, 60)}, 0, label="neutral", score=0.0)
    n = _seed_hours(stack, watch, end, {0: 25}, n)
    _seed_hours(stack, watch, end + timedelta(hours=1), {0: 25}, n)  # the spike goes on
    app = load_function("digest")
    receiver.status = 503
    assert _tick(app, tick)["counts"]["spike_sent"] == 1  # the email; the hook is queued
    assert _tick(app, tick + timedelta(hours=1))["counts"].get("spike_sent") is None
    assert len(sent_emails()) == 1 and receiver.accepted == []
    records = stack.queue_records()
    assert [json.loads(r["body"])["type"] for r in records] == ["spike_webhook"]

    deps = notify.NotifyDeps(
        watches=stack.watches,
        mentions=stack.mentions,
        state=stack.state,
        client=aws.client,
        settings=notify.NotifierSettings.from_env(),
        webhook_policy=RetryPolicy(attempts=1, base_seconds=0.01, max_seconds=0.02, timeout_seconds=2),
    )
    outcome = notify.process_delivery_messages(records, deps)  # still down: back on the queue
    assert set(outcome.failures) == {records[0]["messageId"]}
    receiver.status = 200
    outcome = notify.process_delivery_messages(records, deps)
    assert not outcome.failures
    notify.process_delivery_messages(records, deps)  # redelivered: the ledger skips it
    assert len(receiver.accepted) == 1
    body = receiver.accepted[0]["body"]
    assert json.loads(body)["event"] == "spike"
    assert verify(
        body,
        "s3cret",
        {k.lower(): v for k, v in receiver.accepted[0]["headers"].items()}["x-harken-signature"],
    )
