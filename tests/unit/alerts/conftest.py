"""Plain-data builders for alert unit tests (no AWS)."""

from __future__ import annotations

from tests.integration.alerts.conftest import make_mention, make_watch

__all__ = ["make_mention", "make_watch"]
