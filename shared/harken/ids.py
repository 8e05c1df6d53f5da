"""Identifiers. Mention ids are derived from the item, so the same item found twice (two polls,
two sources with one canonical URL, a redelivered message) gets the same id, and a conditional
put stores it once per watch."""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from harken.models import Classification, Item, Mention, utcnow

_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "itm_")
_TRACKING_KEYS = {
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "yclid",
    "igshid",
    "ref_src",
    "ref_url",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "spm",
    "share_id",
    "si",
    "ved",
    "ei",
}


def new_watch_id() -> str:
    return "w_" + secrets.token_hex(8)


def canonical_url(url: str) -> str:
    """The URL without tracking parameters or fragment, with a lower-case scheme and host."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return url.strip()
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in _TRACKING_KEYS and not k.lower().startswith(_TRACKING_PREFIXES)
    ]
    host = (parts.hostname or "").lower()
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80) or (parts.scheme == "https" and parts.port == 443)
    ):
        host = f"{host}:{parts.port}"
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), host, path, urlencode(query, doseq=True), ""))


def item_key(item: Item) -> str:
    """What makes two items the same thing: the canonical URL, else the source's own id."""
    if item.url:
        return canonical_url(item.url)
    return f"{item.source}:{item.native_id or hashlib.sha256(item.text.encode()).hexdigest()}"


def mention_id(watch_id: str, item: Item) -> str:
    digest = hashlib.sha256(f"{watch_id}\n{item_key(item)}".encode()).hexdigest()
    return "m_" + digest[:24]


def build_mention(
    watch_id: str, tenant_id: str, item: Item, classification: Classification, fetched_at=None
) -> Mention:
    """The mention an item becomes for one watch once the classifier has matched it."""
    return Mention(
        id=mention_id(watch_id, item),
        watch_id=watch_id,
        tenant_id=tenant_id,
        source=item.source,
        url=item.url,
        title=item.title,
        text=item.text,
        author=item.author,
        published_at=item.published_at,
        fetched_at=fetched_at or utcnow(),
        language=classification.language or item.language,
        community=item.community,
        matches=classification.matches,
        category=classification.category,
        sentiment=classification.sentiment,
        intents=classification.intents,
    )
