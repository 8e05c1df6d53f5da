"""What the routes need, built once per container on first use (no client at import time): the
repositories over the configured tables, the settings and the cursor signer."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from harken.api.cursor import CursorSigner, load_or_create_secret
from harken.api.errors import Unauthorized
from harken.config import Settings, settings
from harken.store import aws
from harken.store.dynamo import MentionRepo, StateRepo, WatchRepo


@dataclass
class Deps:
    settings: Settings
    watches: WatchRepo
    mentions: MentionRepo
    state: StateRepo
    _signer: CursorSigner | None = field(default=None, repr=False)

    @property
    def signer(self) -> CursorSigner:
        if self._signer is None:
            secret = self.settings.cursor_secret.encode()
            self._signer = CursorSigner(
                secret if len(secret) >= 16 else load_or_create_secret(self.state.table)
            )
        return self._signer

    def client(self, service: str) -> Any:
        return aws.client(service)


@cache
def deps() -> Deps:
    s = settings()
    return Deps(
        settings=s,
        watches=WatchRepo(aws.table(s.watches_table)),
        mentions=MentionRepo(aws.table(s.mentions_table)),
        state=StateRepo(aws.table(s.state_table)),
    )


def reset() -> None:
    """Forget the container's dependencies (tests that switch environments call this)."""
    deps.cache_clear()
    settings.cache_clear()
    aws.reset()


def tenant_of(event: dict[str, Any]) -> str:
    """The tenant the authorizer resolved the x-api-key to (requestContext.authorizer.tenant_id).
    API Gateway never invokes a protected route without it; refusing here too keeps a
    misconfigured route from serving data unauthenticated."""
    context = (event.get("requestContext") or {}).get("authorizer") or {}
    tenant = context.get("tenant_id") if isinstance(context, dict) else None
    if not tenant or not isinstance(tenant, str):
        raise Unauthorized("missing or invalid x-api-key")
    return tenant
