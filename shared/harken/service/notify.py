"""The notifier's application logic: new mentions (table stream INSERTs) and retry messages
(DeliveryQueue) in, instant emails and webhook posts out, each (mention, channel) exactly once.

For every delivery: claim it in the ledger, send, complete. A failed send releases the claim and
schedules a retry on the DeliveryQueue (exponential backoff with jitter); a stream record is
reported failed only when even that could not be scheduled. A failed retry message stays on the
queue, postponed by its backoff, until the queue's redrive policy moves it to the DeliveryDLQ.

Several instant alerts for one watch within `email_group_seconds` become one email: the first goes
at once, the next wait in a per-watch buffer that one delayed message flushes."""

from __future__ import annotations

import logging
import math
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from harken.alerts import ledger
from harken.alerts.ledger import Claim
from harken.config import Settings
from harken.models import Mention, Watch
from harken.rules import wants_instant
from harken.store.dynamo import MentionRepo, StateRepo, WatchRepo

log = logging.getLogger("harken.notify")

EMAIL_GROUP_MAX = 25  # mentions per grouped email; the rest wait for the next one


class NotifierSettings(Settings):
    """The notifier's knobs on top of the shared settings (HARKEN_<NAME> in the environment)."""

    email_group_seconds: int = 30
    retry_base_seconds: float = 60.0
    notify_concurrency: int = 16


@dataclass
class NotifyDeps:
    """What the notifier talks to. `client(service)` returns a boto3 client (harken.store.aws.client
    in Lambda); the repositories wrap table resources."""

    watches: WatchRepo
    mentions: MentionRepo
    state: StateRepo
    client: Callable[[str], Any]
    settings: NotifierSettings
    transport: Any = None  # httpx transport override (tests, bench)
    clock: Callable[[], float] = time.time
    rand: Callable[[], float] = random.random
    webhook_policy: Any = None  # harken.alerts.webhook.RetryPolicy
    time_left: Callable[[], float] | None = None  # seconds the invocation has left (Lambda context)

    def webhook_budget(self) -> float | None:
        """Seconds webhook posts may take: the time left less a margin to record the results."""
        if self.time_left is None:
            return None
        return max(1.0, self.time_left() - 8.0)


@dataclass
class Outcome:
    """Per-record failures to report to Lambda, and counters for metrics."""

    failures: dict[str, Exception] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)


