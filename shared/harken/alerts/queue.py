"""The DeliveryQueue: retry messages for alert deliveries that failed once, and the backoff that
spaces their attempts. Takes its SQS client; creates none."""

from __future__ import annotations

import json
import random
from typing import Any

MAX_DELAY_SECONDS = 900  # SQS DelaySeconds cap
MAX_VISIBILITY_SECONDS = 12 * 3600  # SQS visibility timeout cap


def backoff_seconds(attempt: int, base: float, cap: float, rand: float | None = None) -> int:
    """Exponential backoff with jitter: base * 2^(attempt-1), capped, times a factor in [0.75, 1.25)
    so retries of many deliveries that failed together (a receiver that went down) spread out."""
    r = random.random() if rand is None else rand
    return max(0, int(min(cap, base * 2 ** max(0, attempt - 1)) * (0.75 + r / 2)))


def enqueue(sqs: Any, queue_url: str, message: dict[str, Any], delay: int) -> None:
    """Send one retry message, visible after `delay` seconds (at most 900)."""
    if not queue_url:
        raise RuntimeError("HARKEN_DELIVERY_QUEUE_URL is not set: cannot schedule a retry")
    sqs.send_message(
        QueueUrl=queue_url,
        MessageBody=json.dumps({"v": 1, **message}, separators=(",", ":")),
        DelaySeconds=max(0, min(MAX_DELAY_SECONDS, int(delay))),
    )


def postpone(sqs: Any, queue_url: str, receipt_handle: str, seconds: int) -> None:
    """Keep a failed message invisible for `seconds` before its next receive (its receive count is
    the attempt number; after the queue's maxReceiveCount it moves to the DLQ)."""
    sqs.change_message_visibility(
        QueueUrl=queue_url,
        ReceiptHandle=receipt_handle,
        VisibilityTimeout=max(0, min(MAX_VISIBILITY_SECONDS, int(seconds))),
    )


def parse(body: str) -> dict[str, Any]:
    data = json.loads(body)
    if not isinstance(data, dict) or data.get("type") not in ("webhook", "email", "spike_webhook"):
        raise ValueError("not a Harken delivery message")
    return data
