"""Checks on a watch's `alerts` when the watch is saved, beyond what the model's types enforce:
webhook URLs that are unsafe to call (SSRF), plain http in AWS, one URL listed twice. Each problem
names its field, so the API can answer 400 with it."""

from __future__ import annotations

from harken.models import Alerts


def validate_alerts(
    alerts: Alerts, *, allow_private: bool, require_https: bool = True
) -> list[dict[str, str]]:
    """Problems as [{"field": "alerts.webhooks[0].url", "message": "..."}]; empty when all is well.
    Resolves webhook host names (DNS), so a name pointing at a private address is refused too."""
    from harken.net import UnsafeURL, assert_public_url

    problems: list[dict[str, str]] = []
    seen: dict[str, int] = {}
    for i, hook in enumerate(alerts.webhooks):
        field = f"alerts.webhooks[{i}].url"
        if hook.url in seen:
            problems.append({"field": field, "message": f"the same URL as alerts.webhooks[{seen[hook.url]}]"})
            continue
        seen[hook.url] = i
        try:
            assert_public_url(hook.url, allow_private=allow_private, require_https=require_https)
        except UnsafeURL as exc:
            problems.append({"field": field, "message": f"refused: {exc}"})
    lowered = [a.lower() for a in alerts.email]
    for i, address in enumerate(lowered):
        if address in lowered[:i]:
            problems.append({"field": f"alerts.email[{i}]", "message": f"{alerts.email[i]} is listed twice"})
    return problems
