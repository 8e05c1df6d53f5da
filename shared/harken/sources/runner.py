"""Runs fetch jobs concurrently: one pooled client per source type, per-source concurrency and
rate limits, a time limit per job, and every fault turned into a JobOutcome error (a source
never takes the batch down with it)."""

from __future__ import annotations

import asyncio
import importlib
import logging
from types import ModuleType

from harken.models import utcnow
from harken.sources.base import (
    DEFAULT_OVERLAP_SECONDS,
    Cursor,
    FetchJob,
    FetchResult,
    JobOutcome,
    SourceError,
    advance,
)
from harken.sources.context import FetchContext
from harken.sources.http import SourceHttp, build_client

log = logging.getLogger("harken.sources")

ADAPTERS = (
    "rss", "reddit", "hackernews", "mastodon", "bluesky", "stackexchange", "github", "lemmy", "lobsters",
    "youtube",
)  # fmt: skip
# Jobs of one source type in flight at once (the rate limiter paces them further).
_SOURCE_CONCURRENCY = {"rss": 0, "lemmy": 4, "mastodon": 8}
_DEFAULT_SOURCE_CONCURRENCY = 8


def adapter_module(source_type: str) -> ModuleType:
    if source_type not in ADAPTERS:
        raise SourceError(f"unknown source type {source_type!r}", kind="unsupported")
    return importlib.import_module(f"harken.sources.{source_type}")


async def run_job(
    job: FetchJob, cursor: Cursor, http: SourceHttp, ctx: FetchContext, deadline: float | None = None
) -> FetchResult:
    """Fetch one job and keep only what is new; raises SourceError on any fault. The job stops at
    `ctx.job_timeout` or at the batch's `deadline` (loop time), whichever comes first."""
    module = adapter_module(str(job.source.get("type")))
    now = utcnow()
    timeout = ctx.job_timeout
    if deadline is not None:
        timeout = max(0.5, min(timeout, deadline - asyncio.get_running_loop().time()))
    try:
        raw = await asyncio.wait_for(module.fetch(job, cursor, http, ctx, now), timeout=timeout)
    except TimeoutError as exc:
        raise SourceError(
            f"{job.source.get('type')}: job took longer than {timeout:.0f}s", kind="timeout"
        ) from exc
    overlap = getattr(module, "OVERLAP_SECONDS", DEFAULT_OVERLAP_SECONDS)
    fresh, new_cursor = advance(raw.cursor, raw.items, now=now, overlap_seconds=overlap)
    # advance() starts from the adapter's cursor (its etag/state) but must filter against the
    # cursor the job started with.
    started = set(cursor.seen)
    fresh = [item for item in fresh if (item.native_id or item.url) not in started]
    return FetchResult(items=fresh, cursor=new_cursor)


async def run_jobs(
    pairs: list[tuple[FetchJob, Cursor]], ctx: FetchContext, time_budget: float | None = None
) -> list[JobOutcome]:
    """Run every (job, cursor) pair concurrently; one outcome per pair, in order. With a
    `time_budget` (seconds), every job ends by then, also one that waited for a free slot: ten
    slow sources used to run 2 x 60 s in a 90 s Lambda, and the whole batch's items were lost."""
    deadline = asyncio.get_running_loop().time() + time_budget if time_budget is not None else None
    clients: dict[str, SourceHttp] = {}
    gate = asyncio.Semaphore(max(1, ctx.max_concurrency))
    per_source: dict[str, asyncio.Semaphore] = {}

    def http_for(source_type: str) -> SourceHttp:
        if source_type not in clients:
            limit = _SOURCE_CONCURRENCY.get(source_type, _DEFAULT_SOURCE_CONCURRENCY) or ctx.max_concurrency
            per_source[source_type] = asyncio.Semaphore(limit)
            first = build_client(ctx, max_connections=min(limit, SourceHttp.SHARD_SIZE))
            shards = -(-limit // SourceHttp.SHARD_SIZE)
            clients[source_type] = SourceHttp(source_type, first, ctx, max_shards=shards)
        return clients[source_type]

    async def one(job: FetchJob, cursor: Cursor) -> JobOutcome:
        source_type = str(job.source.get("type", ""))
        try:
            adapter_module(source_type)
            http = http_for(source_type)
            async with gate, per_source[source_type]:
                result = await run_job(job, cursor, http, ctx, deadline)
            return JobOutcome(job=job, result=result)
        except SourceError as exc:
            level = logging.INFO if exc.kind == "skipped" else logging.WARNING
            log.log(level, "source job %s failed (%s): %s", job.key, exc.kind, exc)
            return JobOutcome(job=job, error=exc)
        except Exception as exc:  # a payload the adapter did not expect; never crash the batch
            log.exception("source job %s failed unexpectedly", job.key)
            return JobOutcome(
                job=job,
                error=SourceError(
                    f"{source_type}: unexpected {type(exc).__name__}: {exc}", kind="bad_payload"
                ),
            )

    try:
        return list(await asyncio.gather(*(one(job, cursor) for job, cursor in pairs)))
    finally:
        await asyncio.gather(*(c.aclose() for c in clients.values()), return_exceptions=True)
