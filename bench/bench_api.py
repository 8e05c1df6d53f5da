"""The API's read cost and cold start.

1. Over 10,000 stored mentions (moto, tables built from template.yaml), the main filtered listings
   of GET /mentions paged with limit 50: items DynamoDB read (ScannedCount) per item returned.
   Target ≤ 2 for one filter on category, sentiment or status, per watch and tenant-wide.
2. The api handler module's import time next to `import boto3`, medians of fresh interpreters.
   Target ≤ 2.0×."""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TOTAL = 10_000
PAGE = 50
MAX_PAGES = 20
SAMPLES = 11
TARGET_RATIO, TARGET_IMPORT = 2.0, 2.0


def _env() -> None:
    for key in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(key, None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_TRACE_DISABLED="true",
        POWERTOOLS_LOG_LEVEL="WARNING",
        HARKEN_CURSOR_SECRET="bench-cursor-secret-0123456789",
    )


def _seed(tenant: str) -> dict[str, str]:
    from harken.api.deps import deps
    from harken.models import Mention, Watch
    from harken.store.dynamo import mention_to_item

    d = deps()
    watches = {"busy": "w_busy0000000000", "quiet": "w_quiet000000000"}
    base = datetime(2026, 3, 31, 12, tzinfo=UTC)
    for name, watch_id in watches.items():
        d.watches.put(
            Watch(
                id=watch_id,
                tenant_id=tenant,
                name=name,
                terms={"brand": ["Acme Cloud"]},
                sources=[{"type": "hackernews"}],
                created_at=base,
                updated_at=base,
            )
        )
    categories = ("reputation",) * 6 + ("crowd_marketing",) * 3 + ("smm",)
    sentiments = ("neutral",) * 5 + ("positive",) * 3 + ("negative",) * 2
    statuses = ("new",) * 7 + ("in_progress", "handled", "ignored")
    seen_months: set[tuple[str, str]] = set()
    with d.mentions.table.batch_writer() as batch:
        for n in range(TOTAL):
            watch_id = watches["busy"] if n % 5 else watches["quiet"]
            published = base - timedelta(minutes=26 * n)  # about six months
            mention = Mention(
                id=f"m_{n:024d}",
                watch_id=watch_id,
                tenant_id=tenant,
                source=("reddit", "hackernews", "mastodon")[n % 3],
                url=f"https://example.com/{n}",
                title=f"Item {n}",
                text=f"Acme Cloud mention {n}",
                published_at=published,
                fetched_at=published + timedelta(minutes=3),
                language="en",
                matches=[{"term": "Acme Cloud", "kind": "brand", "how": "exact"}],
                category=categories[(n * 7) % 10],
                sentiment={"label": sentiments[(n * 3) % 10], "score": 0.0},
                intents=["question"] if n % 9 == 0 else [],
                status=statuses[(n * 11) % 10],
            )
            batch.put_item(Item=mention_to_item(mention))
            key = (watch_id, published.strftime("%Y-%m"))
            if key not in seen_months:
                seen_months.add(key)
                d.state.add_months(mention)
    return watches


