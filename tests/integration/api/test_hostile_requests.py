"""Requests that once made the API answer 500, or answer wrongly (found by probing the running
stack): every one is now a 4xx naming the problem, and nothing is stored or changed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.integration.api.conftest import KEY_A, WATCH, create_watch, make_mention, store


def _post_raw(api: Any, body: str, content_type: str = "application/json", path: str = "/watches") -> Any:
    return api.request("POST", path, key=KEY_A, body=body, headers={"content-type": content_type})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # JSON nested ~1,000 deep: a RecursionError in the parser.
        ('{"name": "x", "z": ' + "[" * 1000 + "]" * 1000 + "}", "nests too deeply"),
        # An integer of over 4,300 digits: Python's int() limit, a ValueError.
        ('{"name": "x", "z": ' + "9" * 4301 + "}", "too many digits"),
    ],
)
def test_bodies_no_parser_takes_are_400(api: Any, body: str, message: str) -> None:
    response = _post_raw(api, body)
    assert response.status == 400, response.text
    assert message in response.json()["error"]["message"]
    assert api.request("GET", "/watches", key=KEY_A).json()["items"] == []


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", json.dumps(WATCH)),
        ("multipart/form-data; boundary=x", json.dumps(WATCH)),
        ("application/x-www-form-urlencoded", "name=Acme&terms=x"),
        ("text/plain", "name: Acme"),
        ("application/xml", "<watch/>"),
    ],
)
def test_a_body_that_is_not_json_is_415(api: Any, content_type: str, body: str) -> None:
    """multipart without a boundary was a 500; a form was parsed as a form (a multipart note=x
    PATCH succeeded)."""
    response = _post_raw(api, body, content_type)
    assert response.status == 415, response.text
    assert response.json()["error"]["field"] == "body"
    assert content_type.split(";")[0] in response.json()["error"]["message"]


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain; charset=utf-8"])
def test_json_sent_as_a_form_or_text_is_taken_as_json(api: Any, content_type: str) -> None:
    """`curl -d '{…}'` labels its JSON a form (the README's own example got a 415)."""
    response = _post_raw(api, json.dumps(WATCH), content_type)
    assert response.status == 201, response.text


@pytest.mark.parametrize("content_type", ["APPLICATION/JSON", "application/json; charset=UTF-8", None])
def test_json_media_types_are_case_insensitive_and_optional(api: Any, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = api.request("POST", "/watches", key=KEY_A, body=json.dumps(WATCH), headers=headers)
    assert response.status == 201, response.text


@pytest.mark.parametrize(
    ("route", "query", "field"),
    [
        ("/mentions", {"since": "9999-12-31T23:59:59-14:00"}, "since"),
        ("/mentions", {"until": "0001-01-01T00:00:00+14:00"}, "until"),
        ("/mentions", {"since": "0500-01-01T00:00:00Z"}, "since"),  # years before 1000 sorted wrongly
        ("/stats", {"until": "0001-01-01T00:00:00Z"}, "until"),
        ("/stats", {"until": "9999-12-31T23:59:59-14:00"}, "until"),
    ],
)
def test_times_out_of_range_are_400(api: Any, route: str, query: dict[str, str], field: str) -> None:
    response = api.request("GET", route, key=KEY_A, query=query)
    assert response.status == 400, response.text
    assert response.json()["error"]["field"] == field


def test_patch_status_null_names_the_field(api: Any) -> None:
    watch = create_watch(api)
    mention = make_mention(watch["id"], "tenant-a", 1)
    store([mention])
    response = api.request("PATCH", f"/mentions/{mention.id}", key=KEY_A, json_body={"status": None})
    assert response.status == 422, response.text
    assert response.json()["error"]["field"] == "status"


def test_time_to_handle_reads_back_as_the_patch_said(api: Any) -> None:
    watch = create_watch(api)
    mention = make_mention(watch["id"], "tenant-a", 2)
    store([mention])
    patched = api.request(
        "PATCH", f"/mentions/{mention.id}", key=KEY_A, json_body={"status": "handled"}
    ).json()
    again = api.request("GET", f"/mentions/{mention.id}", key=KEY_A).json()
    assert patched["time_to_handle_seconds"] == again["time_to_handle_seconds"]
    assert float(patched["time_to_handle_seconds"]).is_integer()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"exlude": ["ACME protocol"]}, "exlude"),  # a typo was silently dropped
        ({"typos": "yes"}, "typos"),  # was taken as true
        ({"terms": {"brands": ["Acme Cloud"], "products": ["Acme Vault"]}}, "terms.brands"),
        ({"alerts": {"emails": ["team@example.com"]}}, "alerts.emails"),
        ({"official": ["javascript:alert(1)"]}, "official"),
        ({"official": ["not a url"]}, "official"),
        ({"sources": [{"type": "mastodon", "instance": "not a url"}]}, "sources[0]"),
        ({"sources": [{"type": "lemmy", "instance": "https://lemmy.world/c/x?y"}]}, "sources[0]"),
        ({"sources": [{"type": "reddit", "subreddits": ["../x"]}]}, "sources[0]"),
        ({"sources": [{"type": "mastodon", "tags": ["acme cloud"]}]}, "sources[0]"),
    ],
)
def test_watch_mistakes_are_422_naming_the_field(api: Any, change: dict[str, Any], field: str) -> None:
    response = api.request("POST", "/watches", key=KEY_A, json_body={**WATCH, **change})
    assert response.status == 422, response.text
    assert response.json()["error"]["field"].startswith(field), response.text


