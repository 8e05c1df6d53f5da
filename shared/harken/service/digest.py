"""The digest function's application logic, run on each schedule tick (hourly): for every watch,
the digest of its last complete period (hourly, daily or weekly) and its spike check.

Each digest is one email per (watch, period), each spike alert one per episode: both claim a
ledger id before sending (`digest#<watch>#<period start>`, `spike#<watch>#<window>`), so a retried
or overlapping tick never sends twice, and a missed tick is caught up by the next one."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from harken.alerts import ledger
from harken.alerts.ledger import Claim
from harken.config import Settings
from harken.models import Watch, iso
from harken.rules import SpikePolicy
from harken.store.dynamo import MentionRepo, StateRepo, WatchRepo

log = logging.getLogger("harken.digest")


class DigestSettings(Settings):
    spike_min_count: int = 5
    spike_min_data_points: int = 24
    spike_ratio: float = 3.0
    retry_base_seconds: float = 60.0  # the first wait of a spike webhook retried through the queue

    def spike_policy(self) -> SpikePolicy:
        return SpikePolicy(
            min_count=self.spike_min_count, min_data_points=self.spike_min_data_points, ratio=self.spike_ratio
        )


@dataclass
class DigestDeps:
    watches: WatchRepo
    mentions: MentionRepo
    state: StateRepo
    client: Callable[[str], Any]
    settings: DigestSettings
    clock: Callable[[], float] = time.time


@dataclass
class TickResult:
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def tick_time(event: dict[str, Any] | None, deps: DigestDeps) -> datetime:
    """The tick's time: the scheduled event's `time` (stable across retries of one tick), else now."""
    value = (event or {}).get("time")
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            pass
    return datetime.fromtimestamp(deps.clock(), tz=UTC)


def run_tick(deps: DigestDeps, now: datetime) -> TickResult:
    """Digest and spike check for every watch; one watch's failure does not stop the others."""
    result = TickResult()
    for watch in deps.watches.scan_all():
        for step in (send_digest, check_spikes):
            try:
                result.counts[step(watch, deps, now)] += 1
            except Exception as exc:
                log.exception("digest step failed", extra={"watch_id": watch.id, "step": step.__name__})
                result.errors.append(f"{watch.id}: {step.__name__}: {type(exc).__name__}")
    return result


def _send(watch: Watch, rendered: Any, deps: DigestDeps, kind: str) -> str:
    from harken.alerts import ses
    from harken.alerts.email import build_mime

    settings = deps.settings
    raw = build_mime(
        rendered,
        sender=settings.sender_email,
        to=watch.alerts.email,
        reply_to=settings.reply_to_email,
        headers={"X-Harken-Watch": watch.id, "X-Harken-Kind": kind},
    )
    return ses.send_raw(
        deps.client("ses"),
        raw,
        sender=settings.sender_email,
        destinations=watch.alerts.email,
        configuration_set=settings.ses_configuration_set,
    )


def _claimed_send(delivery_id: str, send: Callable[[], str], deps: DigestDeps) -> str:
    state = ledger.claim(deps.state, delivery_id, deps.clock())
    if state is not Claim.CLAIMED:
        return "already_sent" if state is Claim.DONE else "in_flight"
    try:
        message_id = send()
    except Exception:
        ledger.release(deps.state, delivery_id)
        raise
    deps.state.complete_delivery(delivery_id, f"ses {message_id}")
    return "sent"


# ------------------------------------------------------------------ digests


# How many periods back a digest reaches over periods whose tick never ran (the function failed
# for a whole period): a day of hourly digests, a week of daily ones, four weekly ones.
CATCH_UP_PERIODS = {"hourly": 24, "daily": 7, "weekly": 4}