class DeliveryFailed(RuntimeError):
    """A delivery could not be made and its retry could not be scheduled (or, on the retry queue,
    the attempt failed: the message comes back after its backoff, or after the receiver's
    Retry-After when that is longer)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


# ------------------------------------------------------------------ entry points


def process_stream_records(records: Sequence[dict[str, Any]], deps: NotifyDeps) -> Outcome:
    """Handle a batch of MentionsTable stream records (INSERT, NEW_IMAGE in DynamoDB JSON).
    Records are keyed by their SequenceNumber in the outcome."""
    from boto3.dynamodb.types import TypeDeserializer

    from harken.store.dynamo import mention_from_item

    out = Outcome()
    deser = TypeDeserializer()
    by_id: dict[str, Mention] = {}
    rids: dict[str, list[str]] = {}
    for record in records:
        rid = str(record.get("dynamodb", {}).get("SequenceNumber", ""))
        if record.get("eventName") != "INSERT":
            out.counts["skipped"] += 1
            continue
        image = record.get("dynamodb", {}).get("NewImage") or {}
        try:
            mention = mention_from_item({k: deser.deserialize(v) for k, v in image.items()})
        except Exception as exc:  # a record that can never parse must not block the shard
            log.warning("unreadable stream record skipped", extra={"record": rid, "error": str(exc)[:200]})
            out.counts["unreadable"] += 1
            continue
        by_id.setdefault(mention.id, mention)
        rids.setdefault(mention.id, []).append(rid)
    failed = deliver_instant(list(by_id.values()), deps, out)
    for mention_id, error in failed.items():
        for rid in rids.get(mention_id, []):
            out.failures[rid] = error
    return out


def process_delivery_messages(records: Sequence[dict[str, Any]], deps: NotifyDeps) -> Outcome:
    """Handle a batch of DeliveryQueue messages (SQS records), keyed by messageId in the outcome.
    A failed attempt is postponed by its backoff and reported failed, so the queue retries it and,
    after maxReceiveCount, moves it to the DeliveryDLQ."""
    from harken.alerts import queue

    out = Outcome()
    hooks: list[tuple[str, dict[str, Any]]] = []
    spikes: list[tuple[str, dict[str, Any]]] = []
    flushes: dict[tuple[str, str], list[str]] = {}
    for record in records:
        rid = str(record.get("messageId", ""))
        try:
            message = queue.parse(record.get("body", ""))
        except Exception as exc:
            log.warning("unreadable delivery message dropped", extra={"record": rid, "error": str(exc)[:200]})
            out.counts["unreadable"] += 1
            continue
        if message["type"] == "webhook":
            hooks.append((rid, message))
        elif message["type"] == "spike_webhook":
            spikes.append((rid, message))
        else:
            flushes.setdefault((message["tenant_id"], message["watch_id"]), []).append(rid)

    failed: dict[str, Exception] = {}
    if hooks:
        failed.update(_retry_webhooks(hooks, deps, out))
    if spikes:
        failed.update(_retry_spike_webhooks(spikes, deps, out))
    for (tenant_id, watch_id), ids in flushes.items():
        try:
            _flush_email(tenant_id, watch_id, deps, out)
        except Exception as exc:
            log.warning("grouped email failed", extra={"watch_id": watch_id, "error": str(exc)[:300]})
            for rid in ids:
                failed[rid] = exc

    by_rid = {str(r.get("messageId", "")): r for r in records}
    for rid, error in failed.items():
        record = by_rid.get(rid, {})
        attempt = int(record.get("attributes", {}).get("ApproximateReceiveCount", "1") or 1)
        delay = queue.backoff_seconds(
            attempt, deps.settings.retry_base_seconds, queue.MAX_VISIBILITY_SECONDS, deps.rand()
        )
        asked = getattr(error, "retry_after", None)
        if asked:
            delay = min(max(delay, int(asked) + 1), queue.MAX_VISIBILITY_SECONDS)
        try:
            queue.postpone(
                deps.client("sqs"), deps.settings.delivery_queue_url, record["receiptHandle"], delay
            )
        except Exception as post_exc:  # the queue's own visibility timeout then spaces the retry
            log.warning("could not postpone a retry", extra={"record": rid, "error": str(post_exc)[:200]})
        out.failures[rid] = error
        out.counts["retry_later"] += 1
    return out


# ------------------------------------------------------------------ instant alerts


def deliver_instant(mentions: Sequence[Mention], deps: NotifyDeps, out: Outcome) -> dict[str, Exception]:
    """Send the instant email and webhooks each mention's watch asks for. Returns the mentions
    whose failure could not even be scheduled for a retry (their records must be retried)."""
    failed: dict[str, Exception] = {}
    watches: dict[tuple[str, str], Watch | None] = {}
    groups: dict[tuple[str, str], list[Mention]] = {}
    for m in mentions:
        key = (m.tenant_id, m.watch_id)
        if key not in watches:
            watches[key] = deps.watches.get(*key)
        watch = watches[key]
        if watch is None or not wants_instant(watch.alerts, m):
            out.counts["not_alerted"] += 1
            continue
        groups.setdefault(key, []).append(m)

    hook_jobs: list[tuple[Mention, Watch, Any]] = []
    for key, group in groups.items():
        watch = watches[key]
        assert watch is not None
        if watch.alerts.email:
            try:
                _email_fresh(watch, group, deps, out)
            except Exception as exc:
                log.warning(
                    "instant email not scheduled", extra={"watch_id": watch.id, "error": str(exc)[:300]}
                )
                for m in group:
                    failed[m.id] = exc
        hook_jobs.extend((m, watch, hook) for m in group for hook in watch.alerts.webhooks)
    if hook_jobs:
        failed.update(_send_webhooks(hook_jobs, deps, out, first_attempt=True))
    return failed


# ------------------------------------------------------------------ email


def _email_fresh(watch: Watch, mentions: list[Mention], deps: NotifyDeps, out: Outcome) -> None:
    from harken.alerts import queue

    now = deps.clock()
    window = deps.settings.email_group_seconds
    last = float(ledger.email_state(deps.state, watch.id).get("last_sent", 0) or 0)
    ids = [m.id for m in mentions]
    if window > 0 and now - last < window:
        # an email for this watch just went: group these into the next one (a redelivered record
        # whose email already went is not queued again)
        ids = [i for i in ids if deps.state.delivery_status(f"{i}#email") not in ("sent", "refused")]
        if not ids:
            return
        ledger.add_pending(deps.state, watch.id, ids)
        _schedule_flush(watch, deps, math.ceil(last + window - now) + 1)
        out.counts["email_grouped"] += len(ids)
        return
    leftover = _send_email_group(watch, mentions, deps, out)
    if leftover:
        ledger.add_pending(deps.state, watch.id, leftover)
        delay = queue.backoff_seconds(
            1, deps.settings.retry_base_seconds, queue.MAX_DELAY_SECONDS, deps.rand()
        )
        _schedule_flush(watch, deps, max(delay, window))


def _schedule_flush(watch: Watch, deps: NotifyDeps, delay: int) -> None:
    from harken.alerts import queue

    queue.enqueue(
        deps.client("sqs"),
        deps.settings.delivery_queue_url,
        {"type": "email", "tenant_id": watch.tenant_id, "watch_id": watch.id},
        delay,
    )


def _send_email_group(watch: Watch, mentions: list[Mention], deps: NotifyDeps, out: Outcome) -> list[str]:
    """Claim, send one email for, and complete up to EMAIL_GROUP_MAX mentions. Returns the ids that
    still need an email (over the cap, held by another worker, or failed to send)."""
    from harken.alerts import ses
    from harken.alerts.email import build_mime, render_instant

    claimed: list[Mention] = []
    later: list[str] = []
    done: list[str] = []
    for m in sorted(mentions, key=lambda m: m.published_at):
        if len(claimed) >= EMAIL_GROUP_MAX:
            later.append(m.id)
            continue
        state = ledger.claim(deps.state, f"{m.id}#email", deps.clock())
        if state is Claim.CLAIMED:
            claimed.append(m)
        elif state is Claim.BUSY:
            later.append(m.id)
        else:
            done.append(m.id)
            out.counts["email_duplicate_skipped"] += 1
    if done:
        ledger.take_pending(deps.state, watch.id, done)
    if not claimed:
        return later
    settings = deps.settings
    try:
        rendered = render_instant(watch, claimed, api_url=settings.api_url)
        raw = build_mime(
            rendered,
            sender=settings.sender_email,
            to=watch.alerts.email,
            reply_to=settings.reply_to_email,
            headers={"X-Harken-Watch": watch.id},
        )
        message_id = ses.send_raw(
            deps.client("ses"),
            raw,
            sender=settings.sender_email,
            destinations=watch.alerts.email,
            configuration_set=settings.ses_configuration_set,
        )
    except Exception as exc:
        log.warning("email send failed", extra={"watch_id": watch.id, "error": str(exc)[:300]})
        for m in claimed:
            ledger.release(deps.state, f"{m.id}#email")
        out.counts["email_failed"] += 1
        return later + [m.id for m in claimed]
    for m in claimed:
        deps.state.complete_delivery(f"{m.id}#email", f"ses {message_id}")
    ledger.mark_email_sent(deps.state, watch.id, deps.clock())
    ledger.take_pending(deps.state, watch.id, [m.id for m in claimed])
    out.counts["emails_sent"] += 1
    out.counts["email_alerts_sent"] += len(claimed)
    return later


def _flush_email(tenant_id: str, watch_id: str, deps: NotifyDeps, out: Outcome) -> None:
    """Send the grouped email of a watch's buffered mentions (a DeliveryQueue message asked for it).
    Raises when the send failed, so the message is retried with backoff."""
    now = deps.clock()
    state = ledger.email_state(deps.state, watch_id)
    pending = sorted(str(x) for x in state.get("pending", []) or [])
    if not pending:
        return
    watch = deps.watches.get(tenant_id, watch_id)
    if watch is None or not watch.alerts.email:
        ledger.take_pending(deps.state, watch_id, pending)
        return
    window = deps.settings.email_group_seconds
    last = float(state.get("last_sent", 0) or 0)
    if window > 0 and now - last < window:
        _schedule_flush(watch, deps, math.ceil(last + window - now) + 1)
        return
    mentions: list[Mention] = []
    gone: list[str] = []
    for mention_id in pending:
        m = deps.mentions.get(mention_id)
        if m is None:
            gone.append(mention_id)
        else:
            mentions.append(m)
    if gone:
        ledger.take_pending(deps.state, watch_id, gone)
    if not mentions:
        return
    before = out.counts["emails_sent"]
    leftover = _send_email_group(watch, mentions, deps, out)
    if out.counts["emails_sent"] == before and leftover:
        raise DeliveryFailed(f"grouped email for {watch_id} not sent")
    if leftover:
        _schedule_flush(watch, deps, max(window, 30))


# ------------------------------------------------------------------ webhooks


def _send_webhooks(
    jobs: Sequence[tuple[Mention, Watch, Any]], deps: NotifyDeps, out: Outcome, *, first_attempt: bool
) -> dict[str, Exception]:
    """Claim, post concurrently and complete each (mention, webhook). On the first attempt a failure
    is scheduled for retry on the DeliveryQueue; returns mention id -> error for those that could
    not be scheduled (first attempt) or that failed (retry attempt: key is the delivery id)."""
    from harken.alerts import queue
    from harken.alerts.secrets import resolve_secret
    from harken.alerts.webhook import build_request, hook_key, post_all

    settings = deps.settings
    requests = []
    owners: dict[str, tuple[Mention, Watch, Any]] = {}
    failed: dict[str, Exception] = {}

    def schedule(m: Mention, watch: Watch, hook: Any, delay: int) -> None:
        message = {
            "type": "webhook",
            "tenant_id": watch.tenant_id,
            "watch_id": watch.id,
            "mention_id": m.id,
            "hook": hook_key(hook.url),
        }
        try:
            queue.enqueue(deps.client("sqs"), settings.delivery_queue_url, message, delay)
            out.counts["webhook_retry_scheduled"] += 1
        except Exception as exc:
            log.error("webhook retry not scheduled", extra={"mention_id": m.id, "error": str(exc)[:200]})
            failed[m.id] = exc

    ids = [f"{m.id}#webhook#{hook_key(hook.url)}" for m, _, hook in jobs]
    # ledger round trips dominate once posts run concurrently: make them concurrently too
    claims = _parallel(
        lambda did: ledger.claim(deps.state, did, deps.clock()), ids, settings.notify_concurrency
    )
    for (m, watch, hook), did, state in zip(jobs, ids, claims, strict=True):
        if state is Claim.DONE:
            out.counts["webhook_duplicate_skipped"] += 1
            continue
        if state is Claim.BUSY:
            if first_attempt:
                schedule(m, watch, hook, ledger.busy_delay())
            else:
                failed[did] = DeliveryFailed("another worker holds this delivery")
            continue
        try:
            secret = resolve_secret(hook.secret, deps.client("secretsmanager")) if hook.secret else None
            requests.append(build_request(m, watch, hook, secret, api_url=settings.api_url))
            owners[did] = (m, watch, hook)
        except Exception as exc:
            ledger.release(deps.state, did)
            log.warning("webhook not built", extra={"delivery": did, "error": type(exc).__name__})
            if first_attempt:
                schedule(m, watch, hook, _first_delay(deps))
            else:
                failed[did] = exc

    kwargs: dict[str, Any] = {
        "allow_private": settings.allow_private_urls,
        "require_https": True,
        "concurrency": settings.notify_concurrency,
        "transport": deps.transport,
    }
    if deps.webhook_policy is not None:
        kwargs["policy"] = deps.webhook_policy
    kwargs["time_budget"] = deps.webhook_budget()
    results = post_all(requests, **kwargs) if requests else []
    delivered = [r for r in results if r.ok]
    _parallel(
        lambda r: deps.state.complete_delivery(r.delivery_id, f"HTTP {r.status}"),
        delivered,
        settings.notify_concurrency,
    )
    out.counts["webhooks_sent"] += len(delivered)
    for result in results:
        m, watch, hook = owners[result.delivery_id]
        if result.ok:
            continue
        elif result.permanent:
            ledger.refuse(deps.state, result.delivery_id, result.error)
            log.warning("webhook refused", extra={"delivery": result.delivery_id, "error": result.error})
            out.counts["webhooks_refused"] += 1
        else:
            ledger.release(deps.state, result.delivery_id)
            log.info(
                "webhook failed, will retry",
                extra={"delivery": result.delivery_id, "error": result.error, "attempts": result.attempts},
            )
            out.counts["webhook_failed_attempts"] += 1
            if first_attempt:
                delay = _first_delay(deps)
                if result.retry_after:
                    from harken.alerts import queue

                    delay = min(max(delay, int(result.retry_after) + 1), queue.MAX_DELAY_SECONDS)
                schedule(m, watch, hook, delay)
            else:
                failed[result.delivery_id] = DeliveryFailed(result.error, result.retry_after)
    return failed


def _parallel(fn: Callable[[Any], Any], items: Sequence[Any], workers: int) -> list[Any]:
    """fn over items on a few threads (boto3 clients are thread-safe), results in order."""
    if workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(workers, len(items))) as pool:
        return list(pool.map(fn, items))


def _first_delay(deps: NotifyDeps) -> int:
    from harken.alerts import queue

    return queue.backoff_seconds(1, deps.settings.retry_base_seconds, queue.MAX_DELAY_SECONDS, deps.rand())


def _retry_spike_webhooks(
    messages: Sequence[tuple[str, dict[str, Any]]], deps: NotifyDeps, out: Outcome
) -> dict[str, Exception]:
    """Post again the spike alerts (their body as first built) whose webhook failed in the digest
    function; returns messageId -> error for the attempts that failed again."""
    from harken.alerts.secrets import resolve_secret
    from harken.alerts.webhook import WebhookRequest, hook_key, post_all

    failed: dict[str, Exception] = {}
    requests: list[WebhookRequest] = []
    rids: dict[str, str] = {}
    for rid, msg in messages:
        watch = deps.watches.get(str(msg.get("tenant_id", "")), str(msg.get("watch_id", "")))
        hook = next(
            (h for h in (watch.alerts.webhooks if watch else []) if hook_key(h.url) == msg.get("hook")), None
        )
        did = str(msg.get("delivery_id", ""))
        if hook is None or not did.startswith("spike#"):
            out.counts["retry_obsolete"] += 1  # watch or webhook deleted meanwhile
            continue
        state = ledger.claim(deps.state, did, deps.clock())
        if state is Claim.DONE:
            out.counts["webhook_duplicate_skipped"] += 1
            continue
        if state is Claim.BUSY:
            failed[rid] = DeliveryFailed("another worker holds this delivery")
            continue
        try:
            secret = resolve_secret(hook.secret, deps.client("secretsmanager")) if hook.secret else None
        except Exception as exc:
            ledger.release(deps.state, did)
            failed[rid] = exc
            continue
        requests.append(
            WebhookRequest(did, hook.url, str(msg.get("body", "")).encode(), secret, event="spike")
        )
        rids[did] = rid
    kwargs: dict[str, Any] = {
        "allow_private": deps.settings.allow_private_urls,
        "require_https": True,
        "transport": deps.transport,
    }
    if deps.webhook_policy is not None:
        kwargs["policy"] = deps.webhook_policy
    kwargs["time_budget"] = deps.webhook_budget()
    for result in post_all(requests, **kwargs) if requests else []:
        if result.ok:
            deps.state.complete_delivery(result.delivery_id, f"HTTP {result.status}")
            out.counts["webhooks_sent"] += 1
        elif result.permanent:
            ledger.refuse(deps.state, result.delivery_id, result.error)
            out.counts["webhooks_refused"] += 1
        else:
            ledger.release(deps.state, result.delivery_id)
            failed[rids[result.delivery_id]] = DeliveryFailed(result.error, result.retry_after)
    return failed


def _retry_webhooks(
    messages: Sequence[tuple[str, dict[str, Any]]], deps: NotifyDeps, out: Outcome
) -> dict[str, Exception]:
    """Post the webhooks of retry messages; returns messageId -> error for the attempts that failed."""
    from harken.alerts.webhook import hook_key

    jobs: list[tuple[Mention, Watch, Any]] = []
    rid_of: dict[str, list[str]] = {}
    watches: dict[tuple[str, str], Watch | None] = {}
    for rid, msg in messages:
        key = (str(msg.get("tenant_id", "")), str(msg.get("watch_id", "")))
        if key not in watches:
            watches[key] = deps.watches.get(*key)
        watch = watches[key]
        mention = deps.mentions.get(str(msg.get("mention_id", "")))
        hook = next(
            (h for h in (watch.alerts.webhooks if watch else []) if hook_key(h.url) == msg.get("hook")), None
        )
        if watch is None or mention is None or hook is None:
            out.counts["retry_obsolete"] += 1  # watch, mention or webhook deleted meanwhile
            continue
        did = f"{mention.id}#webhook#{hook_key(hook.url)}"
        if did not in rid_of:
            jobs.append((mention, watch, hook))
        rid_of.setdefault(did, []).append(rid)
    failed = _send_webhooks(jobs, deps, out, first_attempt=False)
    return {rid: exc for did, exc in failed.items() for rid in rid_of.get(did, [])}
