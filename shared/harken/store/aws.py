"""Lazily built, cached boto3 clients: one per container, none at import time (moto-friendly).
The endpoint comes from AWS_ENDPOINT_URL when set (the local stack sets it)."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: Any) -> Any:
    import boto3  # heavy: imported on first use, not at cold start of modules that never call AWS
    from botocore.config import Config

    return boto3.client(service, config=Config(retries={"max_attempts": 5, "mode": "standard"}))


@cache
def table(name: str) -> Any:
    import boto3

    return boto3.resource("dynamodb").Table(name)


def reset() -> None:
    """Forget cached clients (tests that switch endpoints call this)."""
    client.cache_clear()
    table.cache_clear()
