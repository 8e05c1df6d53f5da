"""Scheduler: on each tick, fan out one fetch job per (watch, source, query) to the FetchQueue."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from harken.config import settings
from harken.observability import logger, metrics
from harken.service.fetching import plan_fetch_jobs, send_jobs
from harken.store import aws
from harken.store.dynamo import WatchRepo


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    cfg = settings()
    jobs = plan_fetch_jobs(WatchRepo(aws.table(cfg.watches_table)).scan_all())
    sent = send_jobs(aws.client("sqs"), cfg.fetch_queue_url, jobs)
    metrics.add_metric(name="FetchJobsScheduled", unit=MetricUnit.Count, value=sent)
    logger.info("scheduled fetch jobs", extra={"jobs": sent})
    return {"jobs": sent}
