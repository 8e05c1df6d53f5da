"""Alert emails, pure: subject, plain text and HTML for instant alerts, digests and spikes, and
the MIME message SES sends. Every piece of mention text is internet text and hostile: it is
stripped of control characters, truncated, and HTML-escaped; only http(s) URLs become links."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from typing import Any

from harken.models import Mention, Watch, iso

SUBJECT_MAX = 120
TITLE_MAX = 200
QUOTE_MAX = 1500
FIELD_MAX = 200

# Control characters (C0 but tab and line breaks, DEL, C1: U+009B is a terminal escape), line and
# paragraph separators, zero-width and bidi formatting characters (U+061C, U+200B-U+200F,
# U+202A-U+202E, U+2060-U+2069, U+FEFF).
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]"
)
_SPACE = re.compile(r"\s+")
_CATEGORY_WORDS = {"reputation": "reputation", "crowd_marketing": "crowd-marketing", "smm": "SMM"}

# Headers are not folded: a Subject of one line stays one line for every reader (folded at 78
# characters, a parser keeping the raw header saw "Subject:\r\n [Harken]…"). Subjects are capped
# well under the 998-character line limit.
_POLICY = SMTP.clone(max_line_length=998)


@dataclass
class RenderedEmail:
    subject: str
    text: str
    html: str
    mention_ids: list[str] = field(default_factory=list)


# ------------------------------------------------------------------ sanitising


def one_line(value: str | None, limit: int = FIELD_MAX) -> str:
    """A single clean line: no control characters, line breaks or bidi overrides, collapsed
    whitespace, at most `limit` characters (with an ellipsis when cut)."""
    if not value:
        return ""
    value = _CONTROL.sub(" ", value)
    value = _SPACE.sub(" ", value).strip()
    return truncate(value, limit)


def clean_block(value: str | None, limit: int = QUOTE_MAX) -> str:
    """Multi-line text with line breaks normalised and control characters removed, truncated."""
    if not value:
        return ""
    value = value[: limit * 4]  # bound the work on a 1 MB text before any regex runs
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    value = "\n".join(_SPACE.sub(" ", line).strip() for line in value.split("\n"))
    value = re.sub(r"\n{3,}", "\n\n", value).strip()
    return truncate(value, limit)


def truncate(value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    # do not leave half a surrogate-ish combining sequence at the end
    while cut and unicodedata.combining(cut[-1]):
        cut = cut[:-1]
    return cut.rstrip() + "…"


def safe_link(url: str | None) -> str | None:
    """The URL when it is a plain http(s) URL fit for an href, else None (javascript:, data:…)."""
    if not url:
        return None
    url = url.strip()
    if not re.match(r"^https?://[^\s<>\"']+$", url, re.I) or len(url) > 2048:
        return None
    return url


def e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _label(mention: Mention) -> str:
    return f"{mention.sentiment.label} {_CATEGORY_WORDS.get(mention.category, mention.category)}"


def mention_api_url(api_url: str, mention_id: str) -> str:
    return f"{api_url.rstrip('/')}/mentions/{mention_id}" if api_url else f"/mentions/{mention_id}"


def handled_command(api_url: str, mention_id: str) -> str:
    url = mention_api_url(api_url, mention_id)
    return (
        f"curl -X PATCH '{url}' -H \"x-api-key: $HARKEN_API_KEY\" "
        "-H 'content-type: application/json' -d '{\"status\":\"handled\"}'"
    )


# ------------------------------------------------------------------ instant alerts


def instant_subject(watch: Watch, mentions: Sequence[Mention]) -> str:
    """A few words: category, sentiment and source, one line, no user-controlled line breaks."""
    name = one_line(watch.name, 60)
    if len(mentions) == 1:
        m = mentions[0]
        subject = f"[Harken] {name}: {_label(m)} mention on {one_line(m.source, 30)}"
        title = one_line(m.title, 60)
        if title:
            subject += f" - {title}"
    else:
        negative = sum(1 for m in mentions if m.sentiment.label == "negative")
        sources = sorted({one_line(m.source, 30) for m in mentions})
        subject = f"[Harken] {name}: {len(mentions)} new mentions"
        if negative:
            subject += f" ({negative} negative)"
        subject += " on " + ", ".join(sources[:3]) + (" and more" if len(sources) > 3 else "")
    return one_line(subject, SUBJECT_MAX)


def _mention_text(m: Mention, api_url: str) -> str:
    lines = [
        f"{_label(m).capitalize()} mention on {one_line(m.source, 40)}",
        f"Title: {one_line(m.title, TITLE_MAX) or '(no title)'}",
        f"Where: {one_line(m.url, 2048)}" + (f" ({one_line(m.community, 100)})" if m.community else ""),
        f"Who: {one_line(m.author, 100) or '(unknown author)'}",
        f"When: {iso(m.published_at)}",
        f"Sentiment: {m.sentiment.label} ({m.sentiment.score:+.2f})",
        "Matched: " + (", ".join(f"{one_line(x.term, 100)} ({x.kind}, {x.how})" for x in m.matches) or "-"),
        "Intents: " + (", ".join(m.intents) or "-"),
        "",
        *("> " + line for line in clean_block(m.text).split("\n")),
        "",
        f"Mention id: {m.id}",
        f"Original: {one_line(m.url, 2048)}",
        f'Mark it handled: PATCH {mention_api_url(api_url, m.id)} with {{"status":"handled"}}',
        f"  {handled_command(api_url, m.id)}",
    ]
    return "\n".join(lines)


def _mention_html(m: Mention, api_url: str) -> str:
    link = safe_link(m.url)
    url_html = f'<a href="{e(link)}">{e(one_line(m.url, 300))}</a>' if link else e(one_line(m.url, 300))
    quote = "<br>".join(e(line) for line in clean_block(m.text).split("\n"))
    matches = ", ".join(
        f"{e(one_line(x.term, 100))} <small>({e(x.kind)}, {e(x.how)})</small>" for x in m.matches
    )
    color = {"negative": "#b42318", "positive": "#067647"}.get(m.sentiment.label, "#475467")
    community = f" &middot; {e(one_line(m.community, 100))}" if m.community else ""
    return f"""<div style="border:1px solid #d0d5dd;border-radius:6px;padding:12px;margin:12px 0">
