"""The watch query language (DESIGN.md §4).

    query   := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*          AND is the default between terms
    unary   := "NOT" unary | "-" primary | primary
    primary := "(" query ")" | "\"phrase\"" | word | word* | field:value
    field   := site | lang | source

Operators are upper case (`or` in lower case is a word). Words and phrases match the title and
text at word boundaries after normalisation (case, accents, punctuation do not matter), as
substrings in CJK; `word*` matches words starting with `word`. `site:` matches the URL host or a
host/path prefix, `lang:` the item's language, `source:` its source type. Positions in errors
are 0-based character offsets into the query.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, get_args

from harken.models import SourceType
from harken.normalize import has_cjk, normalize_term

FIELDS = ("site", "lang", "source")


class QueryError(ValueError):
    """A query that does not parse; `position` is the 0-based offset of the problem."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.position = position
        self.reason = message


@dataclass(frozen=True)
class QueryContext:
    """What a query is evaluated against; `text` is in normalize() form (" padded words ")."""

    text: str
    host: str = ""
    path: str = ""
    language: str | None = None
    source: str = ""


class Node(Protocol):
    def evaluate(self, ctx: QueryContext) -> bool: ...


@dataclass(frozen=True)
class Term:
    """A word or a phrase, already normalised."""

    value: str
    prefix: bool = False

    def evaluate(self, ctx: QueryContext) -> bool:
        if has_cjk(self.value):
            return self.value in ctx.text or self.value.replace(" ", "") in ctx.text.replace(" ", "")
        if self.prefix:
            return f" {self.value}" in ctx.text
        return f" {self.value} " in ctx.text


@dataclass(frozen=True)
class Filter:
    field: str
    value: str

    def evaluate(self, ctx: QueryContext) -> bool:
        if self.field == "lang":
            return (ctx.language or "") == self.value
        if self.field == "source":
            return ctx.source == self.value
        host, _, path = self.value.partition("/")
        host = host.removeprefix("www.")
        if not (ctx.host == host or ctx.host.endswith("." + host)):
            return False
        if not path:
            return True
        # Paths compared without case, as the value is: /r/SysAdmin is /r/sysadmin.
        want, have = "/" + path.rstrip("/"), ctx.path.lower()
        return have == want or have.startswith(want + "/")


@dataclass(frozen=True)
class Not:
    child: Node

    def evaluate(self, ctx: QueryContext) -> bool:
        return not self.child.evaluate(ctx)


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]

    def evaluate(self, ctx: QueryContext) -> bool:
        return all(c.evaluate(ctx) for c in self.children)


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]

    def evaluate(self, ctx: QueryContext) -> bool:
        return any(c.evaluate(ctx) for c in self.children)


@dataclass(frozen=True)
class _Tok:
    kind: str  # WORD PHRASE LPAREN RPAREN AND OR NOT MINUS FIELD
    value: str
    pos: int
    field: str = ""


_SPECIAL = '()"'


def _tokenize(text: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch == "(":
            toks.append(_Tok("LPAREN", ch, i))
            i += 1
            continue
        if ch == ")":
            toks.append(_Tok("RPAREN", ch, i))
            i += 1
            continue
        if ch == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise QueryError("unterminated quote", i)
            toks.append(_Tok("PHRASE", text[i + 1 : end], i))
            i = end + 1
            continue
        negates = (
            not toks or toks[-1].kind in ("LPAREN", "AND", "OR", "NOT", "MINUS") or text[i - 1].isspace()
        )
        if ch == "-" and i + 1 < n and not text[i + 1].isspace() and text[i + 1] != ")" and negates:
            toks.append(_Tok("MINUS", ch, i))
            i += 1
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] not in _SPECIAL:
            i += 1
        word = text[start:i]
        name, sep, rest = word.partition(":")
        if sep and name.lower() in FIELDS:
            if not rest and i < n and text[i] == '"':
                end = text.find('"', i + 1)
                if end < 0:
                    raise QueryError("unterminated quote", i)
                rest = text[i + 1 : end]
                i = end + 1
            if not rest.strip():
                raise QueryError(f"missing value after {name.lower()}:", start)
            toks.append(_Tok("FIELD", rest.strip(), start, field=name.lower()))
        elif word in ("AND", "OR", "NOT"):
            toks.append(_Tok(word, word, start))
        else:
            toks.append(_Tok("WORD", word, start))
    return toks


