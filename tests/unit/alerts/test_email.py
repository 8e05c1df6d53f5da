"""Alert emails: readable, complete, and safe against hostile mention text."""

from __future__ import annotations

import email
from email import policy
from typing import Any

from harken.alerts.email import build_mime, instant_subject, render_instant

from tests.unit.alerts.builders import make_mention, make_watch

API = "https://api.harken.test/prod"


def _parse(raw: bytes) -> Any:
    return email.message_from_bytes(raw, policy=policy.default)


def test_instant_email_has_text_and_html_with_everything_needed_to_act() -> None:
    watch = make_watch()
    m = make_mention(1, watch=watch, intents=["complaint", "question"])
    raw = build_mime(
        render_instant(watch, [m], api_url=API),
        sender="alerts@harken.local",
        to=["team@example.com"],
        reply_to="support@example.com",
    )
    msg = _parse(raw)

    assert msg["Subject"] == "[Harken] Acme Cloud: negative reputation mention on reddit - Acme Cloud is down"
    # Not folded either: the raw header is one line, whatever parser reads it.
    raw_subject = next(line for line in raw.split(b"\r\n") if line.startswith(b"Subject:"))
    assert raw_subject == b"Subject: " + msg["Subject"].encode()
    assert email.message_from_bytes(raw)["Subject"] == msg["Subject"]
    assert msg["Reply-To"] == "support@example.com"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for part in (text, html):
        assert m.id in part and m.url in part
        assert "Acme Cloud lost my backups again" in part
        assert "user1" in part and "complaint, question" in part and "Acme Cloud" in part
        assert f"{API}/mentions/{m.id}" in part and '"status":"handled"' in part.replace("&quot;", '"')
    assert f'<a href="{m.url}">' in html


def test_hostile_text_is_escaped_truncated_and_the_subject_stays_one_clean_line() -> None:
    watch = make_watch(name="Acme\r\nBcc: victim@example.com")
    hostile = make_mention(
        1,
        watch=watch,
        title="Pwned\r\nBcc: evil@example.com\r\n\r\n<script>alert(1)</script>",
        text="<script>alert('x')</script><img src=x onerror=alert(1)> & \u202eevil " + "A" * 1_000_000,
    )
    hostile = hostile.model_copy(
        update={"url": "javascript:alert(document.cookie)", "author": "<b>mallory</b>"}
    )
    rendered = render_instant(watch, [hostile], api_url=API)
    raw = build_mime(rendered, sender="alerts@harken.local", to=["team@example.com"])
    msg = _parse(raw)

    subject = msg["Subject"]
    assert "\r" not in subject and "\n" not in subject and len(subject) <= 120
    assert msg["Bcc"] is None
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;mallory&lt;/b&gt;" in html
    assert 'href="javascript:' not in html
    assert "\u202e" not in html
    assert len(raw) < 60_000  # the 1 MB text is cut to a readable quote
    text = msg.get_body(("plain",)).get_content()
    assert "…" in text and text.count("A") < 2000


def test_several_mentions_are_grouped_into_one_email_with_each_id() -> None:
    watch = make_watch()
    mentions = [
        make_mention(i, watch=watch, source=s) for i, s in enumerate(["reddit", "hackernews", "reddit"])
    ]
    rendered = render_instant(watch, mentions, api_url=API)
    assert rendered.subject == "[Harken] Acme Cloud: 3 new mentions (3 negative) on hackernews, reddit"
    assert all(m.id in rendered.text and m.id in rendered.html for m in mentions)


def test_subject_names_category_sentiment_and_source() -> None:
    watch = make_watch()
    lead = make_mention(
        1,
        watch=watch,
        category="crowd_marketing",
        label="neutral",
        score=0.0,
        intents=["purchase_intent"],
        title=None,
        source="stackexchange",
    )
    assert (
        instant_subject(watch, [lead])
        == "[Harken] Acme Cloud: neutral crowd-marketing mention on stackexchange"
    )
