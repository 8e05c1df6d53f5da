"""Errors the API reports as JSON `{"error": {"code", "message", "field"?, "details"?}}`, the same
shape API Gateway's own 401/403 responses use (template.yaml GatewayResponses)."""

from __future__ import annotations

import re
from typing import Any

_NAMED = re.compile(r"^([a-z_][a-z0-9_.\[\]]*): (.+)$", re.S)
# Whole-document rules of WatchIn and their field.
_HINTS = (("at least one term or a query", "terms"),)


class ApiError(Exception):
    """A request the API answers with a 4xx (or a 503 for a missing dependency) and a JSON body."""

    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, field: str | None = None, details: list[dict[str, Any]] | None = None
    ):
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            error["field"] = self.field
        if self.details:
            error["details"] = self.details
        return {"error": error}


class BadRequest(ApiError):
    status = 400
    code = "bad_request"


class InvalidCursor(ApiError):
    status = 400
    code = "invalid_cursor"

    def __init__(self, message: str = "cursor is invalid, tampered with or belongs to another query"):
        super().__init__(message, field="cursor")


class Unauthorized(ApiError):
    status = 401
    code = "unauthorized"


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class PayloadTooLarge(ApiError):
    status = 413
    code = "payload_too_large"


class Unavailable(ApiError):
    status = 503
    code = "unavailable"


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return {"error": error}


def describe_validation_errors(errors: list[Any]) -> tuple[str, str | None, list[dict[str, Any]]]:
    """Turn pydantic / Powertools validation errors into (message, first field, details).

    A location like ("body", "sources", 0, "url") becomes the field "sources[0].url"; query and
    path parameters are named as they are in the URL."""
    details: list[dict[str, Any]] = []
    for err in errors:
        loc = list(err.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "header"):
            loc = loc[1:]  # where the value came from, not part of the field's name
        # Powertools puts the JSON decode position after "body"; a position is not a field.
        if err.get("type") == "json_invalid":
            loc = []
        field = _dotted(loc) or ("body" if _in_body(err) else None)
        message = str(err.get("msg", "invalid value"))
        if err.get("type") == "json_invalid":
            reason = (err.get("ctx") or {}).get("error")
            message = f"invalid JSON{': ' + reason if reason else ''}"
        elif err.get("type") == "missing":
            message = "field required"
        elif message.startswith("Value error, "):
            # Model-level checks cannot set a location; name the field they are about.
            message = message[len("Value error, ") :]
            named = _NAMED.match(message)
            if named and field in (None, "body"):
                field, message = named.group(1), named.group(2)
            elif field in (None, "body"):
                field = next((f for hint, f in _HINTS if hint in message), field)
        details.append({"field": field, "message": message, "type": str(err.get("type", "value_error"))})
    if not details:
        return "invalid request", None, []
    first = details[0]
    summary = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    if len(details) > 1:
        summary += f" (and {len(details) - 1} more)"
    return summary, first["field"], details


def _in_body(err: dict[str, Any]) -> bool:
    loc = err.get("loc", ())
    return bool(loc) and loc[0] == "body"


def _dotted(loc: list[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            # Discriminated unions add the tag ("rss") to the path; it helps the reader, keep it.
            out += f".{part}" if out else str(part)
    return out
