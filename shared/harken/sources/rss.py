"""RSS 2.0, Atom 1.0 and Google Alerts feeds.

Parsing is safe first: defusedxml refuses DTD entity declarations (billion laughs) and external
entities, and such a feed is rejected outright. A feed that is merely broken (undefined `&nbsp;`,
bare `&`, raw HTML in `<description>`) goes to a tolerant regex parser so it still yields items.

Escaping layers: the XML parser decodes one layer; fields that carry HTML (RSS `description`,
`content:encoded`, titles in practice, Atom `type="html"`) are then turned into text by
`html_to_text`, which decodes the second. Atom `type="text"` gets no second decode.

Dedup key per entry: guid/id → link → sha256(title + date). Polls use conditional GET
(ETag / Last-Modified); a 304 returns no items and keeps the cursor.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from harken.models import Item
from harken.sources.base import Cursor, FetchJob, FetchResult, SourceError
from harken.sources.normalize import clean_author, clean_language, clean_url, make_item, parse_date, skip_bad
from harken.text import html_to_text, normalize_space, unescape_entities_strict

SOURCE = "rss"
OVERLAP_SECONDS: float | None = None  # feeds back-date and re-date items: `seen` alone decides

_ATOM = "{http://www.w3.org/2005/Atom}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
_DC = "{http://purl.org/dc/elements/1.1/}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_RSS1 = "{http://purl.org/rss/1.0/}"
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_MAX_ENTRIES = 500  # kept per fetch: the newest
_READ_ENTRIES = 5000  # read per fetch (a feed in ascending order has its newest entries last)


def _newest(items: list[Item]) -> list[Item]:
    if len(items) <= _MAX_ENTRIES:
        return items
    return sorted(items, key=lambda i: i.published_at, reverse=True)[:_MAX_ENTRIES]


class FeedRefused(SourceError):
    def __init__(self, message: str) -> None:
        super().__init__(message, kind="bad_payload")


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(el: Element, *names: str) -> Element | None:
    for name in names:
        found = el.find(name)
        if found is not None:
            return found
    return None


def _text(el: Element | None) -> str:
    if el is None:
        return ""
    return "".join(el.itertext()).strip()


def _html_field(el: Element | None) -> str:
    """A field that carries HTML (or entity-escaped text meant as HTML)."""
    return html_to_text(_text(el))


def _atom_text(el: Element | None) -> str:
    """An Atom text construct by its `type`: text, html or xhtml."""
    if el is None:
        return ""
    kind = (el.get("type") or "text").lower()
    if kind in ("html", "text/html"):
        return html_to_text(el.text or "")
    if kind in ("xhtml", "application/xhtml+xml"):
        return normalize_space("".join(el.itertext()))
    return normalize_space("".join(el.itertext()))


def _entry_key(guid: str, link: str, title: str, date: str) -> str:
    if guid:
        return guid
    if link:
        return link
    return "sha256:" + hashlib.sha256(f"{title}\n{date}".encode()).hexdigest()[:32]


def _parse_rss_item(item: Element, *, base: str, language: str | None, now: datetime) -> Item | None:
    title = _html_field(_child(item, "title", f"{_RSS1}title"))
    link_raw = _text(_child(item, "link", f"{_RSS1}link"))
    guid_el = item.find("guid")
    guid = _text(guid_el)
    if not link_raw and guid_el is not None and guid_el.get("isPermaLink", "true").lower() != "false":
        link_raw = guid if guid.startswith(("http://", "https://")) else ""
    url = clean_url(link_raw, base)
    body = _text(item.find(_CONTENT)) or _text(_child(item, "description", f"{_RSS1}description"))
    text = html_to_text(body)
    date_raw = _text(_child(item, "pubDate", f"{_DC}date"))
    author = clean_author(_text(_child(item, f"{_DC}creator", "author")))
    if not (title or text or url):
        return None
    return make_item(
        SOURCE,
        url=url,
        title=title or None,
        text=text,
        author=author,
        published_at=parse_date(date_raw, now),
        native_id=_entry_key(guid, url, title, date_raw),
        language=language,
    )


def _atom_link(entry: Element, base: str) -> str:
    chosen = ""
    for link in entry.findall(f"{_ATOM}link"):
        rel = (link.get("rel") or "alternate").lower()
        href = link.get("href") or ""
        if rel == "alternate" and href:
            return clean_url(href, base)
        if not chosen and rel not in ("self", "replies", "edit", "enclosure") and href:
            chosen = href
    return clean_url(chosen, base) if chosen else ""


def _parse_atom_entry(
    entry: Element, *, base: str, language: str | None, feed_author: str | None, now: datetime
) -> Item | None:
    title = _atom_text(entry.find(f"{_ATOM}title"))
    url = _atom_link(entry, base)
    text = _atom_text(_child(entry, f"{_ATOM}content", f"{_ATOM}summary"))
    date_raw = _text(_child(entry, f"{_ATOM}published", f"{_ATOM}updated"))
    entry_id = _text(entry.find(f"{_ATOM}id"))
    author_el = entry.find(f"{_ATOM}author")
    author = clean_author(_text(author_el.find(f"{_ATOM}name"))) if author_el is not None else feed_author
    lang = clean_language(entry.get(_XML_LANG)) or language
    if not (title or text or url):
        return None
    return make_item(
        SOURCE,
        url=url,
        title=title or None,
        text=text,
        author=author,
        published_at=parse_date(date_raw, now),
        native_id=_entry_key(entry_id, url, title, date_raw),
        language=lang,
    )


def _parse_tree(root: Element, feed_url: str, now: datetime) -> list[Item]:
    name = _local(root.tag)
    if name == "feed":
        alt = next(
            (
                link.get("href", "")
                for link in root.findall(f"{_ATOM}link")
                if (link.get("rel") or "alternate") == "alternate"
            ),
            "",
        )
        base = clean_url(root.get("{http://www.w3.org/XML/1998/namespace}base") or alt, feed_url) or feed_url
        language = clean_language(root.get(_XML_LANG))
        author_el = root.find(f"{_ATOM}author")
        feed_author = clean_author(_text(author_el.find(f"{_ATOM}name"))) if author_el is not None else None
        atom = root.findall(f"{_ATOM}entry")[:_READ_ENTRIES]
        return _newest(
            skip_bad(
                lambda e: _parse_atom_entry(
                    e, base=base, language=language, feed_author=feed_author, now=now
                ),
                atom,
                "rss",
            )
        )
    if name in ("rss", "RDF"):
        channel = _child(root, "channel", f"{_RSS1}channel")
        base = feed_url
        language = None
        if channel is not None:
            base = clean_url(_text(channel.find("link")), feed_url) or feed_url
            language = clean_language(_text(_child(channel, "language", f"{_DC}language")))
        entries = (channel.findall("item") if channel is not None else []) or root.findall(f"{_RSS1}item")
        return _newest(
            skip_bad(
                lambda e: _parse_rss_item(e, base=base, language=language, now=now),
                entries[:_READ_ENTRIES],
                "rss",
            )
        )
    raise FeedRefused(f"not a feed: the document root is <{name}>")


# --- the tolerant fallback -------------------------------------------------------------------

# Every search below is linear in the text: an opening tag is found by a bounded regular
# expression, its closing tag by str.find (a lazy "(.*?)</item>" over "<item>x<item>x…" without
# closing tags was quadratic: 17 s for 140 KB, and the whole fetcher waited).
_OPEN_BLOCK = re.compile(r"<(item|entry)\b[^>]{0,2000}>")
_MAX_BLOCK = 200_000  # characters of one entry read at most
_LINK_HREF = re.compile(r"<link\b([^>]{0,2000}?)/?>", re.IGNORECASE)
_ATTR = re.compile(r'([\w:-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')


def _blocks(text: str) -> list[str]:
    """The inner text of the <item> and <entry> elements of a broken feed, in order. An element
    that is never closed runs to the next one's opening tag."""
    lower = text.lower()
    out: list[str] = []
    unclosed: set[str] = set()  # tags with no closing tag after some point: none further on either
    pos = 0
    while len(out) < _READ_ENTRIES:
        match = _OPEN_BLOCK.search(lower, pos)
        if match is None:
            break
        tag = match.group(1)
        end = -1 if tag in unclosed else lower.find(f"</{tag}", match.end())
        if end < 0:
            unclosed.add(tag)
            following = _OPEN_BLOCK.search(lower, match.end())
            end = following.start() if following else len(text)
            pos = end
        else:
            pos = end + len(tag) + 2
        out.append(text[match.end() : min(end, match.end() + _MAX_BLOCK)])
    return out


