"""`harken deliveries redrive`: move alert deliveries that exhausted their retries from the
DeliveryDLQ back to the DeliveryQueue (after the receiver is fixed). Each message is sent to the
queue before it is deleted from the DLQ, so an interrupted redrive loses nothing; the ledger makes a
message moved twice harmless."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def redrive(
    sqs: Any, dlq_url: str, queue_url: str, *, limit: int | None = None, dry_run: bool = False
) -> int:
    """Move up to `limit` messages (all when None); returns how many were moved (or seen, dry run)."""
    if dry_run:
        attrs = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["ApproximateNumberOfMessages"])
        count = int(attrs["Attributes"].get("ApproximateNumberOfMessages", 0))
        return count if limit is None else min(limit, count)
    moved = 0
    while limit is None or moved < limit:
        batch = min(10, limit - moved) if limit is not None else 10
        messages = sqs.receive_message(
            QueueUrl=dlq_url,
            MaxNumberOfMessages=batch,
            WaitTimeSeconds=0,
            VisibilityTimeout=60,
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            break
        entries = [
            {
                "Id": str(i),
                "MessageBody": m["Body"],
                **({"MessageAttributes": m["MessageAttributes"]} if m.get("MessageAttributes") else {}),
            }
            for i, m in enumerate(messages)
        ]
        sent = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        ok = {e["Id"] for e in sent.get("Successful", [])}
        done = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
            for i, m in enumerate(messages)
            if str(i) in ok
        ]
        if done:
            sqs.delete_message_batch(QueueUrl=dlq_url, Entries=done)
        moved += len(done)
        if len(done) < len(messages):
            raise RuntimeError(
                f"{len(messages) - len(done)} messages could not be sent back; they stay in the DLQ"
            )
    return moved


def redrive_main(argv: list[str]) -> int:
    """Entry point of `harken deliveries redrive [--dlq-url URL] [--queue-url URL] [--limit N] [--dry-run]`."""
    parser = argparse.ArgumentParser(
        prog="harken deliveries redrive",
        description="Move failed alert deliveries from the DeliveryDLQ back to the DeliveryQueue.",
    )
    parser.add_argument("--dlq-url", default=os.environ.get("HARKEN_DELIVERY_DLQ_URL", ""))
    parser.add_argument("--queue-url", default=os.environ.get("HARKEN_DELIVERY_QUEUE_URL", ""))
    parser.add_argument("--limit", type=int, default=None, help="move at most N messages")
    parser.add_argument("--dry-run", action="store_true", help="count the messages, move nothing")
    args = parser.parse_args(argv)
    if not args.dlq_url or not args.queue_url:
        print(
            "harken deliveries redrive: need --dlq-url and --queue-url "
            "(or HARKEN_DELIVERY_DLQ_URL and HARKEN_DELIVERY_QUEUE_URL)",
            file=sys.stderr,
        )
        return 2
    from harken.store import aws

    try:
        count = redrive(
            aws.client("sqs"), args.dlq_url, args.queue_url, limit=args.limit, dry_run=args.dry_run
        )
    except Exception as exc:
        print(f"harken deliveries redrive: {exc}", file=sys.stderr)
        return 1
    verb = "would move" if args.dry_run else "moved"
    print(f"{verb} {count} deliver{'y' if count == 1 else 'ies'} from the DLQ to the delivery queue")
    return 0
