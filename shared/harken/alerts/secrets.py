"""Webhook secrets out of the watch document: in AWS each secret lives in Secrets Manager under
HARKEN_WEBHOOK_SECRET_PREFIX and the watch keeps only a reference; with an empty prefix (the local
stack) the plaintext stays in the document. Secrets are never returned by the API (Watch.public
masks them) and never logged. Adapters take their Secrets Manager client."""

from __future__ import annotations

import time
from typing import Any

from harken.alerts.errors import UnknownMaskedSecret
from harken.alerts.webhook import hook_key
from harken.models import Watch

REF_PREFIX = "secretsmanager:"
MASK = "********"
_CACHE_SECONDS = 300
_cache: dict[str, tuple[float, str]] = {}


def is_reference(value: str | None) -> bool:
    return bool(value) and str(value).startswith(REF_PREFIX)


def secret_name(prefix: str, watch: Watch, url: str) -> str:
    return f"{prefix}{watch.tenant_id}/{watch.id}/{hook_key(url)}"


def _not_found(exc: Exception) -> bool:
    code = (getattr(exc, "response", None) or {}).get("Error", {}).get("Code")
    return code == "ResourceNotFoundException"


def externalize_secrets(watch: Watch, client: Any, prefix: str, previous: Watch | None = None) -> Watch:
    """The watch to store: each plaintext webhook secret moved to Secrets Manager and replaced by a
    reference. A secret sent back masked ("********", as GET shows it) keeps the stored one of the
    same URL or, when the URL was edited, of the webhook at the same place in the list; a mask
    that matches neither raises UnknownMaskedSecret (it was silently dropped: unsigned posts).
    With an empty prefix the plaintext stays in the document (local stack)."""
    before = previous.alerts.webhooks if previous else []
    old = {h.url: h.secret for h in before}
    urls = {h.url for h in watch.alerts.webhooks}
    sent = []
    for index, hook in enumerate(watch.alerts.webhooks):  # every mask resolved before any write
        secret = hook.secret
        if secret == MASK:
            secret = old.get(hook.url)
            if not secret and index < len(before) and before[index].url not in urls:
                # The URL of this webhook was edited: the secret of the one it replaced.
                secret = before[index].secret
            if not secret:
                raise UnknownMaskedSecret(index)
        sent.append(secret)
    hooks = []
    for hook, secret in zip(watch.alerts.webhooks, sent, strict=True):
        if secret and prefix and hook.secret != MASK and not is_reference(secret):
            name = secret_name(prefix, watch, hook.url)
            try:
                client.put_secret_value(SecretId=name, SecretString=secret)
            except Exception as exc:
                if not _not_found(exc):
                    raise
                # no Tags: tagging would need secretsmanager:TagResource, which the API role lacks
                client.create_secret(
                    Name=name, SecretString=secret, Description="Harken webhook signing secret"
                )
            _cache.pop(REF_PREFIX + name, None)
            secret = REF_PREFIX + name
        hooks.append(hook.model_copy(update={"secret": secret}))
    alerts = watch.alerts.model_copy(update={"webhooks": hooks})
    stored = watch.model_copy(update={"alerts": alerts})
    if previous is not None and client is not None:
        keep = {h.secret for h in hooks}
        for hook in previous.alerts.webhooks:
            if is_reference(hook.secret) and hook.secret not in keep:
                _delete(client, str(hook.secret))
    return stored


def resolve_secret(value: str | None, client: Any, *, now: float | None = None) -> str:
    """The plaintext of a webhook secret (a reference is read from Secrets Manager and cached for a
    few minutes per container). Empty when there is no secret."""
    if not value:
        return ""
    if not is_reference(value):
        return value
    now = now or time.time()
    hit = _cache.get(value)
    if hit and hit[0] > now:
        return hit[1]
    secret = str(client.get_secret_value(SecretId=value[len(REF_PREFIX) :])["SecretString"])
    _cache[value] = (now + _CACHE_SECONDS, secret)
    return secret


def _delete(client: Any, reference: str) -> None:
    _cache.pop(reference, None)
    try:
        client.delete_secret(SecretId=reference[len(REF_PREFIX) :], ForceDeleteWithoutRecovery=True)
    except Exception as exc:
        if not _not_found(exc):
            raise


def delete_secrets(watch: Watch, client: Any) -> int:
    """Delete the stored secrets of a watch that is being deleted; returns how many."""
    count = 0
    for hook in watch.alerts.webhooks:
        if is_reference(hook.secret):
            _delete(client, str(hook.secret))
            count += 1
    return count