def test_a_watch_as_get_returns_it_can_be_put_back(api: Any) -> None:
    """The read-only keys of a stored watch (id, created_at, updated_at) are not unknown fields."""
    watch = create_watch(
        api,
        body={
            **WATCH,
            "official": ["reddit.com/r/acmecloud", "https://mastodon.social/@acmecloud"],
            "sources": [
                {"type": "reddit", "subreddits": ["r/sysadmin", "selfhosted"]},
                {"type": "mastodon", "instance": "mastodon.social", "tags": ["#acmecloud"]},
            ],
        },
    )
    assert watch["sources"][0]["subreddits"] == ["sysadmin", "selfhosted"]
    assert watch["sources"][1]["tags"] == ["acmecloud"]
    response = api.request(
        "PUT", f"/watches/{watch['id']}", key=KEY_A, json_body={**watch, "name": "renamed"}
    )
    assert response.status == 200, response.text
    assert response.json()["name"] == "renamed" and response.json()["id"] == watch["id"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("cafe", {1, 2}),  # accents folded both ways
        ("Café", {1, 2}),
        ("cafe\u0301", {1, 2}),  # "e" + a combining accent (NFKC)
        ("stopped working", {3}),  # a line break in the text
        ("ＡＣＭＥ ＳＵＰＰＯＲＴ", {3}),  # full-width letters
    ],
)
def test_q_folds_case_accents_and_white_space(api: Any, q: str, expected: set[int]) -> None:
    watch = create_watch(api)
    store(
        [
            make_mention(watch["id"], "tenant-a", 1, text="Acme Cloud at the Café"),
            make_mention(watch["id"], "tenant-a", 2, text="Acme Cloud at the cafe"),
            make_mention(watch["id"], "tenant-a", 3, text="Acme Support: it stopped\nworking"),
        ]
    )
    items = api.request("GET", "/mentions", key=KEY_A, query={"q": q}).json()["items"]
    assert {int(m["id"][-4:]) for m in items} == expected


def test_a_masked_secret_with_no_stored_secret_is_422(api: Any) -> None:
    watch = create_watch(api)
    hooks = watch["alerts"]["webhooks"] + [{"url": "https://hooks.example.com/new", "secret": "********"}]
    body = {**watch, "alerts": {**watch["alerts"], "webhooks": hooks}}
    response = api.request("PUT", f"/watches/{watch['id']}", key=KEY_A, json_body=body)
    assert response.status == 422, response.text
    assert response.json()["error"]["field"] == "alerts.webhooks[1].secret"
    # The URL of the first one edited, its secret sent back masked: kept.
    hooks = [{**watch["alerts"]["webhooks"][0], "url": "https://hooks.example.com/moved"}]
    body = {**watch, "alerts": {**watch["alerts"], "webhooks": hooks}}
    response = api.request("PUT", f"/watches/{watch['id']}", key=KEY_A, json_body=body)
    assert response.status == 200, response.text
    assert response.json()["alerts"]["webhooks"][0]["secret"] == "********"
