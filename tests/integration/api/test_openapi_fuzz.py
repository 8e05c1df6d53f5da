"""Schemathesis against the generated OpenAPI document: every operation, positive and negative
cases, through the API Gateway adapter (authorizer, then the api function) over moto. No response
is a 5xx, and every response matches the status codes and schemas the document declares."""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

import pytest

from tests.integration.api.conftest import KEY_A, create_watch, make_mention, store

schemathesis = pytest.importorskip("schemathesis")

EXAMPLES = int(os.environ.get("HARKEN_FUZZ_EXAMPLES", "100"))
BUDGET_SECONDS = float(os.environ.get("HARKEN_FUZZ_SECONDS", "240"))


def test_every_operation_survives_generated_requests(api: Any) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis.checks import not_a_server_error
    from schemathesis.generation import GenerationMode
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        negative_data_rejection,
        response_schema_conformance,
        status_code_conformance,
    )

    watch = create_watch(api)
    store(
        [
            make_mention(watch["id"], "tenant-a", n, sentiment="negative" if n % 2 else "neutral")
            for n in range(15)
        ]
    )
    document = api.request("GET", "/openapi.json", key=KEY_A).json()
    document["servers"] = [{"url": "/"}]  # this WSGI gateway serves the stage at its root
    schema = schemathesis.openapi.from_dict(document)
    schema.app = api.wsgi_app
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    # Invalid query and path parameters must be rejected. Bodies are excluded from this one check:
    # the watch models strip surrounding whitespace before length limits, so a 201-character name
    # that ends in a space is accepted though the JSON Schema alone would call it too long.
    started = time.monotonic()
    counts: dict[str, int] = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12, [op.label for op in operations]

    def runner(operation: Any, mode: Any) -> Any:
        label = f"{operation.label} [{mode.value}]"

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            counts[label] = counts.get(label, 0) + 1
            case.headers = {**(case.headers or {}), "x-api-key": KEY_A}
            extra = [negative_data_rejection] if "requestBody" not in operation.definition.raw else []
            case.call_and_validate(checks=checks + extra)

        return run

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            if time.monotonic() - started > BUDGET_SECONDS:
                break
            # Unsatisfiable: nothing to make invalid (an operation without parameters or body)
            with contextlib.suppress(Unsatisfiable):
                runner(operation, mode)()
    total = sum(counts.values())
    elapsed = time.monotonic() - started
    print(f"\nschemathesis: {total} cases over {len(operations)} operations in {elapsed:.1f}s")
    for label, count in sorted(counts.items()):
        print(f"  {count:4d}  {label}")
    assert total >= len(operations) * 10
