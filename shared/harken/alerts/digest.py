"""Digest content, pure: counts by category and sentiment, the top negative reputation mentions
and the top crowd-marketing leads of one watch over one period."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from harken.alerts.email import DigestContent
from harken.models import CATEGORIES, SENTIMENTS, Mention, iso

TOP_N = 5
_LEAD_INTENTS = ("purchase_intent", "recommendation_request")


def _lead_rank(m: Mention) -> tuple[int, int, float]:
    intents = set(m.intents)
    return (
        0 if intents & set(_LEAD_INTENTS) else 1,
        0 if "question" in intents else 1,
        -m.published_at.timestamp(),
    )


def build_digest(
    mentions: Iterable[Mention], *, period: str, start: datetime, end: datetime, top_n: int = TOP_N
) -> DigestContent:
    """Summarise the mentions published in [start, end)."""
    items = list(mentions)
    by_category = {c: 0 for c in CATEGORIES}
    by_sentiment = {s: 0 for s in SENTIMENTS}
    for m in items:
        by_category[m.category] = by_category.get(m.category, 0) + 1
        by_sentiment[m.sentiment.label] = by_sentiment.get(m.sentiment.label, 0) + 1
    negative = sorted(
        (m for m in items if m.category == "reputation" and m.sentiment.label == "negative"),
        key=lambda m: (m.sentiment.score, -m.published_at.timestamp()),
    )
    leads = sorted((m for m in items if m.category == "crowd_marketing"), key=_lead_rank)
    # The community manager's share: what people said on the official pages, negative first.
    smm = sorted(
        (m for m in items if m.category == "smm"),
        key=lambda m: (m.sentiment.score, -m.published_at.timestamp()),
    )
    return DigestContent(
        period=period,
        start=iso(start),
        end=iso(end),
        total=len(items),
        by_category=by_category,
        by_sentiment=by_sentiment,
        top_negative=negative[:top_n],
        top_leads=leads[:top_n],
        top_smm=smm[:top_n],
    )