def _field(block: str, *names: str, lower: str | None = None) -> tuple[str, str] | None:
    """(attributes, inner text) of the first element named one of `names` (linear: see above)."""
    lower = block.lower() if lower is None else lower
    for name in names:
        key = name.lower()
        match = re.search(rf"<{re.escape(key)}\b([^>]{{0,2000}})>", lower)
        if not match:
            continue
        end = lower.find(f"</{key}", match.end())
        if end >= 0:
            return block[match.start(1) : match.end(1)], block[match.end() : end]
    return None


def _cdata(raw: str) -> list[str]:
    """The CDATA sections of a field, linear ("<![CDATA[" without its "]]>" ends at the end)."""
    parts = []
    pos = raw.find("<![CDATA[")
    while pos >= 0:
        end = raw.find("]]>", pos + 9)
        parts.append(raw[pos + 9 : end if end >= 0 else len(raw)])
        if end < 0:
            break
        pos = raw.find("<![CDATA[", end + 3)
    return parts


def _lenient_value(raw: str, *, html: bool) -> str:
    """Inner XML of a field in a broken feed, as plain text, each escaping layer decoded once."""
    cdata = _cdata(raw)
    if cdata:
        inner = "".join(cdata)
        return html_to_text(inner) if html else normalize_space(inner)
    if "<" in raw:  # raw, unescaped HTML: only the HTML layer is there
        return html_to_text(raw)
    decoded = unescape_entities_strict(raw)
    return html_to_text(decoded) if html else normalize_space(decoded)


