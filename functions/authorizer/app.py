"""API Gateway REQUEST authorizer: the x-api-key header names a tenant (keys are stored hashed in
the state table, `harken keys create` adds one). Allow carries {"tenant_id"} to the api function;
a missing key is 401 (raise "Unauthorized"), an unknown key is 403 (Deny)."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from harken.store import aws
from harken.store.keys import ApiKeys


@cache
def _keys() -> ApiKeys:
    # Only the key lookup: no pydantic models or settings on this cold start.
    return ApiKeys(aws.table(os.environ.get("HARKEN_STATE_TABLE") or "StateTable"))


def api_key_of(event: dict[str, Any]) -> str:
    for headers in (event.get("headers") or {}, event.get("multiValueHeaders") or {}):
        for name, value in headers.items():
            if name.lower() == "x-api-key":
                if isinstance(value, list):
                    value = value[0] if value else ""
                return str(value or "").strip()
    return ""


def any_method_arn(method_arn: str) -> str:
    """The ARN of every method of the stage: API Gateway caches the decision per key (300 s), so it
    must hold for every route the key may call next, not only this one."""
    parts = method_arn.split("/")
    return "/".join([*parts[:2], "*", "*"]) if len(parts) >= 2 else method_arn


def policy(
    principal: str, effect: str, resource: str, context: dict[str, str] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }
    if context:
        out["context"] = context
    return out


def authorize(event: dict[str, Any], keys: Any) -> dict[str, Any]:
    api_key = api_key_of(event)
    if not api_key:
        raise Exception("Unauthorized")  # API Gateway's contract for a 401
    resource = any_method_arn(str(event.get("methodArn") or "*"))
    tenant = keys.tenant_for_key(api_key) if len(api_key) <= 512 else None
    if tenant is None:
        return policy("anonymous", "Deny", resource)
    return policy(tenant, "Allow", resource, {"tenant_id": tenant})


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return authorize(event, _keys())
