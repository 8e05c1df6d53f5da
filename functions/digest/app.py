"""Digest: on each hourly tick, the hourly/daily/weekly digest email of every watch whose period
just ended, and spike alerts. Thin: parse the scheduled event, call harken.service.digest."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from harken.observability import logger, metrics

_deps: Any = None


class DigestTickFailed(RuntimeError):
    """Some watches failed; the scheduled retry runs the tick again (the ledger skips what went)."""


def deps() -> Any:
    global _deps
    if _deps is None:
        from harken.service.digest import DigestDeps, DigestSettings
        from harken.store import aws
        from harken.store.dynamo import MentionRepo, StateRepo, WatchRepo

        settings = DigestSettings.from_env()
        _deps = DigestDeps(
            watches=WatchRepo(aws.table(settings.watches_table)),
            mentions=MentionRepo(aws.table(settings.mentions_table)),
            state=StateRepo(aws.table(settings.state_table)),
            client=aws.client,
            settings=settings,
        )
    return _deps


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from harken.service import digest

    d = deps()
    now = digest.tick_time(event, d)
    result = digest.run_tick(d, now)
    for name, value in result.counts.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info("digest tick", extra={"time": now.isoformat(), "counts": dict(result.counts)})
    if result.errors:
        raise DigestTickFailed(f"{len(result.errors)} watch steps failed: {result.errors[:5]}")
    return {"time": now.isoformat(), "counts": dict(result.counts)}
