"""API function: API Gateway REST proxy events in, proxy responses out (harken.api.app routes)."""

from __future__ import annotations

import json
from typing import Any

from harken.api.app import app, body_problem
from harken.api.responses import JSON


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    problem = body_problem(event)
    if problem is not None:
        status, body = problem
        return {
            "statusCode": status,
            "headers": {"Content-Type": JSON},
            "body": json.dumps(body),
            "isBase64Encoded": False,
        }
    response = app.resolve(event, context)
    if response.get("statusCode") == 204:
        # No content, so no content type (the resolver adds application/json to every response).
        for headers in (response.get("headers"), response.get("multiValueHeaders")):
            if headers:
                for name in [n for n in headers if n.lower() == "content-type"]:
                    del headers[name]
    return response
