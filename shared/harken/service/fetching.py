"""Fetching: the scheduler's fan-out of fetch jobs, and the fetcher's run of a batch of jobs.

The order of effects in `run_fetch_batch` is what keeps items from being lost: items are queued
first, and only then is the job's cursor advanced. A source fault leaves the cursor where it was
and sets a retry time with exponential backoff; the next scheduler tick retries the job."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from harken.models import Item, Watch
from harken.sources.base import FetchJob, SourceError, SourceSkipped
from harken.store.dynamo import StateRepo

BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600
SQS_BATCH = 10


def backoff_seconds(failures: int, retry_after: float | None = None) -> float:
    """Exponential backoff with jitter, never shorter than what the source asked for, and never
    longer than a day whatever it asked ("Retry-After: 1e12", "inf": a job stopped for ever, or
    an OverflowError on every batch after)."""
    delay = min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, failures - 1))
    delay = delay / 2 + random.uniform(0, delay / 2)
    asked = retry_after if retry_after is not None and retry_after == retry_after else 0.0  # NaN
    return min(max(delay, asked), RETRY_AFTER_MAX_SECONDS)


RETRY_AFTER_MAX_SECONDS = 86_400.0
# SQS takes at most 256 KiB per message and per batch (bodies in UTF-8 bytes).
SQS_MAX_BATCH_BYTES = 250_000


def plan_fetch_jobs(watches: Iterable[Watch]) -> list[FetchJob]:
    """Every fetch job of every watch: one per (watch, source, query)."""
    from harken.sources import plan_jobs

    return [job for watch in watches for job in plan_jobs(watch)]


def _batches(bodies: list[str]) -> Iterable[list[str]]:
    """Bodies in SQS batches: at most ten, and at most SQS_MAX_BATCH_BYTES of UTF-8 together (ten
    long Japanese items made one batch of 600 KB: BatchRequestTooLong at every attempt)."""
    chunk: list[str] = []
    size = 0
    for body in bodies:
        n = len(body.encode("utf-8"))
        if chunk and (len(chunk) == SQS_BATCH or size + n > SQS_MAX_BATCH_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append(body)
        size += n
    if chunk:
        yield chunk


def send_messages(sqs: Any, queue_url: str, bodies: list[str]) -> None:
    """Send message bodies in batches (ten, or fewer by size); retry failed entries, then raise."""
    for chunk in _batches(bodies):
        entries = [{"Id": str(i), "MessageBody": body} for i, body in enumerate(chunk)]
        for _attempt in range(3):
            response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
            failed = {f["Id"] for f in response.get("Failed", [])}
            if not failed:
                break
            entries = [e for e in entries if e["Id"] in failed]
        else:
            raise RuntimeError(f"{len(entries)} messages could not be sent to {queue_url}")


def send_jobs(sqs: Any, queue_url: str, jobs: list[FetchJob]) -> int:
    send_messages(sqs, queue_url, [json.dumps(job.to_dict()) for job in jobs])
    return len(jobs)


def item_message(job: FetchJob, item: Item) -> str:
    # UTF-8 as it is (ensure_ascii made each Japanese or Cyrillic character 6 bytes: a 20,000-
    # character item was 120 KB).
    return json.dumps(
        {"watch_id": job.watch_id, "tenant_id": job.tenant_id, "item": item.model_dump(mode="json")},
        ensure_ascii=False,
    )


@dataclass
class JobReport:
    """What happened to one job of a batch (for logs, metrics and the partial batch response)."""

    job: FetchJob
    items: int = 0
    status: str = "ok"  # ok | backoff | skipped | source_error | queue_error
    error: str | None = None
    failures: int = 0


@dataclass
class BatchReport:
    jobs: list[JobReport] = field(default_factory=list)

    @property
    def items(self) -> int:
        return sum(r.items for r in self.jobs)


def run_fetch_batch(
    jobs: list[FetchJob],
    *,
    state: StateRepo,
    sqs: Any,
    mention_queue_url: str,
    ctx: Any,
    now: float | None = None,
    time_budget: float | None = None,
) -> BatchReport:
    """Run a batch of fetch jobs concurrently; queue new items; advance cursors only after.

    A job whose items could not be queued has status `queue_error` and an unchanged cursor: the
    caller reports its record as failed so SQS redelivers it. Source faults are recorded on the
    cursor and retried later by the scheduler."""
    from harken.sources import run_jobs

    now = now or time.time()
    report = BatchReport()
    pairs = []
    failures_before: dict[str, int] = {}
    for job in jobs:
        cursor, meta = state.get_cursor(job.key)
        failures_before[job.key] = int(meta.get("failures", 0))
        if meta.get("retry_at", 0) > now:
            report.jobs.append(JobReport(job, status="backoff", failures=failures_before[job.key]))
            continue
        pairs.append((job, cursor))
    outcomes = asyncio.run(run_jobs(pairs, ctx, time_budget)) if pairs else []
    for outcome in outcomes:
        job = outcome.job
        if outcome.error is not None or outcome.result is None:
            error = outcome.error or SourceError("no result")
            if isinstance(error, SourceSkipped):
                report.jobs.append(JobReport(job, status="skipped", error=str(error)))
                state.record_failure(job.key, str(error), now + BACKOFF_MAX_SECONDS)
                continue
            retry_at = now + backoff_seconds(failures_before[job.key] + 1, error.retry_after)
            failures = state.record_failure(job.key, f"{error.kind}: {error}", retry_at)
            report.jobs.append(JobReport(job, status="source_error", error=str(error), failures=failures))
            continue
        result = outcome.result
        try:
            send_messages(sqs, mention_queue_url, [item_message(job, item) for item in result.items])
        except Exception as exc:
            report.jobs.append(JobReport(job, status="queue_error", error=str(exc)))
            continue
        state.save_cursor(job.key, result.cursor, now)
        report.jobs.append(JobReport(job, items=len(result.items)))
    return report
