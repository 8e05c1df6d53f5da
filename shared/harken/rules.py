"""Alert rules, pure: which mentions alert at once, when a watch's volume is a spike, and which
time window a digest covers. No AWS, no network, no clock reads (callers pass `now`)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from harken.models import Alerts, InstantRule, Mention, as_utc

# ------------------------------------------------------------------ instant alerts


def meets_instant(mention: Mention, rule: InstantRule | None) -> bool:
    """True when `mention` passes `alerts.instant`. No rule (null) means instant alerts are off; an
    empty list in the rule accepts any value of that field; intents match when any one is listed."""
    if rule is None:
        return False
    if rule.categories and mention.category not in rule.categories:
        return False
    if rule.sentiments and mention.sentiment.label not in rule.sentiments:
        return False
    return not (rule.intents and not set(mention.intents) & set(rule.intents))


def wants_instant(alerts: Alerts, mention: Mention) -> bool:
    """True when the watch has somewhere to send instant alerts and the mention meets the rule."""
    return bool(alerts.email or alerts.webhooks) and meets_instant(mention, alerts.instant)


# ------------------------------------------------------------------ digests

PERIOD_LENGTH: dict[str, timedelta] = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
}


def period_start(period: str, at: datetime) -> datetime:
    """The start (UTC) of the `period` that contains `at`: the hour, the day, or the ISO week
    (Monday 00:00 UTC)."""
    at = as_utc(at)
    if period == "hourly":
        return at.replace(minute=0, second=0, microsecond=0)
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "daily":
        return day
    if period == "weekly":
        return day - timedelta(days=day.weekday())
    raise ValueError(f"no digest period {period!r}")


def last_complete_period(period: str, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the most recent period that has fully ended at `now`. The digest for it is
    sent by the first tick after `end`; a later tick computes the same window, so a missed tick
    is caught up and the ledger keeps it to one email."""
    end = period_start(period, now)
    return end - PERIOD_LENGTH[period], end


# ------------------------------------------------------------------ spikes


@dataclass(frozen=True)
class SpikePolicy:
    """When a watch's volume counts as a spike, relative to its own hourly baseline."""

    window: timedelta = timedelta(hours=1)
    baseline_windows: int = 7 * 24  # how far back the baseline reaches (in windows)
    min_data_points: int = 24  # baseline windows the watch must have existed for
    min_count: int = 5  # never a spike below this many mentions in the window
    ratio: float = 3.0  # at least this many times the baseline mean
    z: float = 3.0  # and this many standard deviations above it


@dataclass(frozen=True)
class SpikeVerdict:
    kind: str  # "volume" | "negative"
    count: int
    mean: float
    threshold: float
    data_points: int
    is_spike: bool


def spike_threshold(baseline: Sequence[int], policy: SpikePolicy) -> tuple[float, float]:
    """(mean, threshold) of a baseline of per-window counts."""
    n = len(baseline)
    mean = sum(baseline) / n if n else 0.0
    var = sum((c - mean) ** 2 for c in baseline) / n if n else 0.0
    # A Poisson floor on the spread keeps a perfectly flat baseline from making +1 a spike.
    spread = max(math.sqrt(var), math.sqrt(mean), 1.0)
    return mean, max(float(policy.min_count), policy.ratio * mean, mean + policy.z * spread)


def detect_spike(kind: str, current: int, baseline: Sequence[int], policy: SpikePolicy) -> SpikeVerdict:
    """Whether `current` (mentions in the latest window) is a spike over `baseline` (counts of the
    earlier windows the watch existed for). Too few data points is never a spike, so a new or
    quiet watch does not fire on its first mentions."""
    mean, threshold = spike_threshold(baseline, policy)
    enough = len(baseline) >= policy.min_data_points
    return SpikeVerdict(kind, current, mean, threshold, len(baseline), enough and current >= threshold)


def bucket_counts(
    times: Iterable[datetime], window_end: datetime, windows: int, window: timedelta
) -> list[int]:
    """Counts of `times` per window, oldest first, for the `windows` windows ending at `window_end`
    (the last element is the window [window_end - window, window_end))."""
    counts = [0] * windows
    start = window_end - windows * window
    for t in times:
        t = as_utc(t)
        if start <= t < window_end:
            counts[int((t - start) / window)] += 1
    return counts


def spike_windows(
    published: Iterable[tuple[datetime, bool]],
    *,
    now: datetime,
    watch_created: datetime,
    policy: SpikePolicy,
) -> tuple[datetime, list[SpikeVerdict]]:
    """Evaluate the latest complete window before `now` for total and negative volume.

    `published` holds (published_at, is_negative) of the watch's mentions over the baseline reach.
    Returns the window's start and one verdict per kind. Baseline windows before the watch existed
    do not count as data points (they would read as a quiet history that never was)."""
    step = policy.window.total_seconds()
    end = datetime.fromtimestamp(math.floor(as_utc(now).timestamp() / step) * step, tz=UTC)
    total = policy.baseline_windows + 1
    rows = list(published)
    all_counts = bucket_counts((t for t, _ in rows), end, total, policy.window)
    neg_counts = bucket_counts((t for t, neg in rows if neg), end, total, policy.window)
    first = end - total * policy.window
    created = as_utc(watch_created)
    # windows that started at or after the watch existed
    skip = max(0, math.ceil((created - first) / policy.window)) if created > first else 0
    verdicts = []
    for kind, counts in (("volume", all_counts), ("negative", neg_counts)):
        baseline = counts[skip:-1]
        verdicts.append(detect_spike(kind, counts[-1], baseline, policy))
    return end - policy.window, verdicts