def send_digest(watch: Watch, deps: DigestDeps, now: datetime) -> str:
    """Send the digest of the watch's last complete period unless it went already. Returns what
    happened (a metric name). Periods before it whose digest never went (a missed hourly tick
    left its hour out of every digest) are folded into it; an empty period is recorded too, so
    the look back stops there."""
    from harken.alerts.digest import build_digest
    from harken.alerts.email import render_digest
    from harken.alerts.history import items_between
    from harken.rules import PERIOD_LENGTH, last_complete_period
    from harken.store.dynamo import mention_from_item

    period = watch.alerts.digest
    if period == "off" or not watch.alerts.email:
        return "digest_off"
    start, end = last_complete_period(period, now)
    delivery_id = f"digest#{watch.id}#{iso(start)}"
    if deps.state.delivery_status(delivery_id) in ("sent", "refused"):
        return "digest_already_sent"
    first = start
    length = PERIOD_LENGTH[period]
    for _ in range(CATCH_UP_PERIODS.get(period, 0)):
        before = first - length
        if before + length <= watch.created_at or deps.state.delivery_status(
            f"digest#{watch.id}#{iso(before)}"
        ) in ("sent", "refused"):
            break
        first = before
    # A mention belongs to the digest of the period Harken found it in (fetched_at): one published
    # late in a period but found after that period's digest went was in no digest at all. Found
    # up to one period after its publication (older news found late is left to the listing).
    mentions = [
        m
        for m in map(mention_from_item, items_between(deps.mentions.table, watch.id, first - length, end))
        if first <= _found(m) < end
    ]
    if not mentions:
        # Nothing to report: no email, but the period is done (a later catch-up stops here).
        if ledger.claim(deps.state, delivery_id, deps.clock()) is Claim.CLAIMED:
            deps.state.complete_delivery(delivery_id, "empty: no email")
        return "digest_empty"
    content = build_digest(mentions, period=period, start=first, end=end)
    rendered = render_digest(watch, content, api_url=deps.settings.api_url)
    return "digest_" + _claimed_send(delivery_id, lambda: _send(watch, rendered, deps, "digest"), deps)


def _found(mention: Any) -> datetime:
    """When Harken found a mention (its fetched_at; never before its publication)."""
    return max(mention.fetched_at, mention.published_at)


# ------------------------------------------------------------------ spikes


def check_spikes(watch: Watch, deps: DigestDeps, now: datetime) -> str:
    """Compare the watch's last complete hour with its own baseline; alert when a spike starts."""
    from harken.alerts.email import render_spike
    from harken.alerts.history import items_between
    from harken.alerts.spikes import decide
    from harken.rules import spike_windows
    from harken.store.dynamo import mention_from_item

    if not watch.alerts.spikes or not (watch.alerts.email or watch.alerts.webhooks):
        return "spikes_off"
    policy = deps.settings.spike_policy()
    reach_start = now - (policy.baseline_windows + 2) * policy.window
    rows = []
    for item in items_between(
        deps.mentions.table, watch.id, reach_start, now, projection=["sort_key", "sentiment_label"]
    ):
        published = datetime.fromisoformat(str(item["sort_key"]).split("#", 1)[0].replace("Z", "+00:00"))
        rows.append((published, item.get("sentiment_label") == "negative"))
    window_start, verdicts = spike_windows(rows, now=now, watch_created=watch.created_at, policy=policy)
    window = iso(window_start)
    previous = ledger.spike_state(deps.state, watch.id).get("active") or {}
    decision = decide(verdicts, window, {str(k): str(v) for k, v in previous.items()})
    outcome = "spike_none"
    if decision.alert:
        end = window_start + policy.window
        examples = [
            mention_from_item(i) for i in items_between(deps.mentions.table, watch.id, window_start, end)
        ]
        negative_first = sorted(examples, key=lambda m: (m.sentiment.score, -m.published_at.timestamp()))[:5]
        if watch.alerts.email:
            rendered = render_spike(
                watch, decision.alert, window, iso(end), negative_first, api_url=deps.settings.api_url
            )
            outcome = "spike_" + _claimed_send(
                f"spike#{watch.id}#{window}", lambda: _send(watch, rendered, deps, "spike"), deps
            )
        if watch.alerts.webhooks:
            # A failed hook is queued for retry; only without a DeliveryQueue does this raise
            # SpikeWebhooksFailed: the tick is retried, the episode not yet recorded, and the
            # ledger skips the email and the hooks that went.
            sent = _spike_webhooks(watch, decision.alert, window, iso(end), negative_first, deps)
            if not watch.alerts.email:
                outcome = "spike_sent" if sent else "spike_already_sent"
    if outcome != "spike_in_flight" and decision.active != previous:
        # Recorded even when a webhook failed (its retry is queued): an unrecorded episode
        # alerted again every hour (a new window), by email too.
        ledger.set_spike_state(deps.state, watch.id, decision.active)
    return outcome


