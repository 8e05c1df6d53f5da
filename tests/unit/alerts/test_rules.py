"""Alert rules: the instant filter, digest periods and spike math, on plain data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from harken.alerts.spikes import decide
from harken.models import Alerts, InstantRule
from harken.rules import (
    SpikePolicy,
    detect_spike,
    last_complete_period,
    meets_instant,
    spike_windows,
    wants_instant,
)

from tests.unit.alerts.builders import make_mention


def test_default_rule_alerts_negative_reputation_only() -> None:
    rule = Alerts().instant
    assert meets_instant(make_mention(label="negative"), rule)
    assert not meets_instant(make_mention(label="positive", score=0.5), rule)
    assert not meets_instant(make_mention(category="crowd_marketing"), rule)


def test_null_rule_turns_instant_alerts_off() -> None:
    assert not meets_instant(make_mention(), None)
    assert not wants_instant(Alerts(email=["a@b.co"], instant=None), make_mention())


def test_empty_rule_accepts_everything_and_intents_match_any() -> None:
    assert meets_instant(make_mention(category="smm", label="positive", score=0.2), InstantRule())
    leads = InstantRule(categories=["crowd_marketing"], intents=["purchase_intent", "recommendation_request"])
    assert meets_instant(
        make_mention(category="crowd_marketing", intents=["question", "purchase_intent"]), leads
    )
    assert not meets_instant(make_mention(category="crowd_marketing", intents=["question"]), leads)


def test_no_channel_means_no_instant_alert() -> None:
    assert not wants_instant(Alerts(), make_mention())


@pytest.mark.parametrize(
    ("period", "now", "start", "end"),
    [
        ("hourly", "2026-03-09T07:05:00", "2026-03-09T06:00:00", "2026-03-09T07:00:00"),
        ("daily", "2026-03-09T00:10:00", "2026-03-08T00:00:00", "2026-03-09T00:00:00"),
        ("daily", "2026-03-01T13:00:00", "2026-02-28T00:00:00", "2026-03-01T00:00:00"),
        # 2026-03-09 is a Monday: the week that just ended is Mon 2 to Mon 9 March
        ("weekly", "2026-03-09T00:30:00", "2026-03-02T00:00:00", "2026-03-09T00:00:00"),
        ("weekly", "2026-03-12T15:00:00", "2026-03-02T00:00:00", "2026-03-09T00:00:00"),
    ],
)
def test_last_complete_period(period: str, now: str, start: str, end: str) -> None:
    def t(s: str) -> datetime:
        return datetime.fromisoformat(s).replace(tzinfo=UTC)

    assert last_complete_period(period, t(now)) == (t(start), t(end))


POLICY = SpikePolicy(min_data_points=24, min_count=5, ratio=3.0, z=3.0)


def test_spike_needs_enough_history() -> None:
    assert not detect_spike("volume", 50, [1] * 10, POLICY).is_spike  # 10 windows of history only
    assert detect_spike("volume", 50, [1] * 48, POLICY).is_spike


def test_spike_is_relative_to_the_watch_s_own_baseline() -> None:
    busy = [20, 25, 18, 22] * 12
    assert not detect_spike("volume", 30, busy, POLICY).is_spike  # normal for a busy watch
    assert detect_spike("volume", 90, busy, POLICY).is_spike
    assert not detect_spike("volume", 4, [0] * 48, POLICY).is_spike  # below the minimum count


def _times(now: datetime, per_hour: dict[int, int], negative: bool = False) -> list[tuple[datetime, bool]]:
    """`per_hour[h]` mentions in the window h hours before the last complete one (0 = that window)."""
    end = now.replace(minute=0, second=0, microsecond=0)
    out = []
    for h, n in per_hour.items():
        start = end - timedelta(hours=h + 1)
        out += [(start + timedelta(minutes=1 + i % 58), negative) for i in range(n)]
    return out


def test_spike_windows_counts_total_and_negative() -> None:
    now = datetime(2026, 3, 9, 7, 5, tzinfo=UTC)
    rows = _times(now, {h: 2 for h in range(1, 72)}) + _times(now, {0: 30}, negative=True)
    window, verdicts = spike_windows(rows, now=now, watch_created=now - timedelta(days=3), policy=POLICY)
    assert window == datetime(2026, 3, 9, 6, tzinfo=UTC)
    by_kind = {v.kind: v for v in verdicts}
    assert by_kind["volume"].is_spike and by_kind["volume"].count == 30
    assert by_kind["negative"].is_spike and by_kind["negative"].count == 30
    assert by_kind["volume"].data_points == 70  # whole windows since the watch was created


def test_a_new_watch_does_not_fire_on_its_first_mentions() -> None:
    now = datetime(2026, 3, 9, 7, 5, tzinfo=UTC)
    # the first poll stores older history too, but the watch only existed for two hours
    rows = _times(now, {h: 3 for h in range(0, 100)}) + _times(now, {0: 40})
    _, verdicts = spike_windows(rows, now=now, watch_created=now - timedelta(hours=2), policy=POLICY)
    assert not any(v.is_spike for v in verdicts)
    assert verdicts[0].data_points == 0


def test_a_spike_alerts_once_until_it_ends() -> None:
    spike = detect_spike("volume", 50, [1] * 48, POLICY)
    calm = detect_spike("volume", 1, [1] * 48, POLICY)
    first = decide([spike], "06:00", {})
    assert [v.kind for v in first.alert] == ["volume"] and first.active == {"volume": "06:00"}
    second = decide([spike], "07:00", first.active)
    assert second.alert == [] and second.active == {"volume": "06:00"}
    over = decide([calm], "08:00", second.active)
    assert over.alert == [] and over.active == {}
    again = decide([spike], "09:00", over.active)
    assert [v.kind for v in again.alert] == ["volume"]
