"""API keys in the state table: `K#<sha256 of the key>` → tenant. Nothing heavy is imported here:
the authorizer, which runs on every cold API request, needs only this and a GetItem."""

from __future__ import annotations

import hashlib
from typing import Any


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


class ApiKeys:
    """The key lookups of the state table (StateRepo writes, lists and revokes keys)."""

    def __init__(self, table: Any) -> None:
        self.table = table

    def tenant_for_key(self, api_key: str) -> str | None:
        if not api_key:
            return None
        item = self.table.get_item(Key={"pk": f"K#{hash_key(api_key)}"}).get("Item")
        return str(item["tenant_id"]) if item else None
