"""Opaque, signed page cursors. A cursor names where the next page starts (month bucket and the last
returned item's index key) and is bound to the tenant and the filter set it was issued for, under an
HMAC with a server secret: a tampered cursor, or one replayed by another tenant or with other
filters, is rejected (400) rather than silently answering a different question."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from harken.api.errors import InvalidCursor

_VERSION = 1
_MAX_LEN = 2048


@dataclass(frozen=True)
class Position:
    """Where a listing stopped: the month bucket being read and the key to resume after."""

    month: str
    key: dict[str, str]


def filter_digest(filters: dict[str, Any]) -> str:
    """A short, stable fingerprint of a filter set (limit excluded: pages may change size)."""
    canonical = json.dumps({k: v for k, v in sorted(filters.items()) if v is not None}, sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorSigner:
    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("cursor secret must be at least 16 bytes")
        self._secret = secret

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:20]

    def encode(self, position: Position, *, tenant_id: str, filters: dict[str, Any]) -> str:
        payload = json.dumps(
            {
                "v": _VERSION,
                "t": tenant_id,
                "f": filter_digest(filters),
                "m": position.month,
                "k": position.key,
            },
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        return f"{_b64(payload)}.{_b64(self._mac(payload))}"

    def decode(self, token: str, *, tenant_id: str, filters: dict[str, Any]) -> Position:
        """The position a cursor names, or InvalidCursor when it is not one this server issued for
        this tenant and this filter set."""
        if not token or len(token) > _MAX_LEN or token.count(".") != 1:
            raise InvalidCursor()
        body, mac = token.split(".")
        try:
            payload = _unb64(body)
            given = _unb64(mac)
        except (ValueError, TypeError) as exc:
            raise InvalidCursor() from exc
        # base64 leaves spare bits in the last character: only the canonical spelling is accepted,
        # so no two different strings are the same valid cursor
        if _b64(payload) != body or _b64(given) != mac:
            raise InvalidCursor()
        if not hmac.compare_digest(given, self._mac(payload)):
            raise InvalidCursor()
        try:
            data = json.loads(payload)
        except ValueError as exc:  # cannot happen for a signed payload, but never a 500
            raise InvalidCursor() from exc
        if not isinstance(data, dict) or data.get("v") != _VERSION:
            raise InvalidCursor()
        if data.get("t") != tenant_id:
            raise InvalidCursor("cursor belongs to another API key")
        if data.get("f") != filter_digest(filters):
            raise InvalidCursor("cursor was issued for other filters; repeat the same filters with it")
        month, key = data.get("m"), data.get("k")
        if not isinstance(month, str) or not isinstance(key, dict):
            raise InvalidCursor()
        return Position(month=month, key={str(k): str(v) for k, v in key.items()})


CURSOR_SECRET_PK = "S#cursor-secret"


def load_or_create_secret(state_table: Any) -> bytes:
    """The deployment's cursor secret, kept in the state table: created once (a conditional put
    settles a race between two cold containers) so every container signs and verifies alike."""
    item = state_table.get_item(Key={"pk": CURSOR_SECRET_PK}, ConsistentRead=True).get("Item")
    if item:
        return bytes.fromhex(str(item["secret"]))
    fresh = secrets.token_hex(32)
    try:
        state_table.put_item(
            Item={"pk": CURSOR_SECRET_PK, "secret": fresh},
            ConditionExpression="attribute_not_exists(pk)",
        )
    except Exception as exc:
        code = (getattr(exc, "response", None) or {}).get("Error", {}).get("Code")
        if code != "ConditionalCheckFailedException":
            raise
        item = state_table.get_item(Key={"pk": CURSOR_SECRET_PK}, ConsistentRead=True).get("Item") or {}
        return bytes.fromhex(str(item["secret"]))
    return bytes.fromhex(fresh)
