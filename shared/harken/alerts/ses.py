"""SES adapter: send one raw MIME message. Takes its client; creates none."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SES_MAX_DESTINATIONS = 50


def send_raw(
    ses: Any, raw: bytes, *, sender: str, destinations: Sequence[str], configuration_set: str = ""
) -> str:
    """Send `raw` (built by harken.alerts.email.build_mime); returns the SES MessageId. Raises on
    failure (throttling included) so the caller can release its ledger claim and retry later."""
    if not destinations or len(destinations) > SES_MAX_DESTINATIONS:
        raise ValueError(f"an email needs 1 to {SES_MAX_DESTINATIONS} recipients")
    # Recipients come from the message's To header (SES reads them when Destinations is absent),
    # so the header and the envelope cannot disagree.
    kwargs: dict[str, Any] = {"Source": sender, "RawMessage": {"Data": raw}}
    if configuration_set:
        kwargs["ConfigurationSetName"] = configuration_set
    return str(ses.send_raw_email(**kwargs).get("MessageId", ""))
