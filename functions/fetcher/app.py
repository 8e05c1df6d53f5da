"""Fetcher: runs a batch of fetch jobs concurrently, queues the new items, then moves cursors.

The batch is parsed first and run as one: every job of the batch shares one pooled client per
source (the reason this handler maps partial failures itself rather than per record)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from harken.config import settings
from harken.observability import logger, metrics
from harken.service.fetching import run_fetch_batch
from harken.sources.base import FetchJob
from harken.store import aws
from harken.store.dynamo import StateRepo


@cache
def _fetch_context() -> Any:
    import os

    from harken.sources import fetch_context_from_env, load_secret_credentials

    cfg = settings()
    secrets = (
        load_secret_credentials(cfg.source_secret_arn, aws.client("secretsmanager"))
        if cfg.source_secret_arn
        else None
    )
    return fetch_context_from_env(os.environ, secrets)


def _time_budget(context: Any) -> float | None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        return None
    return max(1.0, remaining() / 1000 - 15.0)


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    cfg = settings()
    failures: list[dict[str, str]] = []
    jobs: dict[str, FetchJob] = {}
    for record in event.get("Records", []):
        try:
            jobs[record["messageId"]] = FetchJob.from_dict(json.loads(record["body"]))
        except (KeyError, TypeError, ValueError) as exc:
            logger.error(
                "malformed fetch job", extra={"message_id": record.get("messageId"), "error": str(exc)}
            )
            failures.append({"itemIdentifier": record.get("messageId", "")})
    if jobs:
        report = run_fetch_batch(
            list(jobs.values()),
            state=StateRepo(aws.table(cfg.state_table)),
            sqs=aws.client("sqs"),
            mention_queue_url=cfg.mention_queue_url,
            ctx=_fetch_context(),
            # The jobs must end with time left to queue their items and move the cursors.
            time_budget=_time_budget(context),
        )
        failed_keys = {r.job.key for r in report.jobs if r.status == "queue_error"}
        failures += [{"itemIdentifier": mid} for mid, job in jobs.items() if job.key in failed_keys]
        for r in report.jobs:
            metrics.add_metric(name="ItemsFetched", unit=MetricUnit.Count, value=r.items)
            if r.status != "ok":
                metrics.add_metric(name=f"Fetch_{r.status}", unit=MetricUnit.Count, value=1)
                # A job waiting out its backoff is expected news. A source skipped for want of
                # credentials is the operator's to fix: a warning, once a day per job (its backoff).
                log = logger.info if r.status == "backoff" else logger.warning
                log(
                    "source skipped: " + (r.error or "")
                    if r.status == "skipped"
                    else "source did not deliver",
                    extra={"job": r.job.key, "status": r.status, "error": r.error, "failures": r.failures},
                )
    return {"batchItemFailures": failures}
