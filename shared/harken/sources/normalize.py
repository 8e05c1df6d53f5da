"""Helpers every adapter uses to turn a source's record into an `Item`: lenient dates, URL
clean-up (redirect unwrapping, tracking parameters), author and language normalisation."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

from harken.ids import canonical_url
from harken.models import Item
from harken.text import cap_text, cap_title

log = logging.getLogger("harken.sources")
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
    if seconds > 100_000_000_000:  # milliseconds
        seconds /= 1000
    if seconds != seconds or seconds <= 0 or seconds > 32_503_680_000:  # NaN, not set, past year 3000
        return None
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
    zone = _ZONE_AT_END.search(candidate)
    if zone and zone.group(1) in _ZONES:
        candidate = candidate[: zone.start(1)] + _ZONES[zone.group(1)]
    try:
        parsed = parsedate_to_datetime(candidate)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# Dates as people write them in hand-rolled feeds: "Monday, March 9, 2026 10:00 AM EST",
# "9 March 2026, 14:05", "Mar 9th, 2026 at 3pm PST" (month first or day first, 12- or 24-hour).
_PROSE = re.compile(
    r"^(?:[^\W\d_]+\.?,?\s+)?"  # a weekday
    r"(?:(?P<m1>[^\W\d_]+)\.?\s+(?P<d1>\d{1,2})(?:st|nd|rd|th)?|(?P<d2>\d{1,2})(?:st|nd|rd|th)?\.?\s+"
    r"(?:of\s+)?(?P<m2>[^\W\d_]+)\.?),?\s+(?P<y>\d{4})"
    r"(?:,?\s+(?:at\s+)?(?P<h>\d{1,2})(?::(?P<mi>\d{2}))?(?::(?P<s>\d{2}))?\s*(?P<ap>[ap]\.?m\.?)?)?"
    r"\s*(?P<z>[A-Z]{1,5}|[+-]\d{2}:?\d{2})?\s*$",
    re.IGNORECASE,
)
_MONTH_NUMBER = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
)}  # fmt: skip


def _prose(value: str) -> datetime | None:
    match = _PROSE.match(value)
    if not match:
        return None
    g = match.groupdict()
    word = (g["m1"] or g["m2"]).lower()
    month = _MONTH_NUMBER.get(_MONTHS.get(word, _MONTHS.get(word[:3], "")) or "")
    if month is None:
        return None
    hour, minute, second = int(g["h"] or 0), int(g["mi"] or 0), int(g["s"] or 0)
    if g["ap"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if g["ap"].lower().startswith("p") else 0)
    try:
        parsed = datetime(int(g["y"]), month, int(g["d1"] or g["d2"]), hour, minute, second)
    except ValueError:
        return None
    zone = (g["z"] or "UTC").upper()
    offset = zone.replace(":", "") if zone[0] in "+-" else _ZONES.get(zone, "")
    if not offset:
        return None  # a zone name we cannot place
    minutes = (1 if offset[0] == "+" else -1) * (int(offset[1:3]) * 60 + int(offset[3:5]))
    return parsed.replace(tzinfo=timezone(timedelta(minutes=minutes))).astimezone(UTC)


def parse_date(value: object, fallback: datetime) -> datetime:
    """An aware UTC datetime from epoch numbers, RFC 3339/ISO 8601 or RFC 822 (named zones,
    non-English month names); `fallback` (the fetch time) for anything else, and for a time more
    than a day ahead of it (a pubDate in 2100 would stay first in "newest first" for ever). Never
    raises: a date is written by whoever wrote the post."""
    try:
        parsed = _parse_date(value)
    except (ValueError, OverflowError, TypeError):  # "+25:00", year 0 or 10000 once in UTC
        return fallback
    if parsed is None or parsed.year < 1990 or parsed > fallback + timedelta(days=1):
        return fallback
    return parsed


def _parse_date(value: object) -> datetime | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return utc_from_epoch(value)
    text = str(value).strip()
    if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
        return utc_from_epoch(text)
    return _iso(text) or _prose(text) or _rfc822(text)


# Zone names as UTC offsets: those RFC 822 does not know, and the ones it does (for _prose).
_ZONES = {
    "CET": "+0100", "CEST": "+0200", "MEZ": "+0100", "MESZ": "+0200", "BST": "+0100", "WET": "+0000",
    "WEST": "+0100", "EET": "+0200", "EEST": "+0300", "MSK": "+0300", "JST": "+0900", "KST": "+0900",
    "HKT": "+0800", "SGT": "+0800", "AEST": "+1000", "AEDT": "+1100", "NZST": "+1200", "NZDT": "+1300",
    "UTC": "+0000", "Z": "+0000", "UT": "+0000", "GMT": "+0000",
    # RFC 822's US zones (email.utils knows them too; _prose does not go through it)
    "EST": "-0500", "EDT": "-0400", "CST": "-0600", "CDT": "-0500", "MST": "-0700", "MDT": "-0600",
    "PST": "-0800", "PDT": "-0700",
}  # fmt: skip
_ZONE_AT_END = re.compile(r"\b([A-Z]{1,4})\s*$")


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


# What one malformed entry raises while it is read (a field of the wrong type or out of range:
# fields are written by whoever wrote the post).
BAD_ENTRY = (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError)


def skip_bad(build: Callable[[Any], Item | None], entries: Iterable[Any], source: str) -> list[Item]:
    """`build` over the entries, without the ones it cannot read (logged): one bad entry used to
    fail the whole job, at every poll."""
    items: list[Item] = []
    for entry in entries:
        try:
            item = build(entry)
        except BAD_ENTRY as exc:
            log.warning("%s: entry skipped: %s: %s", source, type(exc).__name__, str(exc)[:200])
            continue
        if item is not None:
            items.append(item)
    return items


def tolerant(parse: Callable[..., list[Item]], data: Any, path: str | None, *args: Any) -> list[Item]:
    """`parse(data, *args)`; when one entry breaks it, the entries (the list at `path` in `data`,
    dotted, or `data` itself) parsed one at a time without the broken ones."""
    try:
        return parse(data, *args)
    except BAD_ENTRY:
        keys = path.split(".") if path else []
        entries: Any = data
        for key in keys:
            entries = entries.get(key) if isinstance(entries, dict) else None
        if not isinstance(entries, list):
            raise

        def one(entry: Any) -> Item | None:
            single: Any = [entry]
            for depth in range(len(keys) - 1, -1, -1):
                parent: Any = data
                for key in keys[:depth]:
                    parent = parent[key]
                single = {**parent, keys[depth]: single}
            found = parse(single, *args)
            return found[0] if found else None

        return skip_bad(one, entries, getattr(parse, "__module__", "source").rsplit(".", 1)[-1])
