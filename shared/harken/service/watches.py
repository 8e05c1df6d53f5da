"""Watches as the API manages them: create, replace, delete, poll now. Repositories and clients are
passed in; webhook secrets leave the document before it is stored (harken.alerts.secrets)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from harken.ids import new_watch_id
from harken.models import Watch, WatchIn
from harken.store.dynamo import WatchRepo


class WatchNotFound(LookupError):
    pass


def _store(
    repo: WatchRepo, watch: Watch, previous: Watch | None, secrets_client: Any, secret_prefix: str
) -> Watch:
    from harken.alerts.secrets import externalize_secrets

    # Without a prefix the plaintext stays in the document (local stack); masked secrets sent back
    # from a GET still resolve to the stored ones either way.
    stored = externalize_secrets(watch, secrets_client if secret_prefix else None, secret_prefix, previous)
    repo.put(stored)
    return stored


def create_watch(
    repo: WatchRepo,
    tenant_id: str,
    body: WatchIn,
    *,
    now: datetime,
    secrets_client: Any = None,
    secret_prefix: str = "",
) -> Watch:
    watch = Watch(
        **body.model_dump(),
        id=new_watch_id(),
        tenant_id=tenant_id,
        created_at=now,
        updated_at=now,
    )
    return _store(repo, watch, None, secrets_client, secret_prefix)


def replace_watch(
    repo: WatchRepo,
    tenant_id: str,
    watch_id: str,
    body: WatchIn,
    *,
    now: datetime,
    secrets_client: Any = None,
    secret_prefix: str = "",
) -> Watch:
    previous = repo.get(tenant_id, watch_id)
    if previous is None:
        raise WatchNotFound(watch_id)
    watch = Watch(
        **body.model_dump(),
        id=watch_id,
        tenant_id=tenant_id,
        created_at=previous.created_at,
        updated_at=now,
    )
    return _store(repo, watch, previous, secrets_client, secret_prefix)


def delete_watch(
    repo: WatchRepo, tenant_id: str, watch_id: str, *, secrets_client: Any = None, secret_prefix: str = ""
) -> None:
    previous = repo.get(tenant_id, watch_id)
    if previous is None or not repo.delete(tenant_id, watch_id):
        raise WatchNotFound(watch_id)
    if secret_prefix and secrets_client is not None and previous.alerts.webhooks:
        from harken.alerts.secrets import externalize_secrets

        # Storing "no webhooks" over the previous watch deletes the secrets it referenced.
        bare = previous.model_copy(update={"alerts": previous.alerts.model_copy(update={"webhooks": []})})
        externalize_secrets(bare, secrets_client, secret_prefix, previous)


def poll_watch(repo: WatchRepo, tenant_id: str, watch_id: str, *, sqs: Any, queue_url: str) -> int:
    """Queue this watch's fetch jobs now; the number of jobs queued."""
    watch = repo.get(tenant_id, watch_id)
    if watch is None:
        raise WatchNotFound(watch_id)
    from harken.service.fetching import send_jobs
    from harken.sources import plan_jobs  # the source planner: only this route needs it

    return send_jobs(sqs, queue_url, plan_jobs(watch))
