"""The HTTP API (DESIGN.md §4) as one Powertools resolver: routers per resource, errors mapped to
JSON, request and response validation, the OpenAPI document generated from the same code, and the
checks on a raw body that come before routing."""

from __future__ import annotations

import base64
import json
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import ValidationError

from harken.alerts.errors import UnknownMaskedSecret
from harken.api import mention_routes, stats_routes, watch_routes
from harken.api.errors import ApiError, describe_validation_errors, error_body
from harken.api.responses import JSON, ok
from harken.api.schemas import MAX_BODY_BYTES, Health
from harken.service.watches import WatchNotFound

logger = Logger(service="harken")

app = APIGatewayRestResolver(enable_validation=True)
app.include_router(watch_routes.router)
app.include_router(mention_routes.router)
app.include_router(stats_routes.router)


@app.get("/health", summary="Liveness", responses={200: ok(Health, "ready")})
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get(
    "/openapi.json", summary="This API's OpenAPI document", responses={200: {"description": "OpenAPI 3"}}
)
def openapi() -> dict[str, Any]:
    return served_document()


def served_document() -> dict[str, Any]:
    """The OpenAPI document with `servers` as the current caller reaches the API."""
    return {**openapi_document(), "servers": [{"url": _base_path(app.current_event.raw_event)}]}


def _base_path(event: dict[str, Any]) -> str:
    """Where the API lives as the caller sees it: "/prod" on the execute-api host (the stage is
    in the URL), "/" on a custom domain or locally. Swagger UI's "Try it out" calls this."""
    context = event.get("requestContext") or {}
    stage, path = str(context.get("stage") or ""), str(context.get("path") or "")
    return f"/{stage}" if stage and path.startswith(f"/{stage}/") else "/"


@cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3 document, generated from the routes and models once per container."""
    document = app.get_openapi_json_schema(
        title="Harken API",
        version="1.0.0",
        description="Brand mentions found on the public web, and the workflow to handle them. "
        "Every route but /health and /docs needs the x-api-key header (a key belongs to one tenant).",
    )
    spec: dict[str, Any] = json.loads(document)
    # Authentication: an API key in the x-api-key header, on every route but /health (and
    # /docs, not in the document).
    spec.setdefault("components", {})["securitySchemes"] = {
        "apiKey": {
            "type": "apiKey",
            "in": "header",
            "name": "x-api-key",
            "description": "A key of one tenant (HARKEN_API_KEYS locally; `harken keys create` in AWS).",
        }
    }
    spec["security"] = [{"apiKey": []}]
    for operation in spec.get("paths", {}).get("/health", {}).values():
        operation["security"] = []
    _declare_real_errors(spec)
    return spec


def _declare_real_errors(spec: dict[str, Any]) -> None:
    """The responses this API really sends, in place of the resolver's defaults: a bad query or
    path parameter is a 400 ErrorResponse (never its 422 HTTPValidationError), 422 is only for a
    body that is not a valid document; every keyed route may answer 401/403, every route with a
    body 415; a 204 has no content."""
    from harken.api.responses import errors

    def declared(code: int) -> dict[str, Any]:
        entry = errors(code)[code]
        ref = {"$ref": "#/components/schemas/ErrorResponse"}
        return {"description": entry["description"], "content": {"application/json": {"schema": ref}}}

    for path, operations in spec.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            has_body = "requestBody" in operation
            responses.pop("422", None)
            if has_body:
                responses["422"] = declared(422)
                responses["415"] = declared(415)
            if operation.get("parameters") or has_body:
                responses.setdefault("400", declared(400))
            if path != "/health":
                responses.setdefault("401", declared(401))
                responses.setdefault("403", declared(403))
            if "204" in responses:
                responses["204"].pop("content", None)
    schemas = spec.get("components", {}).get("schemas", {})
    text = json.dumps(spec.get("paths", {}))
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        if f"#/components/schemas/{name}" not in text:
            schemas.pop(name, None)


@app.get("/docs", include_in_schema=False)
def docs() -> Response[str]:
    """Swagger UI over this API's document, self-contained (no CDN); built on first request."""
    return Response(status_code=200, content_type="text/html", body=_docs_page())


