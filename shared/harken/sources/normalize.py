"""Helpers every adapter uses to turn a source's record into an `Item`: lenient dates, URL
clean-up (redirect unwrapping, tracking parameters), author and language normalisation."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urljoin, urlsplit

from harken.ids import canonical_url
from harken.models import Item
from harken.text import cap_text, cap_title

_DELETED_AUTHORS = frozenset({"[deleted]", "[removed]", "ghost", "deleted", "does_not_exist", "anonymous"})
_ISO = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*"
    r"(Z|z|UTC|GMT|[+-]\d{2}:?\d{2})?\s*$"
)
# Month and day names of a few languages seen in hand-rolled feeds (RFC 822 wants English).
_MONTHS = {
    "jan": "Jan", "janv": "Jan", "ene": "Jan", "gen": "Jan", "feb": "Feb", "fév": "Feb", "fev": "Feb",
    "févr": "Feb", "mär": "Mar", "mar": "Mar", "mrz": "Mar", "mars": "Mar", "apr": "Apr", "avr": "Apr",
    "abr": "Apr", "mai": "May", "may": "May", "mei": "May", "mag": "May", "jun": "Jun", "juin": "Jun",
    "giu": "Jun", "jul": "Jul", "juil": "Jul", "lug": "Jul", "aug": "Aug", "août": "Aug", "ago": "Aug",
    "sep": "Sep", "sept": "Sep", "set": "Sep", "okt": "Oct", "oct": "Oct", "ott": "Oct", "nov": "Nov",
    "dez": "Dec", "déc": "Dec", "dec": "Dec", "dic": "Dec",
}  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+\.?", re.UNICODE)
_LANG = re.compile(r"^[a-zA-Z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")


def utc_from_epoch(value: object) -> datetime | None:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if seconds != seconds or seconds <= 0 or seconds > 32_503_680_000:  # NaN, not set, past year 3000
        return None
    if seconds > 100_000_000_000:  # milliseconds
        seconds /= 1000
    return datetime.fromtimestamp(seconds, UTC)


def _iso(value: str) -> datetime | None:
    match = _ISO.match(value)
    if not match:
        return None
    year, month, day, hour, minute, second, frac, zone = match.groups()
    try:
        micro = int((frac or "0")[:6].ljust(6, "0"))
        parsed = datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro
        )
    except ValueError:
        return None
    if zone and zone[0] in "+-":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = sign * (int(digits[:2]) * 60 + int(digits[2:]))
        return parsed.replace(tzinfo=timezone(timedelta(minutes=offset))).astimezone(UTC)
    return parsed.replace(tzinfo=UTC)


def _rfc822(value: str) -> datetime | None:
    def english(match: re.Match[str]) -> str:
        word = match.group(0).rstrip(".")
        return _MONTHS.get(word.lower(), match.group(0))

    candidate = _WORD.sub(english, value.strip())
    try:
        parsed = parsedate_to_datetime(candidate)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_date(value: object, fallback: datetime) -> datetime:
    """An aware UTC datetime from epoch numbers, RFC 3339/ISO 8601 or RFC 822 (named zones,
    non-English month names); `fallback` (the fetch time) for anything else."""
    if value is None or value == "":
        return fallback
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return utc_from_epoch(value) or fallback
    text = str(value).strip()
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        return utc_from_epoch(text) or fallback
    parsed = _iso(text) or _rfc822(text)
    if parsed is None or parsed.year < 1990:
        return fallback
    return parsed


def unwrap_redirect(url: str) -> str:
    """The real target of a Google redirect link (`https://www.google.com/url?...&url=<real>`)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    host = (parts.hostname or "").lower()
    if parts.path == "/url" and (host.startswith("www.google.") or host.startswith("google.")):
        params = parse_qs(parts.query)
        for key in ("url", "q"):
            target = params.get(key, [""])[0]
            if target.startswith(("http://", "https://")):
                return target
    return url


def clean_url(url: str | None, base: str | None = None) -> str:
    """A canonical absolute URL: relative links resolved against `base`, redirects unwrapped,
    tracking parameters and fragments removed. "" when there is nothing usable."""
    url = (url or "").strip()
    if not url:
        return ""
    if base and not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url):
        url = urljoin(base, url)
    if not url.lower().startswith(("http://", "https://")):
        return ""
    return canonical_url(unwrap_redirect(url))


def clean_author(value: object) -> str | None:
    """The author's name, or None for deleted, anonymous or empty authors."""
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    if not value or value.lower() in _DELETED_AUTHORS:
        return None
    return value[:200]


def clean_language(value: object) -> str | None:
    """The primary language subtag, lower case (`en-US` → `en`), or None."""
    if not isinstance(value, str) or not _LANG.match(value.strip()):
        return None
    primary = value.strip().replace("_", "-").split("-", 1)[0].lower()
    return None if primary in ("und", "mul", "zxx") else primary


def host_of(url: str | None) -> str | None:
    try:
        host = urlsplit(url or "").hostname
    except ValueError:
        return None
    return host.lower() if host else None


def make_item(
    source: str,
    *,
    url: str,
    title: str | None,
    text: str,
    author: str | None,
    published_at: datetime,
    native_id: str | None,
    language: str | None = None,
    community: str | None = None,
) -> Item:
    """An `Item` with lengths capped. Text fields must already be plain text."""
    return Item(
        source=source,
        url=url,
        title=cap_title(title),
        text=cap_text(text),
        author=author,
        published_at=published_at,
        language=language,
        native_id=native_id,
        community=community,
    )


_SQUASH = re.compile(r"[\W_]+", re.UNICODE)


def mentions_any(text: str, terms: list[str]) -> bool:
    """A cheap pre-filter for listing sources (no server-side search): does `text` contain any
    term, ignoring case, spaces and punctuation (`Acme Cloud` ~ `acme-cloud` ~ `acmecloud`)?
    The classifier does the real matching; an empty term list keeps everything."""
    if not terms:
        return True
    folded = text.casefold()
    squashed = _SQUASH.sub("", folded)
    for term in terms:
        t = term.casefold().strip()
        if not t:
            continue
        if t in folded:
            return True
        s = _SQUASH.sub("", t)
        if len(s) >= 3 and s in squashed:
            return True
    return False


def since_watermark(watermark: datetime | None, overlap_seconds: float) -> datetime | None:
    """Where a time-filtered query should start: the watermark minus the safety overlap."""
    if watermark is None:
        return None
    return watermark - timedelta(seconds=overlap_seconds)
