"""The handling workflow of a mention: status, note, assignee, with a history of every change and
the time from detection (fetched_at) to handled."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from harken.models import Mention, as_utc, iso

HISTORY_MAX = 200  # oldest changes are dropped beyond this; the item must stay far below 400 KB


def apply_patch(
    mention: Mention, changes: dict[str, Any], *, now: datetime, actor: str | None = None
) -> Mention:
    """The mention after a PATCH: only fields whose value changes are written to the history.

    Moving to `handled` stamps handled_at; leaving `handled` (reopening) clears it, so the time
    to handle always measures the latest resolution."""
    updated = mention.model_copy(deep=True)
    history = list(updated.history)
    stamp = iso(now)
    for field in ("status", "note", "assignee"):
        if field not in changes:
            continue
        old, new = getattr(updated, field), changes[field]
        if old == new:
            continue
        setattr(updated, field, new)
        entry: dict[str, Any] = {"at": stamp, "field": field, "from": old, "to": new}
        if actor:
            entry["by"] = actor
        history.append(entry)
    if "status" in changes and changes["status"] != mention.status:
        updated.handled_at = now if changes["status"] == "handled" else None
    updated.history = history[-HISTORY_MAX:]
    return updated


class ConcurrentChange(RuntimeError):
    """Others kept changing the mention while a change was being applied to it."""


class _Store(Protocol):
    def get_for_update(self, mention_id: str) -> tuple[Mention | None, int]: ...
    def replace(self, mention: Mention, *, revision: int) -> bool: ...


def owned_by(mention: Mention, tenant_id: str) -> bool:
    """Whether a mention belongs to this tenant (else the API answers 404, never 403)."""
    return mention.tenant_id == tenant_id


def update_mention(
    store: _Store,
    mention_id: str,
    tenant_id: str,
    changes: dict[str, Any],
    *,
    now: datetime,
    attempts: int = 5,
) -> Mention | None:
    """Apply a PATCH with optimistic locking: a mention someone changed since it was read is read
    again and the PATCH re-applied on top, so concurrent changes are never lost. None when the
    mention is not the tenant's; ConcurrentChange after `attempts` lost races."""
    for _attempt in range(attempts):
        mention, revision = store.get_for_update(mention_id) if mention_id.startswith("m_") else (None, 0)
        if mention is None or not owned_by(mention, tenant_id):
            return None
        updated = apply_patch(mention, changes, now=now)
        if updated == mention or store.replace(updated, revision=revision):
            return updated
    raise ConcurrentChange(mention_id)


def time_to_handle(mention: Mention) -> float | None:
    """Seconds from detection to handled, for a handled mention."""
    if mention.status != "handled" or mention.handled_at is None:
        return None
    # To the second, as both times are stored (the PATCH response said 310.38, later reads 310.0).
    handled = as_utc(mention.handled_at).replace(microsecond=0)
    return max(0.0, (handled - as_utc(mention.fetched_at).replace(microsecond=0)).total_seconds())


def public_view(mention: Mention) -> dict[str, Any]:
    """The mention as the API returns it."""
    data = mention.public()
    data["time_to_handle_seconds"] = time_to_handle(mention)
    return data
