"""The API in-process over moto: keys for two tenants, helpers that store watches and mentions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.integration.api.gateway import Gateway

KEY_A, KEY_B = "hk_test_tenant_a_key_0001", "hk_test_tenant_b_key_0002"
BASE = datetime(2026, 3, 9, 12, 0, 0, tzinfo=UTC)

WATCH = {
    "name": "Acme Cloud",
    "terms": {"brand": ["Acme Cloud"], "leads": ["best cloud backup"]},
    "sources": [{"type": "hackernews"}, {"type": "rss", "url": "https://example.com/feed.xml"}],
    "alerts": {"webhooks": [{"url": "https://hooks.example.com/x", "format": "json", "secret": "s3cret"}]},
}


@pytest.fixture
def api(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Gateway]:
    from harken.api import deps as api_deps
    from harken.store.dynamo import StateRepo

    monkeypatch.setenv("HARKEN_CURSOR_SECRET", "test-cursor-secret-0123456789")
    api_deps.reset()
    gateway = Gateway()
    state = StateRepo(api_deps.deps().state.table)
    state.put_api_key(KEY_A, "tenant-a")
    state.put_api_key(KEY_B, "tenant-b")
    yield gateway
    api_deps.reset()


def make_mention(
    watch_id: str,
    tenant_id: str,
    n: int,
    *,
    published: datetime | None = None,
    category: str = "reputation",
    sentiment: str = "neutral",
    status: str = "new",
    intents: list[str] | None = None,
    source: str = "hackernews",
    language: str = "en",
    text: str | None = None,
) -> Any:
    from harken.models import Mention

    published = published or BASE - timedelta(minutes=n)
    return Mention(
        id=f"m_{watch_id[2:10]}{n:016d}",
        watch_id=watch_id,
        tenant_id=tenant_id,
        source=source,
        url=f"https://news.example.com/{watch_id}/{n}",
        title=f"Item {n}",
        text=text or f"Acme Cloud item number {n}",
        author="someone",
        published_at=published,
        fetched_at=published + timedelta(minutes=1),
        language=language,
        matches=[{"term": "Acme Cloud", "kind": "brand", "how": "exact"}],
        category=category,
        sentiment={
            "label": sentiment,
            "score": {"positive": 0.6, "neutral": 0.0, "negative": -0.6}[sentiment],
        },
        intents=intents or [],
        status=status,
    )


def store(mentions: list[Any]) -> None:
    """Store mentions as the classifier does: conditional put, then the month registry."""
    from harken.api.deps import deps

    d = deps()
    for mention in mentions:
        d.mentions.put_new(mention)
        d.state.add_months(mention)


def create_watch(api: Gateway, key: str = KEY_A, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = api.request("POST", "/watches", key=key, json_body=body or WATCH)
    assert response.status == 201, response.text
    return response.json()
