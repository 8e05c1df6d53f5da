"""The REQUEST authorizer: x-api-key → tenant, with an in-memory state table."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from harken.store.dynamo import StateRepo, hash_key

ROOT = Path(__file__).resolve().parents[3]
ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/GET/mentions"


def _load() -> Any:
    spec = importlib.util.spec_from_file_location(
        "harken_fn_authorizer_unit", ROOT / "functions/authorizer/app.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeTable:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}

    def get_item(self, Key: dict[str, str], **_: Any) -> dict[str, Any]:
        item = self.items.get(Key["pk"])
        return {"Item": item} if item else {}

    def put_item(self, Item: dict[str, Any], **_: Any) -> None:
        self.items[Item["pk"]] = Item


@pytest.fixture
def keys() -> StateRepo:
    repo = StateRepo(FakeTable())
    repo.put_api_key("hk_good", "tenant-a")
    return repo


def test_a_known_key_is_allowed_with_its_tenant_for_every_route(keys: StateRepo) -> None:
    auth = _load()
    decision = auth.authorize({"methodArn": ARN, "headers": {"X-Api-Key": "hk_good"}}, keys)
    assert decision["context"] == {"tenant_id": "tenant-a"}
    statement = decision["policyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"] == "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*/*"


def test_an_unknown_key_is_denied(keys: StateRepo) -> None:
    decision = _load().authorize({"methodArn": ARN, "headers": {"x-api-key": "hk_bad"}}, keys)
    assert decision["policyDocument"]["Statement"][0]["Effect"] == "Deny"
    assert "context" not in decision


def test_a_missing_key_is_unauthorized(keys: StateRepo) -> None:
    with pytest.raises(Exception, match=r"^Unauthorized$"):
        _load().authorize({"methodArn": ARN, "headers": {}}, keys)


def test_keys_are_stored_hashed(keys: StateRepo) -> None:
    table = keys.table
    assert f"K#{hash_key('hk_good')}" in table.items
    assert all("hk_good" not in str(item) for item in table.items.values())