<p style="margin:0;color:{color};font-weight:bold">{e(_label(m).capitalize())} mention on {e(one_line(m.source, 40))}{community}</p>
<h3 style="margin:6px 0">{e(one_line(m.title, TITLE_MAX) or "(no title)")}</h3>
<blockquote style="margin:8px 0;padding-left:10px;border-left:3px solid #d0d5dd;color:#344054">{quote or "<em>(no text)</em>"}</blockquote>
<table style="font-size:13px;color:#475467">
<tr><td>Where</td><td>{url_html}</td></tr>
<tr><td>Who</td><td>{e(one_line(m.author, 100) or "(unknown author)")}</td></tr>
<tr><td>When</td><td>{e(iso(m.published_at))}</td></tr>
<tr><td>Sentiment</td><td>{e(m.sentiment.label)} ({m.sentiment.score:+.2f})</td></tr>
<tr><td>Matched</td><td>{matches or "-"}</td></tr>
<tr><td>Intents</td><td>{e(", ".join(m.intents) or "-")}</td></tr>
<tr><td>Mention id</td><td><code>{e(m.id)}</code></td></tr>
</table>
<p style="font-size:13px">Mark it handled: <code>PATCH {e(mention_api_url(api_url, m.id))}</code> with
<code>{{"status":"handled"}}</code><br><code style="font-size:11px">{e(handled_command(api_url, m.id))}</code></p>
</div>"""


def _page(title: str, body: str) -> str:
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{e(title)}</title></head>
<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:720px;margin:auto;color:#101828">
{body}
<p style="font-size:12px;color:#667085">Sent by Harken. Change what alerts you in the watch's <code>alerts</code> settings.</p>
</body></html>"""


def render_instant(watch: Watch, mentions: Sequence[Mention], *, api_url: str) -> RenderedEmail:
    """One email for one or several new mentions of one watch (several are grouped, not flooded)."""
    subject = instant_subject(watch, mentions)
    intro = (
        f"Harken found a new mention for the watch {one_line(watch.name, 100)!s}."
        if len(mentions) == 1
        else f"Harken found {len(mentions)} new mentions for the watch {one_line(watch.name, 100)!s}."
    )
    text = intro + "\n\n" + "\n\n---\n\n".join(_mention_text(m, api_url) for m in mentions) + "\n"
    body = f"<p>{e(intro)}</p>" + "".join(_mention_html(m, api_url) for m in mentions)
    return RenderedEmail(subject, text, _page(subject, body), [m.id for m in mentions])


# ------------------------------------------------------------------ digests and spikes


@dataclass
class DigestContent:
    period: str
    start: str
    end: str
    total: int
    by_category: dict[str, int]
    by_sentiment: dict[str, int]
    top_negative: list[Mention]
    top_leads: list[Mention]
    top_smm: list[Mention] = field(default_factory=list)  # official pages, negative first


def _short_item_text(m: Mention, api_url: str) -> str:
    title = one_line(m.title, 120) or one_line(m.text, 120) or "(no text)"
    return (
        f"- [{m.sentiment.label} {m.sentiment.score:+.2f}] {title}\n"
        f"  {one_line(m.source, 40)} / {one_line(m.author, 60) or 'unknown'} - {one_line(m.url, 2048)}\n"
        f"  id {m.id} - {mention_api_url(api_url, m.id)}"
    )


def _short_item_html(m: Mention, api_url: str) -> str:
    title = one_line(m.title, 120) or one_line(m.text, 120) or "(no text)"
    link = safe_link(m.url)
    head = f'<a href="{e(link)}">{e(title)}</a>' if link else e(title)
    return (
        f"<li>{head} <small>({e(m.sentiment.label)} {m.sentiment.score:+.2f}, {e(one_line(m.source, 40))}, "
        f"{e(one_line(m.author, 60) or 'unknown')}, id <code>{e(m.id)}</code>)</small><br>"
        f"<small>{e(one_line(m.text, 200))}</small></li>"
    )