MAX_DEPTH = 32


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokenize(text)
        self.i = 0
        self.depth = 0  # open parentheses and NOTs around the current token

    def nest(self, tok: _Tok) -> None:
        """One level deeper (a parenthesis or a NOT). Queries nest a few levels; a deep one is a
        mistake or an attack, and would exhaust the parser's (and evaluate's) recursion."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QueryError(f"nested more than {MAX_DEPTH} levels deep", tok.pos)

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if not self.toks:
            raise QueryError("empty query", 0)
        node = self.parse_or()
        tok = self.peek()
        if tok is not None:
            if tok.kind == "RPAREN":
                raise QueryError("unbalanced parenthesis", tok.pos)
            raise QueryError(f"unexpected {tok.value!r}", tok.pos)
        return node

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while (tok := self.peek()) is not None and tok.kind == "OR":
            self.take()
            self._expect_operand(tok)
            children.append(self.parse_and())
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self) -> Node:
        children = [self.parse_unary()]
        while (tok := self.peek()) is not None and tok.kind not in ("OR", "RPAREN"):
            if tok.kind == "AND":
                self.take()
                self._expect_operand(tok)
            children.append(self.parse_unary())
        return children[0] if len(children) == 1 else And(tuple(children))

    def _expect_operand(self, op: _Tok) -> None:
        nxt = self.peek()
        if nxt is None or nxt.kind in ("OR", "AND", "RPAREN"):
            where = nxt.pos if nxt is not None else len(self.text)
            raise QueryError(f"expected a term after {op.value}", where)

    def parse_unary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise QueryError("expected a term", len(self.text))
        if tok.kind in ("NOT", "MINUS"):
            self.take()
            self._expect_operand(tok)
            self.nest(tok)
            node: Node = Not(self.parse_unary() if tok.kind == "NOT" else self.parse_primary())
            self.depth -= 1
            return node
        return self.parse_primary()

    def parse_primary(self) -> Node:
        tok = self.peek()
        if tok is None:
            raise QueryError("expected a term", len(self.text))
        if tok.kind == "LPAREN":
            self.take()
            if (nxt := self.peek()) is not None and nxt.kind == "RPAREN":
                raise QueryError("empty parentheses", tok.pos)
            self.nest(tok)
            node = self.parse_or()
            self.depth -= 1
            close = self.peek()
            if close is None or close.kind != "RPAREN":
                raise QueryError("unbalanced parenthesis", tok.pos)
            self.take()
            return node
        if tok.kind in ("AND", "OR", "RPAREN"):
            if tok.kind == "RPAREN":
                raise QueryError("unbalanced parenthesis", tok.pos)
            raise QueryError(f"expected a term before {tok.value}", tok.pos)
        self.take()
        if tok.kind == "FIELD":
            value = tok.value.lower()
            if tok.field == "site":
                value = value.split("://", 1)[-1].rstrip("/")
            elif tok.field == "lang":
                # Items carry the primary code ("en"): "en-US" means en. A value that is no code
                # ("lang:english") would silently match nothing: refuse it.
                value = value.replace("_", "-").split("-")[0]
                if not (value.isascii() and value.isalpha() and 2 <= len(value) <= 3):
                    raise QueryError(
                        f"lang: takes a language code such as en or ja, not {tok.value!r}", tok.pos
                    )
            elif tok.field == "source" and value not in get_args(SourceType):
                raise QueryError(
                    f"unknown source {tok.value!r} (one of {', '.join(get_args(SourceType))})", tok.pos
                )
            return Filter(tok.field, value)
        if tok.kind == "PHRASE":
            norm = normalize_term(tok.value)
            if not norm:
                raise QueryError("empty phrase", tok.pos)
            return Term(norm)
        raw = tok.value
        prefix = raw.endswith("*") and len(raw) > 1
        norm = normalize_term(raw[:-1] if prefix else raw)
        if not norm:
            raise QueryError(f"{raw!r} has no letters or digits", tok.pos)
        return Term(norm, prefix=prefix)


def parse_query(text: str) -> Node:
    """Parse a query into a tree whose `evaluate(QueryContext)` says whether an item satisfies it.

    Raises QueryError (a ValueError) with `position` for a query that does not parse.
    """
    return _Parser(text).parse()
