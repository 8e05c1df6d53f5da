"""The `harken` CLI against the real API in-process (httpx.WSGITransport over the gateway adapter)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.api.conftest import KEY_A, WATCH, make_mention, store


@pytest.fixture
def cli(api: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    import httpx
    from harken import cli as harken_cli

    monkeypatch.setattr(harken_cli, "transport", httpx.WSGITransport(app=api.wsgi_app))
    monkeypatch.setenv("HARKEN_ENDPOINT", "http://harken.test")
    monkeypatch.setenv("HARKEN_API_KEY", KEY_A)

    def run(*argv: str) -> tuple[int, str, str]:
        code = harken_cli.main(list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    yield run


def test_watches_create_apply_list(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "watch.json"
    path.write_text(json.dumps(WATCH))
    code, out, err = cli("watches", "create", "-f", str(path), "--json")
    assert code == 0, err
    created = json.loads(out)
    assert created["id"].startswith("w_")
    # apply by name replaces the same watch rather than creating another
    path.write_text(json.dumps({**WATCH, "exclude": ["ACME protocol"]}))
    code, out, err = cli("watches", "apply", "-f", str(path))
    assert code == 0, err and f"applied {created['id']}" in out
    code, out, _ = cli("--json", "watches", "list")
    items = json.loads(out)["items"]
    assert [w["id"] for w in items] == [created["id"]] and items[0]["exclude"] == ["ACME protocol"]
    code, out, _ = cli("watches", "list")
    assert created["id"] in out and "Acme Cloud" in out and out.splitlines()[0].startswith("ID")


def test_mentions_list_show_handle_and_stats(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "watch.json"
    path.write_text(json.dumps(WATCH))
    watch = json.loads(cli("watches", "create", "-f", str(path), "--json")[1])
    mentions = [
        make_mention(watch["id"], "tenant-a", n, sentiment="negative" if n < 3 else "neutral")
        for n in range(8)
    ]
    store(mentions)
    code, out, err = cli("mentions", "list", "--sentiment", "negative", "--limit", "2", "--all", "--json")
    assert code == 0, err
    assert [m["id"] for m in json.loads(out)["items"]] == [m.id for m in mentions[:3]]
    code, out, _ = cli("mentions", "list", "--watch-id", watch["id"], "--limit", "5")
    rows = [line for line in out.splitlines() if line.startswith("m_")]
    assert len(rows) == 5 and "more: --cursor" in out
    code, out, _ = cli("mentions", "handle", mentions[0].id, "--note", "answered", "--assignee", "jane")
    assert code == 0 and "handled" in out
    code, out, _ = cli("mentions", "show", mentions[0].id)
    assert "answered" in out and "jane" in out and "status → " not in out
    code, out, err = cli(
        "stats", "--since", "2026-03-01T00:00:00Z", "--until", "2026-03-10T00:00:00Z", "--json"
    )
    assert code == 0, err
    stats = json.loads(out)
    assert stats["total"] == 8 and stats["sentiment"]["negative"] == 3 and stats["handled"] == 1
    code, out, _ = cli("stats", "--since", "2026-03-01T00:00:00Z", "--until", "2026-03-10T00:00:00Z")
    assert "total 8" in out


def test_api_errors_are_one_readable_line_and_exit_1(cli: Any) -> None:
    code, out, err = cli("mentions", "list", "--since", "notadate")
    assert code == 1 and out == ""
    assert "400" in err and "since" in err
    code, _, err = cli("mentions", "show", "m_nothing")
    assert code == 1 and "404" in err
    code, _, err = cli("--api-key", "wrong", "watches", "list")
    assert code == 1 and "403" in err


def test_keys_create_prints_a_key_that_the_api_accepts(cli: Any, api: Any) -> None:
    code, out, err = cli("keys", "create", "--tenant", "tenant-c", "--table", "StateTable")
    assert code == 0, err
    key = out.strip()
    assert key.startswith("hk_") and len(key) > 30
    assert api.request("GET", "/watches", key=key).status == 200
    from harken.api.deps import deps

    assert deps().state.tenant_for_key(key) == "tenant-c"
    assert deps().state.get(f"K#{key}") is None  # stored hashed, not as the key itself


def test_keys_list_and_revoke(cli: Any, api: Any) -> None:
    code, out, _ = cli("keys", "create", "--tenant", "tenant-d", "--table", "StateTable", "--label", "ci bot")
    key = out.strip()
    code, out, err = cli("keys", "list", "--table", "StateTable", "--json")
    assert code == 0, err
    [mine] = [k for k in json.loads(out)["items"] if k["tenant_id"] == "tenant-d"]
    assert mine["label"] == "ci bot" and key not in out  # hashes only
    code, out, _ = cli("keys", "list", "--table", "StateTable")
    assert mine["key_hash"][:12] in out and "tenant-d" in out
    code, out, err = cli("keys", "revoke", mine["key_hash"][:10], "--table", "StateTable")
    assert code == 0 and "revoked" in out, err
    assert api.request("GET", "/watches", key=key).status == 403
    code, _, err = cli("keys", "revoke", key, "--table", "StateTable")
    assert code != 0 and "no such key" in err


@pytest.mark.parametrize("tenant", ["acme corp/x y", "", "-dash", "x" * 65])
def test_keys_create_refuses_a_tenant_id_that_cannot_name_things(cli: Any, tenant: str) -> None:
    """A tenant id goes into secret names (a space made CreateSecret fail: a 500 on POST /watches)."""
    code, out, err = cli("keys", "create", "--tenant", tenant, "--table", "StateTable")
    assert code != 0 and out == "" and "tenant" in err