_PROLOG_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")


def _decode(body: bytes, charset: str | None = None) -> str:
    """A broken feed's text, in the encoding its XML declaration names (Shift_JIS, EUC-JP, GB2312
    came out as mojibake read as UTF-8), else the response's charset, else UTF-8; undecodable
    bytes replaced."""
    import codecs
    import contextlib

    found = _PROLOG_ENCODING.match(body[:300])
    encoding = "utf-8"
    for name in (found.group(1).decode("ascii") if found else None, charset):
        if name:
            with contextlib.suppress(LookupError):
                encoding = codecs.lookup(name).name
                break
    return body.decode(encoding, errors="replace")


def _lenient_parse(body: bytes, feed_url: str, now: datetime, charset: str | None = None) -> list[Item]:
    text = _decode(body, charset)
    channel_lang = _field(text.split("<item", 1)[0][:_MAX_BLOCK], "language")
    language = clean_language(_lenient_value(channel_lang[1], html=False)) if channel_lang else None
    return _newest(
        skip_bad(lambda block: _lenient_item(block, feed_url, language, now), _blocks(text), "rss")
    )


def _lenient_item(block: str, feed_url: str, language: str | None, now: datetime) -> Item | None:
    lower = block.lower()
    title_f = _field(block, "title", lower=lower)
    title = _lenient_value(title_f[1], html=True) if title_f else ""
    link = ""
    link_f = _field(block, "link", lower=lower)
    if link_f and link_f[1].strip():
        link = _lenient_value(link_f[1], html=False)
    else:
        for attrs in _LINK_HREF.findall(block):
            values = {m[0].lower(): m[1] or m[2] for m in _ATTR.findall(attrs)}
            if values.get("href") and values.get("rel", "alternate") == "alternate":
                link = unescape_entities_strict(values["href"])
                break
    url = clean_url(link, feed_url)
    guid_f = _field(block, "guid", "id", lower=lower)
    guid = _lenient_value(guid_f[1], html=False) if guid_f else ""
    body_f = _field(block, "content:encoded", "content", "description", "summary", lower=lower)
    content = _lenient_value(body_f[1], html=True) if body_f else ""
    date_f = _field(block, "pubDate", "dc:date", "published", "updated", lower=lower)
    date_raw = _lenient_value(date_f[1], html=False) if date_f else ""
    author_f = _field(block, "dc:creator", "author", "name", lower=lower)
    author = clean_author(html_to_text(author_f[1])) if author_f else None
    if not (title or content or url):
        return None
    return make_item(
        SOURCE,
        url=url,
        title=title or None,
        text=content,
        author=author,
        published_at=parse_date(date_raw, now),
        native_id=_entry_key(guid, url, title, date_raw),
        language=language,
    )


_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._-]{1,40})", re.IGNORECASE)


def parse_feed(body: bytes, feed_url: str, now: datetime, charset: str | None = None) -> list[Item]:
    """Items of an RSS 2.0 / RSS 1.0 / Atom document. Raises SourceError (bad_payload) for a
    document with entity declarations or one that is no feed at all."""
    import defusedxml
    import defusedxml.ElementTree as SafeET

    if _ENTITY_DECL.search(body[:65536]):
        raise FeedRefused("the feed declares XML entities (possible entity bomb); refused")
    try:
        root = SafeET.fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise FeedRefused(f"unsafe XML refused: {exc}") from exc
    except (ParseError, ValueError, UnicodeError):
        items = _lenient_parse(body, feed_url, now, charset)
        if not items and not re.search(rb"<(rss|feed|rdf:RDF)\b", body[:4096], re.IGNORECASE):
            raise FeedRefused("the response is neither well-formed XML nor a recognisable feed") from None
        return items
    return _parse_tree(root, feed_url, now)


async def fetch(job: FetchJob, cursor: Cursor, http: Any, ctx: Any, now: datetime) -> FetchResult:
    """One conditional GET of the feed."""
    url = str(job.source.get("url", ""))
    headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.5"}
    if cursor.etag:
        headers["If-None-Match"] = cursor.etag
    if cursor.last_modified:
        headers["If-Modified-Since"] = cursor.last_modified
    response = await http.request("GET", url, headers=headers, ok=(200, 304))
    if response.status == 304:
        return FetchResult(items=[], cursor=cursor)
    charset = _CHARSET.search(response.headers.get("content-type", ""))
    items = parse_feed(response.body, response.url or url, now, charset.group(1) if charset else None)
    new_cursor = Cursor(
        watermark=cursor.watermark,
        seen=list(cursor.seen),
        etag=response.headers.get("etag") or None,
        last_modified=response.headers.get("last-modified") or None,
        state=dict(cursor.state),
    )
    return FetchResult(items=items, cursor=new_cursor)
