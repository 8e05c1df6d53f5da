"""Ingest: an item from the MentionQueue becomes a stored mention, once per watch, or nothing."""

from __future__ import annotations

import time
from typing import Any

from harken.ids import build_mention
from harken.models import Item, Mention, Watch
from harken.store.dynamo import MentionRepo, StateRepo, WatchRepo

WATCH_CACHE_SECONDS = 30


class WatchCache:
    """Watches by (tenant, id) for a short time: a batch of items mostly shares a few watches."""

    def __init__(self, repo: WatchRepo, ttl: float = WATCH_CACHE_SECONDS) -> None:
        self.repo = repo
        self.ttl = ttl
        self._cache: dict[tuple[str, str], tuple[float, Watch | None]] = {}

    def get(self, tenant_id: str, watch_id: str) -> Watch | None:
        key = (tenant_id, watch_id)
        hit = self._cache.get(key)
        if hit and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        watch = self.repo.get(tenant_id, watch_id)
        self._cache[key] = (time.monotonic(), watch)
        return watch


def ingest_item(
    message: dict[str, Any],
    *,
    watches: WatchCache,
    mentions: MentionRepo,
    state: StateRepo,
    classifier: Any,
) -> tuple[str, Mention | None]:
    """Classify one queued item for its watch and store it. Returns (outcome, mention) where outcome
    is stored | duplicate | not_a_mention | watch_gone. Raises on a malformed message."""
    tenant_id = str(message["tenant_id"])
    watch_id = str(message["watch_id"])
    item = Item.model_validate(message["item"])
    watch = watches.get(tenant_id, watch_id)
    if watch is None:
        return "watch_gone", None
    classification = classifier.classify(watch, item)
    if classification is None:
        return "not_a_mention", None
    mention = build_mention(watch.id, watch.tenant_id, item, classification)
    state.add_months(mention)  # idempotent, before the put so a stored mention is always findable
    stored = mentions.put_new(mention)
    return ("stored" if stored else "duplicate"), mention
