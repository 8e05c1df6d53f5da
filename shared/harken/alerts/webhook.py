"""Webhooks: signed JSON payloads, Slack messages, and concurrent posting with timeouts, retries
(exponential backoff with jitter) and the SSRF guard on every hop, redirects included.

Payload building and signing are pure; `post_all` is the adapter and takes its transport."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harken.alerts.email import clean_block, handled_command, mention_api_url, one_line, safe_link
from harken.models import Mention, Watch, Webhook, iso

if TYPE_CHECKING:
    import httpx

SIGNATURE_HEADER = "X-Harken-Signature"
DELIVERY_HEADER = "X-Harken-Delivery"
EVENT_HEADER = "X-Harken-Event"
SLACK_TEXT_MAX = 2900  # Slack caps a section's text at 3000 characters
RETRYABLE_STATUS = frozenset({408, 409, 425, 429})


def hook_key(url: str) -> str:
    """A short stable id for a webhook, from its URL (indexes move when a watch is edited)."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def delivery_id(mention_id: str, hook: Webhook) -> str:
    """The ledger id of one (mention, webhook) delivery, also sent as X-Harken-Delivery: stable
    across retries so a receiver can drop a duplicate."""
    return f"{mention_id}#webhook#{hook_key(hook.url)}"


def sign(body: bytes, secret: str) -> str:
    """`sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with the secret>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, header: str | None) -> bool:
    """What a receiver does: recompute the signature and compare in constant time."""
    return bool(header) and hmac.compare_digest(sign(body, secret), str(header))


def json_body(mention: Mention) -> bytes:
    """The mention JSON (Mention.public()), compact UTF-8: the exact bytes that are signed."""
    return json.dumps(mention.public(), ensure_ascii=False, separators=(",", ":")).encode()


def _slack_escape(value: str) -> str:
    # Slack mrkdwn control characters; everything else is literal
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(mention: Mention, watch: Watch, *, api_url: str) -> dict[str, Any]:
    """A Slack incoming-webhook message (blocks plus a plain `text` fallback)."""
    label = f"{mention.sentiment.label} {mention.category.replace('_', '-')}"
    title = one_line(mention.title, 150) or one_line(mention.text, 150) or "(no title)"
    link = safe_link(mention.url)
    head = f"<{link.replace('|', '%7C')}|{_slack_escape(title)}>" if link else _slack_escape(title)
    quote = "\n".join("> " + _slack_escape(line) for line in clean_block(mention.text, 1200).split("\n"))
    matched = ", ".join(one_line(m.term, 60) for m in mention.matches) or "-"
    fields = [
        f"*Source:* {_slack_escape(one_line(mention.source, 40))}",
        f"*Author:* {_slack_escape(one_line(mention.author, 60) or 'unknown')}",
        f"*Sentiment:* {mention.sentiment.label} ({mention.sentiment.score:+.2f})",
        f"*Intents:* {_slack_escape(', '.join(mention.intents) or '-')}",
        f"*Matched:* {_slack_escape(matched)}",
        f"*Published:* {iso(mention.published_at)}",
    ]
    fallback = one_line(f"Harken ({watch.name}): {label} mention on {mention.source}: {title}", 300)
    return {
        "text": _slack_escape(fallback),
        "blocks": [
            {
                "type": "header",
                "text": {"type": "plain_text", "text": one_line(f"{watch.name}: {label} mention", 150)},
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{head}*\n{quote}"[:SLACK_TEXT_MAX]}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": f[:1900]} for f in fields]},
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": _slack_escape(
                            f"id {mention.id} - mark handled: PATCH {mention_api_url(api_url, mention.id)} "
                            '{"status":"handled"}'
                        )[:1900],
                    }
                ],
            },
        ],
    }


def slack_body(mention: Mention, watch: Watch, *, api_url: str) -> bytes:
    return json.dumps(slack_message(mention, watch, api_url=api_url), ensure_ascii=False).encode()


def spike_body(
    watch: Watch,
    alert: Sequence[Any],
    window: str,
    end: str,
    examples: Sequence[Mention],
    *,
    fmt: str,
    api_url: str,
) -> bytes:
    """A spike alert as JSON (`event: spike`) or as a Slack message."""
    kinds = [
        {
            "kind": v.kind,
            "count": v.count,
            "baseline_mean": round(v.mean, 2),
            "threshold": round(v.threshold, 2),
        }
        for v in alert
    ]
    if fmt == "slack":
        lines = [
            f"*Spike* for watch *{_slack_escape(one_line(watch.name, 150))}* between {window} and {end}:",
            *[f"• {k['kind']}: {k['count']} mentions (baseline {k['baseline_mean']}/window)" for k in kinds],
        ]
        for m in examples:
            # The same care as an instant message: one clean line, a link only to http(s).
            title = _slack_escape(one_line(m.title, 80) or one_line(m.text, 80) or "(no title)")
            link = safe_link(m.url)
            lines.append(f"• <{link.replace('|', '%7C')[:500]}|{title}>" if link else f"• {title}")
        text = "\n".join(lines)[:SLACK_TEXT_MAX]
        return json.dumps(
            {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]},
            ensure_ascii=False,
        ).encode()
    payload = {
        "event": "spike",
        "watch_id": watch.id,
        "watch_name": watch.name,
        "window_start": window,
        "window_end": end,
        "kinds": kinds,
        "examples": [m.public() for m in examples],
        "mentions_url": f"{api_url}/mentions?watch_id={watch.id}&since={window}&until={end}"
        if api_url
        else None,
    }
    return json.dumps(payload, ensure_ascii=False).encode()


@dataclass
class WebhookRequest:
    """One POST to make. `secret` is resolved plaintext and never logged or repr'd."""

    delivery_id: str
    url: str
    body: bytes
    secret: str | None = field(default=None, repr=False)
    event: str = "mention"

    def headers(self) -> dict[str, str]:
        from harken.net import USER_AGENT

        out = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            DELIVERY_HEADER: self.delivery_id,
            EVENT_HEADER: self.event,
        }
        if self.secret:
            out[SIGNATURE_HEADER] = sign(self.body, self.secret)
        return out