def render_digest(watch: Watch, digest: DigestContent, *, api_url: str) -> RenderedEmail:
    name = one_line(watch.name, 60)
    subject = one_line(
        f"[Harken] {name}: {digest.period} digest, {digest.total} mentions "
        f"({digest.by_sentiment.get('negative', 0)} negative)",
        SUBJECT_MAX,
    )
    cats = ", ".join(f"{k}: {v}" for k, v in digest.by_category.items())
    sents = ", ".join(f"{k}: {v}" for k, v in digest.by_sentiment.items())
    text = [
        f"{digest.period.capitalize()} digest for {name}, {digest.start} to {digest.end}",
        f"Mentions: {digest.total}",
        f"By category: {cats}",
        f"By sentiment: {sents}",
        "",
        "Top negative reputation mentions:",
        *([_short_item_text(m, api_url) for m in digest.top_negative] or ["  (none)"]),
        "",
        "Top crowd-marketing leads:",
        *([_short_item_text(m, api_url) for m in digest.top_leads] or ["  (none)"]),
        "",
        "On the official pages (SMM):",
        *([_short_item_text(m, api_url) for m in digest.top_smm] or ["  (none)"]),
        "",
        f"All mentions: GET {api_url.rstrip('/')}/mentions?watch_id={watch.id}&since={digest.start}&until={digest.end}",
    ]

    def rows(counts: dict[str, int]) -> str:
        return "".join(f"<tr><td>{e(k)}</td><td>{v}</td></tr>" for k, v in counts.items())

    body = f"""<h2>{e(digest.period.capitalize())} digest: {e(name)}</h2>
<p>{e(digest.start)} to {e(digest.end)} &middot; <b>{digest.total}</b> mentions</p>
<table style="font-size:14px"><tr><th align="left">Category</th><th>Count</th></tr>{rows(digest.by_category)}</table>
<table style="font-size:14px"><tr><th align="left">Sentiment</th><th>Count</th></tr>{rows(digest.by_sentiment)}</table>
<h3>Top negative reputation mentions</h3>
<ul>{"".join(_short_item_html(m, api_url) for m in digest.top_negative) or "<li>(none)</li>"}</ul>
<h3>Top crowd-marketing leads</h3>
<ul>{"".join(_short_item_html(m, api_url) for m in digest.top_leads) or "<li>(none)</li>"}</ul>
<h3>On the official pages (SMM)</h3>
<ul>{"".join(_short_item_html(m, api_url) for m in digest.top_smm) or "<li>(none)</li>"}</ul>"""
    ids = [m.id for m in digest.top_negative + digest.top_leads + digest.top_smm]
    return RenderedEmail(subject, "\n".join(text) + "\n", _page(subject, body), ids)


def render_spike(
    watch: Watch,
    verdicts: Sequence[Any],
    window_start: str,
    window_end: str,
    examples: Sequence[Mention],
    *,
    api_url: str,
) -> RenderedEmail:
    """A spike alert: which volume spiked, against what baseline, with a few example mentions."""
    name = one_line(watch.name, 60)
    kinds = " and ".join("negative volume" if v.kind == "negative" else "volume" for v in verdicts)
    subject = one_line(f"[Harken] {name}: spike in {kinds}", SUBJECT_MAX)
    lines = [f"Spike for {name} between {window_start} and {window_end}:"]
    for v in verdicts:
        what = "negative mentions" if v.kind == "negative" else "mentions"
        lines.append(
            f"- {v.count} {what} in the window; baseline {v.mean:.1f} per window "
            f"over {v.data_points} windows (threshold {v.threshold:.1f})"
        )
    lines += ["", "Examples:", *([_short_item_text(m, api_url) for m in examples] or ["  (none)"])]
    body = (
        f"<h2>Spike: {e(name)}</h2><p>{e(window_start)} to {e(window_end)}</p><ul>"
        + "".join(f"<li>{e(line[2:])}</li>" for line in lines[1 : 1 + len(verdicts)])
        + "</ul><h3>Examples</h3><ul>"
        + ("".join(_short_item_html(m, api_url) for m in examples) or "<li>(none)</li>")
        + "</ul>"
    )
    return RenderedEmail(subject, "\n".join(lines) + "\n", _page(subject, body), [m.id for m in examples])


# ------------------------------------------------------------------ MIME


def build_mime(
    rendered: RenderedEmail,
    *,
    sender: str,
    to: Sequence[str],
    reply_to: str = "",
    headers: dict[str, str] | None = None,
) -> bytes:
    """The multipart/alternative (text + HTML) message as bytes for SES send_raw_email."""
    msg = EmailMessage(policy=_POLICY)
    msg["Subject"] = one_line(rendered.subject, SUBJECT_MAX * 2)
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    if reply_to:
        msg["Reply-To"] = reply_to
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "harken.local")
    msg["Auto-Submitted"] = "auto-generated"
    for key, value in (headers or {}).items():
        msg[key] = one_line(value, 900)
    msg.set_content(rendered.text, subtype="plain", charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return msg.as_bytes()
