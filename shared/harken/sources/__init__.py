"""Source adapters: from a watch's `sources` to normalised `Item`s.

The public surface, all importable without httpx (it is imported when jobs run):

- `plan_jobs(watch) -> list[FetchJob]`
- `await run_jobs(pairs, ctx) -> list[JobOutcome]`
- `FetchContext`, `fetch_context_from_env(env, secrets=None)`, `load_secret_credentials(secret_id, client)`

See `harken.sources.context` for the environment variables.
"""

from __future__ import annotations

from harken.sources.base import (
    SEEN_MAX,
    Cursor,
    FetchJob,
    FetchResult,
    JobOutcome,
    SourceError,
    SourceSkipped,
)
from harken.sources.context import FetchContext, fetch_context_from_env, load_secret_credentials
from harken.sources.planning import plan_jobs

__all__ = [
    "SEEN_MAX",
    "Cursor",
    "FetchContext",
    "FetchJob",
    "FetchResult",
    "JobOutcome",
    "SourceError",
    "SourceSkipped",
    "fetch_context_from_env",
    "load_secret_credentials",
    "plan_jobs",
    "run_jobs",
]


async def run_jobs(
    pairs: list[tuple[FetchJob, Cursor]], ctx: FetchContext, time_budget: float | None = None
) -> list[JobOutcome]:
    """Run every (job, cursor) pair concurrently and return one JobOutcome per pair, in order.
    Never raises for a source fault; see `harken.sources.runner`."""
    from harken.sources.runner import run_jobs as _run_jobs

    return await _run_jobs(pairs, ctx, time_budget)
