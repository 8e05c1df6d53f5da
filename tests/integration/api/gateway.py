"""API Gateway (REST, proxy integration) in a test: builds the proxy events API Gateway sends, runs
the REQUEST authorizer first exactly as the template wires it (missing key → 401, Deny → 403,
Allow → requestContext.authorizer.tenant_id), then the api function. `wsgi_app` exposes the same
path to HTTP-level tools (schemathesis) in-process."""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlencode

ROOT = Path(__file__).resolve().parents[3]
NO_AUTH = {("GET", "/health"), ("GET", "/docs")}  # template.yaml: Auth: { Authorizer: NONE }


def load_function(name: str) -> ModuleType:
    """functions/<name>/app.py as a module (every function's module is called `app` in Lambda)."""
    module_name = f"harken_fn_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, ROOT / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@dataclass
class Result:
    status: int
    headers: dict[str, str]
    text: str
    operations: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads(self.text)


def build_event(
    method: str,
    path: str,
    *,
    query: dict[str, Any] | list[tuple[str, str]] | None = None,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    tenant_id: str | None = None,
) -> dict[str, Any]:
    pairs: list[tuple[str, str]] = []
    if isinstance(query, dict):
        pairs = [(k, str(v)) for k, v in query.items() if v is not None]
    elif query:
        pairs = [(k, str(v)) for k, v in query]
    multi: dict[str, list[str]] = {}
    for k, v in pairs:
        multi.setdefault(k, []).append(v)
    headers = dict(headers or {})
    is_b64 = False
    text_body: str | None = None
    if isinstance(body, bytes):
        try:
            text_body = body.decode("utf-8")
        except UnicodeDecodeError:
            text_body, is_b64 = base64.b64encode(body).decode(), True
    elif body is not None:
        text_body = body
    authorizer: dict[str, Any] = {"principalId": tenant_id, "tenant_id": tenant_id} if tenant_id else {}
    return {
        "resource": path,
        "path": path,
        "httpMethod": method.upper(),
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi.items()} or None,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method.upper(),
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "tests"},
            "authorizer": authorizer,
        },
        "body": text_body,
        "isBase64Encoded": is_b64,
    }


class Gateway:
    def __init__(self) -> None:
        self.api = load_function("api")
        self.authorizer = load_function("authorizer")

    def authorize(self, method: str, path: str, headers: dict[str, str]) -> tuple[int | None, str | None]:
        """(error status or None, tenant) as API Gateway decides it with the authorizer."""
        event = {
            "type": "REQUEST",
            "methodArn": f"arn:aws:execute-api:us-east-1:123456789012:api/prod/{method}{path}",
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
        }
        self.authorizer._keys.cache_clear()
        try:
            decision = self.authorizer.handler(event, None)
        except Exception as exc:
            if str(exc) == "Unauthorized":
                return 401, None
            raise
        statement = decision["policyDocument"]["Statement"][0]
        if statement["Effect"] != "Allow":
            return 403, None
        return None, decision["context"]["tenant_id"]

    def request(
        self,
        method: str,
        path: str,
        *,
        key: str | None = None,
        query: dict[str, Any] | list[tuple[str, str]] | None = None,
        json_body: Any = None,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Result:
        headers = dict(headers or {})
        if key is not None:
            headers["x-api-key"] = key
        if json_body is not None:
            body = json.dumps(json_body)
            headers.setdefault("content-type", "application/json")
        tenant = None
        if (method.upper(), path) not in NO_AUTH:
            status, tenant = self.authorize(method.upper(), path, headers)
            if status is not None:
                code = "unauthorized" if status == 401 else "forbidden"
                text = json.dumps({"error": {"code": code, "message": "missing or invalid x-api-key"}})
                return Result(status, {"Content-Type": "application/json"}, text)
        event = build_event(method, path, query=query, body=body, headers=headers, tenant_id=tenant)
        response = self.api.handler(event, None)
        out_headers = dict(response.get("headers") or {})
        for k, values in (response.get("multiValueHeaders") or {}).items():
            out_headers.setdefault(k, values[-1])
        text = response.get("body") or ""
        if response.get("isBase64Encoded"):
            text = base64.b64decode(text).decode("utf-8", "replace")
        return Result(int(response["statusCode"]), out_headers, text)

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        """The gateway as a WSGI application (schemathesis drives it in-process)."""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        result = self.request(
            environ["REQUEST_METHOD"],
            environ.get("PATH_INFO") or "/",
            query=query,
            body=raw if raw else None,
            headers=headers,
        )
        reason = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content"}.get(result.status, "Status")
        start_response(f"{result.status} {reason}", list(result.headers.items()))
        return [result.text.encode()]


__all__ = ["Gateway", "Result", "build_event", "load_function", "urlencode"]
