"""OpenAPI response declarations shared by the routers."""

from typing import Any

from harken.api.schemas import ErrorResponse

JSON = "application/json"

_WHY = {
    400: "bad input: the error names the field and the problem",
    401: "missing x-api-key",
    403: "an x-api-key that is not a key of this API",
    404: "no such resource for this API key",
    409: "others kept changing the resource while this change was applied: try again",
    413: "request body over 256 KB",
    415: "the body is not JSON",
    422: "the body is well-formed JSON but not a valid document",
    503: "a dependency is not configured or not reachable",
}


def ok(model: type, description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"model": model}}}


def errors(*codes: int) -> dict[int, dict[str, Any]]:
    return {code: {"description": _WHY[code], "content": {JSON: {"model": ErrorResponse}}} for code in codes}
