"""Plain text from what sources send: HTML fragments, entity-escaped strings, Markdown.

Every function here decodes HTML entities exactly once. Sources differ in how many layers of
escaping they apply (see the fixtures README): the caller picks the function that peels exactly
the layers the source added, so `&amp;#39;` inside an XML `type="html"` element becomes `'`
(one XML decode by the parser, one HTML decode here) and a Reddit title `&amp;` becomes `&`.

Pure, stdlib only: imported on the fetch path of a Lambda cold start.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

TITLE_MAX = 500
TEXT_MAX = 20_000

# Elements whose content is never text a reader sees.
_SKIP = frozenset({"script", "style", "template", "noscript", "head", "title", "svg", "math", "iframe"})
# Elements that end a line of text.
# fmt: off
_BLOCK = frozenset(
    {
        "p", "div", "br", "hr", "li", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "table",
        "tr", "td", "th", "thead", "tbody", "section", "article", "header", "footer", "aside",
        "h1", "h2", "h3", "h4", "h5", "h6", "figure", "figcaption", "details", "summary", "nav",
    }
)
# fmt: on
_VOID = frozenset({"br", "hr", "img", "meta", "link", "input", "source", "wbr", "area", "col", "embed"})
_SPACES = re.compile(r"[^\S\n]+")
_NEWLINES = re.compile(r"\n\s*\n+")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# HTML tags that show up inside Markdown bodies (GitHub, Lemmy, Reddit); anything else that
# looks like a tag (`List<String>`, `<you>`) is left alone.
_MD_TAG = re.compile(
    r"</?(?:details|summary|br|p|img|a|sub|sup|b|i|em|strong|code|pre|kbd|div|span|table|thead|"
    r"tbody|tr|td|th|ul|ol|li|h[1-6]|hr|blockquote|picture|source|video|del|ins|s|u|mark|small)"
    r"(?:\s[^<>]*)?/?>",
    re.IGNORECASE,
)
_MD_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        # convert_charrefs=True: the parser decodes each entity in text and attributes once.
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            if tag not in _VOID:
                self._skip_depth += 1
            return
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip_depth:
            self.parts.append(data)


def normalize_space(text: str) -> str:
    """Collapse runs of spaces (including no-break spaces) and blank lines; strip the ends."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    joined = "\n".join(lines)
    return _NEWLINES.sub("\n", joined).strip()


def html_to_text(fragment: str | None) -> str:
    """Visible text of an HTML fragment: tags (and script/style content) removed, entities
    decoded once, whitespace collapsed, one line per block element."""
    if not fragment:
        return ""
    parser = _TextExtractor()
    try:
        parser.feed(fragment)
        parser.close()
    except Exception:  # HTMLParser is lenient; this is a last resort for pathological input
        return normalize_space(html.unescape(re.sub(r"<[^>]*>", " ", fragment)))
    return normalize_space("".join(parser.parts))


def unescape_text(value: str | None) -> str:
    """A plain-text field that the source entity-escaped once (Reddit titles without raw_json,
    Stack Exchange titles, YouTube snippets): decode once, collapse whitespace."""
    if not value:
        return ""
    return normalize_space(html.unescape(value))


def unescape_entities_strict(value: str) -> str:
    """Decode only well-formed `&name;` / `&#n;` references, leaving bare `&` alone.

    For text out of broken XML: `html.unescape` would also read legacy references without a
    semicolon, turning `?a=1&not=2` into `?a=1¬=2`."""
    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), value)


# Markdown marks that are not text: fences, headings, quotes, emphasis, inline code, links and
# images (the link's address is kept in brackets after its text), horizontal rules.
_MD_FENCE = re.compile(r"^[ \t]*(?:```|~~~)[^\n]*$", re.MULTILINE)
_MD_LINE_MARK = re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|(?:>[ \t]?)+)", re.MULTILINE)
_MD_RULE = re.compile(r"^[ \t]*(?:[-*_][ \t]*){3,}$", re.MULTILINE)
_MD_IMAGE = re.compile(r"!\[([^\]\n]*)\]\([^)\s]*(?:\s+\"[^\"]*\")?\)")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_EM = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")
_MD_STRIKE = re.compile(r"~~(?=\S)(.+?)(?<=\S)~~")
_MD_CODE = re.compile(r"`([^`\n]+)`")


def markdown_to_text(value: str | None) -> str:
    """Markdown bodies (GitHub, Lemmy, Reddit selftext) as plain text: HTML comments and common
    inline HTML tags removed, entities decoded once, Markdown marks dropped ("**down again**" is
    "down again", "[the status page](https://…)" is "the status page (https://…)", "### Steps"
    is "Steps"), whitespace collapsed. The words, code included, stay as written."""
    if not value:
        return ""
    value = _MD_COMMENT.sub(" ", value)
    value = _MD_TAG.sub(" ", value)
    value = html.unescape(value)  # Reddit writes "&gt;" for a quote's ">"
    value = _MD_FENCE.sub("", value)
    value = _MD_RULE.sub("", value)
    value = _MD_LINE_MARK.sub("", value)
    value = _MD_IMAGE.sub(lambda m: m.group(1), value)
    value = _MD_LINK.sub(
        lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})", value
    )
    value = _MD_STRONG.sub(lambda m: m.group(2), value)
    value = _MD_STRIKE.sub(lambda m: m.group(1), value)
    value = _MD_EM.sub(lambda m: m.group(1), value)
    value = _MD_CODE.sub(lambda m: m.group(1), value)
    return normalize_space(value)


def cap(value: str | None, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary when one is near, with an ellipsis."""
    if not value or len(value) <= limit:
        return value or ""
    cut = value[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.8:
        cut = cut[:space]
    return cut.rstrip() + "…"


def cap_title(value: str | None) -> str | None:
    value = normalize_space(value or "").replace("\n", " ")
    return cap(value, TITLE_MAX) or None


def cap_text(value: str | None) -> str:
    return cap(value, TEXT_MAX)
