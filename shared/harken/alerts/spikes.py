"""Spike episodes, pure: turn the per-window verdicts of harken.rules into alerts, once per spike.

A kind (volume, negative) that spikes opens an episode and alerts; while the episode lasts, later
windows above the threshold stay quiet; the first window back under it closes the episode."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harken.rules import SpikeVerdict


@dataclass(frozen=True)
class SpikeDecision:
    alert: list[SpikeVerdict]  # kinds whose episode starts in this window
    active: dict[str, str]  # kind -> window (ISO) its still-open episode started in


def decide(verdicts: Sequence[SpikeVerdict], window: str, active: dict[str, str]) -> SpikeDecision:
    """Which verdicts alert now, and the episodes that stay open after `window`."""
    still: dict[str, str] = {}
    alert: list[SpikeVerdict] = []
    for v in verdicts:
        if v.is_spike:
            if v.kind in active:
                still[v.kind] = active[v.kind]
            else:
                still[v.kind] = window
                alert.append(v)
    return SpikeDecision(alert, still)
