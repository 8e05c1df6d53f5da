"""Errors of the alerts package that the API maps to responses (a light module: the API imports it
at cold start without the webhook and email machinery)."""

from __future__ import annotations


class UnknownMaskedSecret(ValueError):
    """A webhook secret sent back masked that matches no stored secret."""

    def __init__(self, index: int) -> None:
        super().__init__(
            "the secret is masked (********) but no stored secret belongs to this webhook: send the secret"
        )
        self.field = f"alerts.webhooks[{index}].secret"
