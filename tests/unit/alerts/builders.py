"""Plain-data builders for alert tests: a watch and its mentions (no AWS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from harken.models import Alerts, Match, Mention, Sentiment, Terms, Watch, Webhook


def make_watch(
    *,
    watch_id: str = "w_test",
    tenant_id: str = "t1",
    name: str = "Acme Cloud",
    email: list[str] | None = None,
    webhooks: list[Webhook] | None = None,
    instant: Any = "default",
    digest: str = "off",
    created_at: datetime | None = None,
) -> Watch:
    alerts: dict[str, Any] = {
        "email": ["team@example.com"] if email is None else email,
        "webhooks": webhooks or [],
        "digest": digest,
    }
    if instant != "default":
        alerts["instant"] = instant
    now = created_at or datetime(2026, 1, 1, tzinfo=UTC)
    return Watch(
        id=watch_id,
        tenant_id=tenant_id,
        name=name,
        terms=Terms(brand=["Acme Cloud"]),
        alerts=Alerts.model_validate(alerts),
        created_at=now,
        updated_at=now,
    )


def make_mention(
    n: int = 0,
    *,
    watch: Watch | None = None,
    category: str = "reputation",
    label: str = "negative",
    score: float = -0.7,
    intents: list[str] | None = None,
    text: str = "Acme Cloud lost my backups again, support does not answer.",
    title: str | None = "Acme Cloud is down",
    published_at: datetime | None = None,
    source: str = "reddit",
) -> Mention:
    watch_id = watch.id if watch else "w_test"
    tenant_id = watch.tenant_id if watch else "t1"
    published = published_at or datetime(2026, 3, 9, 6, 12, 41, tzinfo=UTC) + timedelta(minutes=n)
    return Mention(
        id=f"m_{watch_id}_{n:04d}",
        watch_id=watch_id,
        tenant_id=tenant_id,
        source=source,
        url=f"https://www.reddit.com/r/acme/comments/{n}",
        title=title,
        text=text,
        author=f"user{n}",
        published_at=published,
        fetched_at=published + timedelta(minutes=1),
        language="en",
        matches=[Match(term="Acme Cloud", kind="brand", how="exact")],
        category=category,  # type: ignore[arg-type]
        sentiment=Sentiment(label=label, score=score),  # type: ignore[arg-type]
        intents=intents if intents is not None else ["complaint"],
    )