def _load_api() -> Any:
    spec = importlib.util.spec_from_file_location("harken_bench_api", ROOT / "functions" / "api" / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _event(path: str, query: dict[str, str], tenant: str) -> dict[str, Any]:
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} or None,
        "pathParameters": None,
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "stage": "prod",
            "authorizer": {"tenant_id": tenant},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def read_costs() -> list[tuple[str, int, int, float, bool]]:
    from moto import mock_aws

    _env()
    with mock_aws():
        sys.path.insert(0, str(ROOT / "infra"))
        from harken.api import deps as api_deps
        from harken_local.resources import create_from_template, function_environment

        resources = create_from_template(sender="bench@harken.local")
        os.environ.update(
            function_environment(resources, {"SenderEmail": "bench@harken.local", "HarkenApi": "x"})
        )
        api_deps.reset()
        tenant = "tenant-bench"
        started = time.perf_counter()
        watches = _seed(tenant)
        print(f"seeded {TOTAL} mentions in {time.perf_counter() - started:.1f}s")
        api = _load_api()
        scanned: list[int] = []
        client = api_deps.deps().mentions.table.meta.client
        client.meta.events.register(
            "after-call.dynamodb.Query",
            lambda parsed, **_: scanned.append(int(parsed.get("ScannedCount", 0))),
        )
        main = [{"category": "smm"}, {"sentiment": "negative"}, {"status": "in_progress"}]
        extra = [{}, {"category": "reputation", "sentiment": "negative"}, {"intent": "question"}]
        rows = []
        for scope in ("watch", "tenant"):
            for filters in main + extra:
                query = {**filters, "limit": str(PAGE)}
                if scope == "watch":
                    query["watch_id"] = watches["busy"]
                scanned.clear()
                returned = 0
                for _ in range(MAX_PAGES):
                    response = api.handler(_event("/mentions", query, tenant), None)
                    assert response["statusCode"] == 200, response["body"]
                    page = json.loads(response["body"])
                    returned += len(page["items"])
                    if not page["next_cursor"]:
                        break
                    query["cursor"] = page["next_cursor"]
                label = f"{scope:<6} " + (" & ".join(f"{k}={v}" for k, v in filters.items()) or "(no filter)")
                ratio = sum(scanned) / max(returned, 1)
                rows.append((label, returned, sum(scanned), ratio, filters in main))
        return rows


SNIPPET = """
import sys, time
sys.path.insert(0, {path!r})
t = time.perf_counter()
{stmt}
print(time.perf_counter() - t)
"""


def _sample(stmt: str, path: str = "") -> float:
    out = subprocess.run(
        [sys.executable, "-c", SNIPPET.format(path=path, stmt=stmt)],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "POWERTOOLS_METRICS_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    return float(out.stdout.strip().splitlines()[-1])


def import_times() -> tuple[float, float, float]:
    """Medians of boto3, the api module, and the api module plus a first request, sampled in turn
    so that load on the machine weighs on all three alike."""
    api_dir = str(ROOT / "functions" / "api")
    health = (
        "import app\n"
        "app.handler({'resource': '/health', 'path': '/health', 'httpMethod': 'GET', 'headers': {},"
        " 'requestContext': {}, 'body': None, 'isBase64Encoded': False}, None)"
    )
    samples: dict[str, list[float]] = {"boto3": [], "app": [], "first": []}
    for _ in range(SAMPLES):
        samples["boto3"].append(_sample("import boto3"))
        samples["app"].append(_sample("import app", api_dir))
        samples["first"].append(_sample(health, api_dir))
    return tuple(statistics.median(v) for v in samples.values())  # type: ignore[return-value]


def main() -> int:
    rows = read_costs()
    print(f"\nGET /mentions, limit {PAGE}, up to {MAX_PAGES} pages; items read per item returned")
    print(f"{'query':<48} {'returned':>8} {'read':>7} {'ratio':>6}")
    worst = 0.0
    for label, returned, scanned, ratio, is_main in rows:
        flag = ("ok" if ratio <= TARGET_RATIO else "OVER TARGET") if is_main else "(info)"
        if is_main:
            worst = max(worst, ratio)
        print(f"{label:<48} {returned:>8} {scanned:>7} {ratio:>6.2f}  {flag}")
    print(f"worst main filtered query: {worst:.2f} items read per item returned (target <= {TARGET_RATIO})")
    base, imported, first = import_times()
    print(f"\nimport boto3:              {base * 1000:6.0f} ms (median of {SAMPLES} fresh interpreters)")
    print(
        f"import functions/api/app:  {imported * 1000:6.0f} ms  {imported / base:4.2f}x boto3 (target <= {TARGET_IMPORT}x)"
    )
    print(
        f"  + first GET /health:     {first * 1000:6.0f} ms  {first / base:4.2f}x boto3 (info: validation set-up)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
