"""The delivery ledger seen from the alert senders, plus the small per-watch alert state kept in the
StateTable: the instant-email grouping buffer (pk `E#<watch>`) and spike episodes (`SP#<watch>`).

Built on StateRepo (harken.store.dynamo); takes the repository, creates no client."""

from __future__ import annotations

import time
from enum import Enum
from typing import Any

from harken.store.dynamo import LEDGER_LEASE_SECONDS, StateRepo, _conditional_failed


class Claim(Enum):
    CLAIMED = "claimed"  # this worker may send now
    DONE = "done"  # sent (or permanently refused) before: never send again
    BUSY = "busy"  # another worker holds a live lease: check again after it expires


def claim(state: StateRepo, delivery_id: str, now: float | None = None) -> Claim:
    """Take the right to send `delivery_id`, telling a finished delivery from one in flight."""
    for _ in range(2):
        if state.claim_delivery(delivery_id, now=now):
            return Claim.CLAIMED
        status = state.delivery_status(delivery_id)
        if status == "sending":
            return Claim.BUSY
        if status is not None:
            return Claim.DONE
        # released between our put and our read: try once more
    return Claim.BUSY


def busy_delay() -> int:
    """How long to wait before looking at a delivery another worker holds (its lease, plus slack)."""
    return LEDGER_LEASE_SECONDS + 5


def release(state: StateRepo, delivery_id: str) -> None:
    """Give a claim back after a failed attempt (a missing or finished record is left alone)."""
    try:
        state.release_delivery(delivery_id)
    except Exception as exc:
        if not _conditional_failed(exc):
            raise


def refuse(state: StateRepo, delivery_id: str, reason: str) -> None:
    """Record a delivery that must never be attempted again (its URL is refused by the SSRF guard)."""
    state.table.update_item(
        Key={"pk": f"D#{delivery_id}"},
        UpdateExpression="SET #s = :refused, detail = :d, sent_at = :t REMOVE lease_until",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":refused": "refused", ":d": reason[:500], ":t": int(time.time())},
    )


# ------------------------------------------------------------------ instant-email grouping


def email_state(state: StateRepo, watch_id: str) -> dict[str, Any]:
    return state.get(f"E#{watch_id}") or {}


def add_pending(state: StateRepo, watch_id: str, mention_ids: list[str]) -> None:
    if mention_ids:
        state.table.update_item(
            Key={"pk": f"E#{watch_id}"},
            UpdateExpression="ADD pending :ids SET expires_at = :x",
            ExpressionAttributeValues={":ids": set(mention_ids), ":x": int(time.time()) + 30 * 86400},
        )


def take_pending(state: StateRepo, watch_id: str, mention_ids: list[str]) -> None:
    """Drop ids from the buffer once they are sent (others added meanwhile stay)."""
    if mention_ids:
        state.table.update_item(
            Key={"pk": f"E#{watch_id}"},
            UpdateExpression="DELETE pending :ids",
            ExpressionAttributeValues={":ids": set(mention_ids)},
        )


def mark_email_sent(state: StateRepo, watch_id: str, now: float) -> None:
    state.table.update_item(
        Key={"pk": f"E#{watch_id}"},
        UpdateExpression="SET last_sent = :t, expires_at = :x",
        ExpressionAttributeValues={":t": int(now), ":x": int(now) + 30 * 86400},
    )


# ------------------------------------------------------------------ spike episodes


def spike_state(state: StateRepo, watch_id: str) -> dict[str, Any]:
    return state.get(f"SP#{watch_id}") or {}


def set_spike_state(state: StateRepo, watch_id: str, active: dict[str, str]) -> None:
    """`active` maps a spike kind (volume, negative) to the window its episode started in."""
    state.put(f"SP#{watch_id}", active=active, updated_at=int(time.time()))
