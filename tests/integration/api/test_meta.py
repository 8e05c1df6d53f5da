"""The OpenAPI document and the Swagger UI."""

from __future__ import annotations

from typing import Any

from tests.integration.api.conftest import KEY_A


def test_openapi_document_lists_every_route_of_the_contract(api: Any) -> None:
    response = api.request("GET", "/openapi.json", key=KEY_A)
    assert response.status == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    operations = {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}
    assert operations >= {
        ("GET", "/health"),
        ("POST", "/watches"),
        ("GET", "/watches"),
        ("GET", "/watches/{id}"),
        ("PUT", "/watches/{id}"),
        ("DELETE", "/watches/{id}"),
        ("POST", "/watches/{id}/poll"),
        ("GET", "/mentions"),
        ("GET", "/mentions/{id}"),
        ("PATCH", "/mentions/{id}"),
        ("GET", "/stats"),
        ("GET", "/openapi.json"),
    }
    params = {p["name"] for p in doc["paths"]["/mentions"]["get"]["parameters"]}
    assert params == {
        "watch_id", "category", "sentiment", "intent", "source", "language", "status",
        "since", "until", "q", "limit", "cursor",
    }  # fmt: skip


def test_openapi_document_declares_the_api_key_on_every_route_but_health(api: Any) -> None:
    doc = api.request("GET", "/openapi.json", key=KEY_A).json()
    scheme = doc["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "x-api-key")
    assert doc["security"] == [{"apiKey": []}]
    assert doc["paths"]["/health"]["get"]["security"] == []
    assert "security" not in doc["paths"]["/mentions"]["get"]  # the document-wide key applies


def test_swagger_ui_is_served_without_a_key(api: Any) -> None:
    response = api.request("GET", "/docs")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "SwaggerUIBundle" in response.text and "/mentions/{id}" in response.text


def test_openapi_servers_follow_the_stage_in_the_url(api: Any) -> None:
    """Behind the execute-api host the stage is part of the URL: Swagger UI's calls must go to
    /prod/… (the document said "/", so "Try it out" missed the API when deployed)."""
    doc = api.request("GET", "/openapi.json", key=KEY_A).json()
    assert doc["servers"] == [{"url": "/prod"}]  # this gateway emulates the execute-api host
    docs = api.request("GET", "/docs", key=KEY_A)
    assert '"/prod"' in docs.text