def build_request(
    mention: Mention, watch: Watch, hook: Webhook, secret: str | None, *, api_url: str
) -> WebhookRequest:
    body = slack_body(mention, watch, api_url=api_url) if hook.format == "slack" else json_body(mention)
    return WebhookRequest(delivery_id(mention.id, hook), hook.url, body, secret)


@dataclass
class WebhookResult:
    delivery_id: str
    ok: bool
    status: int | None = None
    attempts: int = 0
    error: str = ""
    permanent: bool = False  # refused by the URL guard: retrying cannot help
    retry_after: float | None = None  # seconds the receiver asked to wait (429/503 Retry-After)


@dataclass(frozen=True)
class RetryPolicy:
    """In-invocation retries (short); longer waits happen through the DeliveryQueue."""

    # worst case 2 x 5 s + backoff: well inside the notifier's 30 s timeout with the ledger calls
    attempts: int = 2
    base_seconds: float = 0.25
    max_seconds: float = 1.0
    timeout_seconds: float = 5.0
    connect_timeout_seconds: float = 3.0

    def delay(self, attempt: int, rand: float | None = None) -> float:
        """Exponential backoff with full jitter for the wait after attempt number `attempt` (1-based)."""
        r = random.random() if rand is None else rand
        return min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1)) * (0.5 + r / 2)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """A Retry-After header in seconds (delta seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    import time

    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _retryable(status: int) -> bool:
    return status >= 500 or status in RETRYABLE_STATUS


async def _post_one(
    client: httpx.AsyncClient,
    req: WebhookRequest,
    policy: RetryPolicy,
    require_https: bool,
    allow_private: bool,
    deadline: float | None = None,
) -> WebhookResult:
    import httpx

    from harken.net import UnsafeURL, assert_public_url

    result = WebhookResult(req.delivery_id, ok=False)
    try:
        # resolve the name before connecting; the request hook re-checks every redirect hop
        if allow_private:  # no name resolution needed: skip the thread hop
            assert_public_url(req.url, allow_private=True, require_https=require_https)
        else:
            await asyncio.to_thread(
                assert_public_url, req.url, allow_private=allow_private, require_https=require_https
            )
    except UnsafeURL as exc:
        result.error, result.permanent = f"refused: {exc}", True
        return result
    loop = asyncio.get_running_loop()
    for attempt in range(1, policy.attempts + 1):
        left = None if deadline is None else deadline - loop.time()
        if left is not None and left < 0.5:
            result.error = result.error or "not attempted: the invocation ran out of time"
            return result
        result.attempts = attempt
        try:
            post = client.post(req.url, content=req.body, headers=req.headers())
            response = await (post if left is None else asyncio.wait_for(post, left))
            result.status = response.status_code
            if 200 <= response.status_code < 300:
                result.ok, result.error = True, ""
                return result
            result.error = f"HTTP {response.status_code}"
            if 300 <= response.status_code < 400:
                # Not followed: a 301/302/303 turns the POST into a GET without the body (and a
                # 2xx to that would count as delivered), and a redirect may leave https. The
                # delivery fails (and ends in the DLQ) until the URL is the final address.
                where = response.headers.get("location", "")[:200]
                result.error = f"HTTP {response.status_code} redirect to {where!r}: use the final URL"
                return result
            if not _retryable(response.status_code):
                return result
            wait = retry_after_seconds(response.headers.get("retry-after"))
            if wait is not None:
                result.retry_after = wait
                if wait > policy.max_seconds:
                    return result  # the queue waits that long, not this invocation
        except UnsafeURL as exc:
            result.error, result.permanent = f"refused: {exc}", True
            return result
        except httpx.HTTPError as exc:
            result.error = f"{type(exc).__name__}: {str(exc)[:200]}"
        except TimeoutError:
            result.error = "timed out: the invocation ran out of time"
            return result
        if attempt < policy.attempts:
            await asyncio.sleep(policy.delay(attempt))
    return result


async def post_all_async(
    requests: Sequence[WebhookRequest],
    *,
    allow_private: bool,
    require_https: bool = False,
    concurrency: int = 16,
    policy: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    time_budget: float | None = None,
) -> list[WebhookResult]:
    """POST every request, at most `concurrency` at once; one result per request, in order.
    With a `time_budget` (seconds) every post ends by then (a failed, retryable result), so the
    caller has time to record what went: hung receivers ran a batch past the Lambda timeout, and
    the posts that had succeeded were not in the ledger and went again."""
    import httpx

    from harken.net import guard_hook, pinned_transport

    policy = policy or RetryPolicy()
    if not requests:
        return []
    sem = asyncio.Semaphore(max(1, concurrency))
    deadline = None if time_budget is None else asyncio.get_running_loop().time() + time_budget
    timeout = httpx.Timeout(policy.timeout_seconds, connect=policy.connect_timeout_seconds)
    limits = httpx.Limits(max_connections=max(1, concurrency), max_keepalive_connections=max(1, concurrency))
    if transport is None and not allow_private:
        # Connections go only to the public addresses checked at connect time (DNS rebinding).
        transport = pinned_transport(limits=limits, trust_env=False)
    async with httpx.AsyncClient(
        timeout=timeout,
        limits=limits,
        follow_redirects=False,
        event_hooks={"request": [guard_hook(allow_private)]},
        transport=transport,
        trust_env=False,
    ) as client:

        async def one(req: WebhookRequest) -> WebhookResult:
            async with sem:
                try:
                    return await _post_one(client, req, policy, require_https, allow_private, deadline)
                except Exception as exc:  # never let one hook break the batch
                    return WebhookResult(
                        req.delivery_id, ok=False, error=f"{type(exc).__name__}: {exc}"[:300]
                    )

        return list(await asyncio.gather(*(one(r) for r in requests)))


def post_all(requests: Sequence[WebhookRequest], **kwargs: Any) -> list[WebhookResult]:
    """Synchronous entry point for handlers (runs its own event loop)."""
    return asyncio.run(post_all_async(requests, **kwargs))


__all__ = [
    "DELIVERY_HEADER",
    "SIGNATURE_HEADER",
    "RetryPolicy",
    "WebhookRequest",
    "WebhookResult",
    "build_request",
    "delivery_id",
    "handled_command",
    "hook_key",
    "json_body",
    "post_all",
    "sign",
    "slack_message",
    "verify",
]
