"""Webhook secrets leave the watch document; alert settings are checked when a watch is saved."""

from __future__ import annotations

from typing import Any

import pytest
from harken import net
from harken.alerts import secrets
from harken.alerts.validate import validate_alerts
from harken.models import Alerts, Webhook

from tests.unit.alerts.builders import make_watch


class FakeSecrets:
    """An in-memory Secrets Manager."""

    def __init__(self) -> None:
        self.store: dict[str, str] = {}
        self.reads = 0

    def _missing(self) -> Exception:
        exc = Exception("not found")
        exc.response = {"Error": {"Code": "ResourceNotFoundException"}}  # type: ignore[attr-defined]
        return exc

    def put_secret_value(self, SecretId: str, SecretString: str) -> None:
        if SecretId not in self.store:
            raise self._missing()
        self.store[SecretId] = SecretString

    def create_secret(self, Name: str, SecretString: str, **_: Any) -> None:
        self.store[Name] = SecretString

    def get_secret_value(self, SecretId: str) -> dict[str, str]:
        self.reads += 1
        return {"SecretString": self.store[SecretId]}

    def delete_secret(self, SecretId: str, **_: Any) -> None:
        if SecretId not in self.store:
            raise self._missing()
        del self.store[SecretId]


def test_secret_is_replaced_by_a_reference_and_resolves_back() -> None:
    sm = FakeSecrets()
    watch = make_watch(webhooks=[Webhook(url="https://hooks.example.com/a", secret="p1ain-secret")])
    stored = secrets.externalize_secrets(watch, sm, "harken/prod/webhooks/")
    ref = stored.alerts.webhooks[0].secret
    assert ref and ref.startswith("secretsmanager:harken/prod/webhooks/t1/w_test/")
    assert "p1ain-secret" not in stored.model_dump_json()
    assert secrets.resolve_secret(ref, sm) == "p1ain-secret"
    assert secrets.resolve_secret(ref, sm) == "p1ain-secret" and sm.reads == 1  # cached per container


def test_without_a_prefix_the_secret_stays_in_the_document() -> None:
    watch = make_watch(webhooks=[Webhook(url="http://127.0.0.1:9/h", secret="local")])
    stored = secrets.externalize_secrets(watch, None, "")
    assert stored.alerts.webhooks[0].secret == "local"
    assert secrets.resolve_secret("local", None) == "local" and secrets.resolve_secret(None, None) == ""


def test_changing_and_removing_webhooks_cleans_up_old_secrets() -> None:
    sm = FakeSecrets()
    first = secrets.externalize_secrets(
        make_watch(
            webhooks=[
                Webhook(url="https://a.example.com", secret="one1one1"),
                Webhook(url="https://b.example.com", secret="two2two2"),
            ]
        ),
        sm,
        "p/",
    )
    assert len(sm.store) == 2
    second = secrets.externalize_secrets(
        make_watch(webhooks=[Webhook(url="https://a.example.com", secret="********")]),
        sm,
        "p/",
        previous=first,
    )
    assert second.alerts.webhooks[0].secret == first.alerts.webhooks[0].secret
    assert list(sm.store.values()) == ["one1one1"]
    assert secrets.delete_secrets(second, sm) == 1 and sm.store == {}


def test_a_masked_secret_survives_an_edited_url_and_an_unknown_mask_is_refused() -> None:
    """GET shows secrets as ********; sending that back with the webhook's URL edited stored no
    secret at all (unsigned posts from then on)."""
    sm = FakeSecrets()
    first = secrets.externalize_secrets(
        make_watch(
            webhooks=[
                Webhook(url="https://a.example.com/x", secret="one1one1"),
                Webhook(url="https://b.example.com/x", secret="two2two2"),
            ]
        ),
        sm,
        "p/",
    )
    edited = secrets.externalize_secrets(
        make_watch(
            webhooks=[
                Webhook(url="https://a.example.com/new", secret="********"),
                Webhook(url="https://b.example.com/x", secret="********"),
            ]
        ),
        sm,
        "p/",
        previous=first,
    )
    assert [secrets.resolve_secret(h.secret, sm) for h in edited.alerts.webhooks] == ["one1one1", "two2two2"]
    with pytest.raises(secrets.UnknownMaskedSecret) as err:
        secrets.externalize_secrets(
            make_watch(
                webhooks=[
                    Webhook(url="https://a.example.com/new", secret="********"),
                    Webhook(url="https://b.example.com/x", secret="********"),
                    Webhook(url="https://c.example.com/x", secret="********"),
                ]
            ),
            sm,
            "p/",
            previous=edited,
        )
    assert err.value.field == "alerts.webhooks[2].secret"
    assert len(sm.store) == 2  # nothing written before the refusal


def test_unsafe_webhook_urls_are_refused_when_the_watch_is_saved(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        net, "resolve", lambda host: {"intranet.example.com": ["192.168.1.10"]}.get(host, ["93.184.216.34"])
    )
    alerts = Alerts(
        email=["a@example.com", "A@example.com"],
        webhooks=[
            Webhook(url="https://hooks.example.com/ok"),
            Webhook(url="https://169.254.169.254/latest"),
            Webhook(url="https://intranet.example.com/x"),
            Webhook(url="http://hooks.example.com/plain"),
            Webhook(url="https://hooks.example.com/ok"),
        ],
    )
    problems = validate_alerts(alerts, allow_private=False)
    fields = [p["field"] for p in problems]
    assert fields == [
        "alerts.webhooks[1].url",
        "alerts.webhooks[2].url",
        "alerts.webhooks[3].url",
        "alerts.webhooks[4].url",
        "alerts.email[1]",
    ]
    assert "169.254.169.254" in problems[0]["message"] and "192.168.1.10" in problems[1]["message"]
    assert "https" in problems[2]["message"]
    assert (
        validate_alerts(Alerts(webhooks=[Webhook(url="http://127.0.0.1:8080/h")]), allow_private=True) == []
    )


def test_bad_rule_values_are_rejected_by_the_model_with_the_field_named() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as err:
        Alerts.model_validate({"instant": {"sentiments": ["furious"]}, "digest": "monthly"})
    locs = {tuple(e["loc"]) for e in err.value.errors()}
    assert ("instant", "sentiments", 0) in locs and ("digest",) in locs