class SpikeWebhooksFailed(RuntimeError):
    """A spike webhook could not be delivered: the tick fails, so its retry (or the next tick,
    while the episode is not yet recorded) tries again; the ledger skips what went."""


def _spike_webhooks(
    watch: Watch, alert: Any, window: str, end: str, examples: list[Any], deps: DigestDeps
) -> int:
    """POST the spike to each of the watch's webhooks once per (spike, webhook); the number sent now."""
    from harken.alerts.secrets import resolve_secret
    from harken.alerts.webhook import WebhookRequest, hook_key, post_all, spike_body

    requests = []
    for hook in watch.alerts.webhooks:
        delivery_id = f"spike#{watch.id}#{window}#webhook#{hook_key(hook.url)}"
        if ledger.claim(deps.state, delivery_id, deps.clock()) is not Claim.CLAIMED:
            continue
        try:
            secret = resolve_secret(hook.secret, deps.client("secretsmanager")) if hook.secret else None
        except Exception:
            ledger.release(deps.state, delivery_id)
            raise
        body = spike_body(watch, alert, window, end, examples, fmt=hook.format, api_url=deps.settings.api_url)
        requests.append(WebhookRequest(delivery_id, hook.url, body, secret, event="spike"))
    results = post_all(requests, allow_private=deps.settings.allow_private_urls, require_https=True)
    failed = []
    for request, result in zip(requests, results, strict=True):
        if result.ok:
            deps.state.complete_delivery(result.delivery_id, f"HTTP {result.status}")
        elif result.permanent:
            ledger.refuse(deps.state, result.delivery_id, result.error)
        else:
            ledger.release(deps.state, result.delivery_id)
            if not _queue_spike_retry(watch, request, result, deps):
                failed.append(result.error)
    if failed:
        raise SpikeWebhooksFailed(f"{len(failed)} spike webhooks failed: {failed[0]}")
    return sum(1 for r in results if r.ok)


def _queue_spike_retry(watch: Watch, request: Any, result: Any, deps: DigestDeps) -> bool:
    """Hand a failed spike webhook to the DeliveryQueue (the notifier retries it with backoff, then
    the DLQ), as instant webhooks are: a receiver that is down loses nothing. False when there is
    no queue or the message could not be sent."""
    from harken.alerts import queue
    from harken.alerts.webhook import hook_key

    url = deps.settings.delivery_queue_url
    if not url:
        return False
    delay = queue.backoff_seconds(1, deps.settings.retry_base_seconds, queue.MAX_DELAY_SECONDS)
    if result.retry_after:
        delay = min(max(delay, int(result.retry_after) + 1), queue.MAX_DELAY_SECONDS)
    message = {
        "type": "spike_webhook",
        "tenant_id": watch.tenant_id,
        "watch_id": watch.id,
        "hook": hook_key(request.url),
        "delivery_id": request.delivery_id,
        "body": request.body.decode("utf-8"),
    }
    try:
        queue.enqueue(deps.client("sqs"), url, message, delay)
    except Exception as exc:
        log.warning("spike webhook retry not queued", extra={"watch_id": watch.id, "error": str(exc)[:200]})
        return False
    return True