@cache
def _docs_page() -> str:
    from pathlib import Path

    from aws_lambda_powertools.event_handler.openapi import swagger_ui
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

    assets = Path(swagger_ui.__file__).parent
    spec = json.dumps(served_document(), indent=2).replace("</", "<\\/")
    return generate_swagger_html(
        spec,
        (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        "",
        None,
        False,
    )


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(status_code=status, content_type=JSON, body=json.dumps(body))


@app.exception_handler(ApiError)
def _api_error(exc: ApiError) -> Response:
    return _json(exc.status, exc.body())


@app.exception_handler(UnknownMaskedSecret)
def _unknown_masked_secret(exc: UnknownMaskedSecret) -> Response:
    return _json(422, error_body("validation_error", f"{exc.field}: {exc}", exc.field))


@app.exception_handler(WatchNotFound)
def _watch_not_found(exc: WatchNotFound) -> Response:
    return _json(404, error_body("not_found", "no watch with this id for this API key", "id"))


@app.exception_handler(RequestValidationError)
def _invalid_request(exc: RequestValidationError) -> Response:
    raw = list(exc.errors())
    message, field, details = describe_validation_errors(raw)
    # Malformed requests (query, path, unparsable JSON) are 400; a JSON body that parses but is not
    # a valid document is 422. Either way the body names the field.
    in_body = any((e.get("loc") or ("",))[0] == "body" for e in raw)
    malformed = any(e.get("type") == "json_invalid" for e in raw)
    status = 422 if in_body and not malformed else 400
    body = error_body("invalid_json" if malformed else "validation_error", message, field)
    body["error"]["details"] = details
    return _json(status, body)


@app.exception_handler(ValidationError)
def _invalid_document(exc: ValidationError) -> Response:
    message, field, details = describe_validation_errors(list(exc.errors()))
    body = error_body("validation_error", message, field)
    body["error"]["details"] = details
    return _json(422, body)


@app.not_found
def _not_found(exc: NotFoundError) -> Response:
    event = app.current_event
    return _json(404, error_body("not_found", f"no route {event.http_method} {event.path}"))


@app.exception_handler(Exception)
def _unexpected(exc: Exception) -> Response:
    if type(exc).__name__ == "RequestUnsupportedContentType":
        return _json(415, error_body("unsupported_media_type", "send the body as application/json", "body"))
    logger.exception("unhandled error")
    return _json(500, error_body("internal", "internal error; the request id is in the logs"))


def body_problem(event: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    """A body too large (413), not JSON by its media type (415), not UTF-8 text or JSON that no
    parser can take (nested ~1,000 deep, a number of over 4,300 digits: 400), answered before
    routing. A JSON media type written in capitals is set to its canonical form."""
    body = event.get("body") or ""
    if body:
        problem = _media_type_problem(event)
        if problem is not None:
            return problem
    raw: bytes
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=False)
        except (ValueError, TypeError):
            return 400, error_body("invalid_body", "body is not valid base64", "body")
    else:
        raw = body.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_BODY_BYTES:
        return 413, error_body("payload_too_large", "request body is over 256 KB", "body")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return 400, error_body("invalid_json", "body is not UTF-8 JSON", "body")
    try:
        json.loads(text)
    except RecursionError:
        return 400, error_body("invalid_json", "body nests too deeply to be a document of this API", "body")
    except ValueError as exc:
        if "digits" in str(exc):  # int(): "Exceeds the limit (4300 digits)..."
            return 400, error_body("invalid_json", "body holds a number with too many digits", "body")
        # Other syntax errors: the resolver's validation names them (invalid_json, 400).
    return None


# Media types clients put on JSON without being asked (curl -d, urllib, some form libraries).
_JSON_BY_ACCIDENT = frozenset({"application/x-www-form-urlencoded", "text/plain"})


def _is_json(event: dict[str, Any]) -> bool:
    body = event.get("body") or ""
    if event.get("isBase64Encoded") or not body.lstrip().startswith(("{", "[")):
        return False
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        return False
    return True


def _media_type_problem(event: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    """415 for a body sent as anything but JSON (a form, multipart, text); no media type is taken
    as JSON. Media types are case-insensitive: "APPLICATION/JSON" is rewritten for the resolver."""
    headers = event.get("headers") or {}
    for name in list(headers):
        if name.lower() != "content-type":
            continue
        value = str(headers[name] or "")
        media = value.split(";", 1)[0].strip().lower()
        if media in _JSON_BY_ACCIDENT and _is_json(event):
            media = "application/json"  # `curl -d '{…}'` labels JSON a form: take what it is
        if (
            media
            and media != "application/json"
            and not (media.startswith("application/") and media.endswith("+json"))
        ):
            return 415, error_body(
                "unsupported_media_type",
                f"send the body as application/json, not {media}",
                "body",
            )
        if media and value != media:
            headers[name] = "application/json"  # the resolver reads JSON by this header
        multi = event.get("multiValueHeaders") or {}
        for multi_name in list(multi):
            if multi_name.lower() == "content-type":
                multi[multi_name] = ["application/json"]
    return None
