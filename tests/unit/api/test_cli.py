"""The CLI's configuration and dispatch (no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from harken import cli


def test_flags_beat_environment_beat_config_files(tmp_path: Path) -> None:
    (tmp_path / ".harken").mkdir()
    (tmp_path / ".harken" / "config.json").write_text(
        json.dumps({"endpoint": "http://json", "api_key": "kj"})
    )
    home = tmp_path / "home"
    (home / ".config" / "harken").mkdir(parents=True)
    (home / ".config" / "harken" / "config.toml").write_text('endpoint = "http://toml/"\napi_key = "kt"\n')
    env = {"HARKEN_ENDPOINT": "http://env"}
    assert cli.load_config("http://flag", None, env=env, cwd=tmp_path, home=home) == ("http://flag", "kj")
    assert cli.load_config(None, None, env=env, cwd=tmp_path, home=home) == ("http://env", "kj")
    assert cli.load_config(None, None, env={}, cwd=tmp_path / "home", home=home) == ("http://toml", "kt")
    assert cli.load_config(None, None, env={}, cwd=home, home=tmp_path / "nobody") == (
        cli.DEFAULT_ENDPOINT,
        "",
    )


def test_without_a_key_api_commands_are_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("HARKEN_API_KEY", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["mentions", "list"]) == cli.EXIT_USAGE


def test_bad_arguments_are_a_usage_error() -> None:
    assert cli.main(["mentions", "list", "--category", "gossip"]) == cli.EXIT_USAGE
    assert cli.main(["watches"]) == cli.EXIT_USAGE


@pytest.mark.parametrize(
    ("argv", "module", "attr", "expected"),
    [
        (["classify", "--watch", "w.json"], "harken.classify_cli", "main", ["--watch", "w.json"]),
        (["local", "--offline"], "harken_local.cli", "main", ["--offline"]),
        (["deliveries", "redrive", "--limit", "3"], "harken.alerts.cli", "redrive_main", ["--limit", "3"]),
    ],
)
def test_other_commands_are_dispatched_with_their_arguments(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], module: str, attr: str, expected: list[str]
) -> None:
    import importlib

    seen: list[Any] = []
    target = importlib.import_module(module)
    monkeypatch.setattr(target, attr, lambda args, *rest: seen.append(args) or 7)
    assert cli.main(argv) == 7
    assert seen == [expected]


def test_tables_align_and_cut_long_cells() -> None:
    text = cli.table([("m_1", "x" * 100), ("m_22", "short")], ("id", "title"), {1: 10})
    lines = text.splitlines()
    assert lines[0].split() == ["ID", "TITLE"]
    assert lines[1].endswith("xxxxxxxxx…") and lines[2].startswith("m_22")
