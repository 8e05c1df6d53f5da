"""The classifier: is an item a mention for a watch, and if so of what category, in which
language, with which sentiment and intents. The classifier Lambda and `harken classify` both
call this module.

- `compile_watch(watch).classify(item)` for one watch;
- `Classifier().classify(watch, item)` caches compiled watches (per id and updated_at);
- `MultiWatchClassifier(watches).classify_all(item)` runs one automaton over the terms of
  many watches at once.

Order of decisions for one watch: a term match (or, for a watch without terms, the query) or an
official page makes a candidate; `exclude` then drops it whatever else holds; `languages`
restricts by the item's language (given by the source or detected; an item whose language
cannot be told is kept); the query must hold for a term match. Items on an official page or
account are `smm` mentions without needing a term or satisfying the query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from harken import intents as intents_mod
from harken import language as language_mod
from harken.match import TYPO, Matcher, Prefilter, build_matcher, contains_phrase
from harken.models import Classification, Item, Match, Sentiment, WatchIn
from harken.normalize import SENTENCE_BREAK, has_cjk, normalize, normalize_sentences, normalize_term
from harken.query import Node, QueryContext, parse_query
from harken.sentiment import SentimentBackend, complaint_sentiment, get_backend

_KIND_ORDER = {
    k: i
    for i, k in enumerate(("brand", "variant", "person", "product", "address", "trademark", "lead", "query"))
}
_ACCOUNT_MARKERS = ("@", "user/", "u/", "profile/", "c/", "channel/")
_ACCOUNT_HOSTS = ("github.com", "x.com", "twitter.com", "youtube.com", "lobste.rs", "news.ycombinator.com")


def _word_file(name: str) -> frozenset[str]:
    path = resources.files("harken") / "data" / name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return frozenset()
    return frozenset(w for line in text.splitlines() if not line.startswith("#") for w in line.split())


@lru_cache(maxsize=1)
def frequent_words() -> frozenset[str]:
    """The top 6,000 words of each supported language (the prefilter's statistics)."""
    return _word_file("common_words.txt")


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Frequent words of the supported languages, which a typo must not be: the frequent ones
    and more (the top 30,000 of English, 10,000 of the others)."""
    return frequent_words() | _word_file("common_words_more.txt")


def _url_key(url: str) -> str:
    """ "https://www.Reddit.com/r/acmecloud/" -> "reddit.com/r/acmecloud" (for prefix checks)."""
    rest = url.strip().split("://", 1)[-1]
    host, _, path = rest.partition("/")
    host = host.lower().split("@")[-1]
    for prefix in ("www.", "m.", "old.", "mobile."):
        host = host.removeprefix(prefix)
    path = path.split("#", 1)[0]
    return (host + "/" + path).rstrip("/").lower()


def _account(url_key: str) -> tuple[str, str] | None:
    """(host, handle) when an official URL names an account: /@name, /user/name, github.com/name."""
    host, _, path = url_key.partition("/")
    parts = [p for p in path.split("/") if p]
    if not parts:
        return None
    if parts[0].startswith("@") and len(parts) == 1:
        return host, parts[0][1:]
    if len(parts) == 2 and parts[0] + "/" in _ACCOUNT_MARKERS:
        return host, parts[1]
    if len(parts) == 1 and host in _ACCOUNT_HOSTS:
        return host, parts[0]
    return None


# A hashtag with a capital inside it ("#AcmeCloudDown"), and where its CamelCase words meet.
_HASHTAG = re.compile(r"#([^\W_]*[a-z0-9][^\W_]*[A-Z][^\W_]*)")
_CAMEL_CUT = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


_ANY_HASHTAG = re.compile(r"#([^\W_]{6,})")


def hashtag_words(text: str, glued: Any = None) -> str:
    """Words hidden in a text's hashtags, one hashtag per line: the words of CamelCase ones
    ("#AcmeCloudDown" -> "Acme Cloud Down") and, with `glued` (an automaton over one-word term
    forms, see _glued_automaton), the term forms inside lower-case ones ("#acmecloudsucks" ->
    "acmecloud"). People tag a brand inside a longer hashtag; terms are matched in these too.
    Empty when there are none."""
    lines = [" ".join(_CAMEL_CUT.split(tag)) for tag in _HASHTAG.findall(text)]
    if glued is not None:
        for tag in _ANY_HASHTAG.findall(text):
            body = tag.lower()
            lines.extend(word for _end, word in glued.iter(body) if word != body)
    return "\n".join(lines)


def _glued_automaton(matcher: Matcher) -> Any:
    """An automaton over the one-word forms of made-up names ("acmecloud", "vaultsync"; see
    Matcher.coined_words), found inside hashtags by hashtag_words; None when there are none."""
    import ahocorasick

    words = set(matcher.coined_words())
    if not words:
        return None
    auto = ahocorasick.Automaton()
    for word in words:
        auto.add_word(word, word)
    auto.make_automaton()
    return auto


@dataclass
class _Plan:
    """What one watch needs beyond its terms (which live in the shared matcher)."""

    watch: Any
    has_terms: bool
    exclude: tuple[str, ...]
    query: Node | None
    query_text: str | None
    official: tuple[str, ...]
    accounts: tuple[tuple[str, str], ...]
    languages: frozenset[str]
    # The exclusions as plain " phrase " substrings of the normalised text, and those (CJK)
    # that need contains_phrase.
    exclude_plain: tuple[str, ...] = ()
    exclude_other: tuple[str, ...] = ()

    def excluded(self, norm: str) -> bool:
        for p in self.exclude_plain:
            if p in norm:
                return True
        return bool(self.exclude_other) and any(contains_phrase(norm, p) for p in self.exclude_other)

    def is_official(self, url_key: str, author: str | None, item_host: str) -> bool:
        for prefix in self.official:
            if url_key == prefix or url_key.startswith(prefix + "/") or url_key.startswith(prefix + "?"):
                return True
        if author and self.accounts:
            handle = author.strip().lstrip("@").lower().removeprefix("/").removeprefix("u/")
            name, _, host = handle.partition("@")
            for acc_host, acc_name in self.accounts:
                if name == acc_name and (host == acc_host or (not host and item_host == acc_host)):
                    return True
        return False


def _plan(watch: WatchIn) -> _Plan:
    keys = tuple(_url_key(u) for u in watch.official if u.strip())
    accounts = tuple(a for a in (_account(k) for k in keys) if a)
    # A Mastodon account's posts also live under /users/<name>/statuses/… (the ActivityPub form).
    keys += tuple(f"{host}/users/{name}" for host, name in accounts if f"{host}/@{name}" in keys)
    # Reddit writes a user's pages /user/<name> and /u/<name>.
    keys += tuple(
        f"{host}/{other}/{name}"
        for host, name in accounts
        for mine, other in (("user", "u"), ("u", "user"))
        if host == "reddit.com" and f"{host}/{mine}/{name}" in keys
    )
    exclude = tuple(p for p in (normalize_term(e) for e in watch.exclude) if p)
    return _Plan(
        watch=watch,
        has_terms=not watch.terms.is_empty(),
        exclude=exclude,
        exclude_plain=tuple(f" {p} " for p in exclude if not has_cjk(p)),
        exclude_other=tuple(p for p in exclude if has_cjk(p)),
        query=parse_query(watch.query) if watch.query else None,
        query_text=watch.query,
        official=keys,
        accounts=accounts,
        languages=frozenset(x for x in (language_mod.primary(lang) for lang in watch.languages) if x),
    )


@dataclass(slots=True)
class _ItemView:
    """One item's derived data, computed once and shared by every watch that looks at it."""

    item: Item
    raw: str
    backend: SentimentBackend
    scan: str = ""  # what terms are matched in: raw, plus the words of CamelCase hashtags
    sentences: bool = True  # phrases do not match across sentences (see normalize_sentences)
    _norm: str | None = None
    _language: Any = field(default=False)
    _guessed: bool = False  # the language is a default, not told by the text
    _sentiment: Sentiment | None = None
    _intents: list[str] | None = None
    _url_parts: tuple[str, str, str] | None = None
    _facts: tuple[str | None, Sentiment, list[str]] | None = None

    def facts(self) -> tuple[str | None, Sentiment, list[str]]:
        """(language, sentiment, intents), each computed once, in that order."""
        if self._facts is None:
            sentiment, intents = self.sentiment, self.intents
            if sentiment.label == "neutral" and "complaint" in intents:
                # A complaint told without opinion words ("my invoice doubled", "VaultSync keeps
                # creating duplicate files") is still bad news for the brand.
                sentiment = complaint_sentiment(sentiment)
            self._facts = (self.language, sentiment, intents)
        return self._facts

    @property
    def body(self) -> str:
        return self.raw

    @property
    def norm(self) -> str:
        if self._norm is None:
            text = self.scan or self.raw
            self._norm = normalize_sentences(text) if self.sentences else normalize(text)
        return self._norm

    @property
    def language(self) -> str | None:
        if self._language is False:
            given = language_mod.primary(self.item.language)
            found = given or language_mod.detect(self.body, default="")
            self._guessed = found == ""
            self._language = "en" if found == "" else found
        return self._language  # type: ignore[no-any-return]

    @property
    def sentiment(self) -> Sentiment:
        if self._sentiment is None:
            self._sentiment = self.backend.score(self.body, self.language)
        return self._sentiment

    @property
    def intents(self) -> list[str]:
        if self._intents is None:
            self._intents = intents_mod.detect(self.body, self.language, self.sentiment)
        return self._intents

    def url_parts(self) -> tuple[str, str, str]:
        """(url key, host, path) of the item URL."""
        if self._url_parts is None:
            key = _url_key(self.item.url)
            try:
                parts = urlsplit(self.item.url)
                host = (parts.hostname or "").removeprefix("www.")
                path = parts.path.rstrip("/")
            except ValueError:
                host, path = "", ""
            self._url_parts = (key, host, path)
        return self._url_parts


class _Index:
    """The shared matcher and per-watch plans for a list of watches."""

    def __init__(self, watches: Sequence[WatchIn], sentiment: SentimentBackend | None = None) -> None:
        self.plans = [_plan(w) for w in watches]
        entries = [(i, kind, term) for i, w in enumerate(watches) for kind, term in w.terms.by_kind()]
        self.matcher: Matcher = build_matcher(
            entries,
            typo_owners=[i for i, w in enumerate(watches) if w.typos],
            common_words=common_words(),
            frequent_words=frequent_words(),
        )
        self.prefilter = self.matcher.prefilter or Prefilter(frozenset())
        self.glued = _glued_automaton(self.matcher)
        self.backend = sentiment or get_backend()
        # A term or phrase written across a sentence end ("Yahoo! Mail", "Hello. World") must
        # still match itself: then sentence ends do not split the text for these watches.
        phrases = [term for w in watches for _kind, term in w.terms.by_kind()]
        phrases += [e for w in watches for e in w.exclude] + [w.query for w in watches if w.query]
        self.sentences = not any(SENTENCE_BREAK.search(p) for p in phrases)
        self.query_only = [i for i, p in enumerate(self.plans) if not p.has_terms]
        self.with_official = [i for i, p in enumerate(self.plans) if p.official]
        self.any_official = bool(self.with_official)

    def classify_all(self, item: Item) -> list[tuple[int, Classification]]:
        title = item.title
        raw = f"{title}\n{item.text}" if title else item.text
        scan = raw
        if "#" in raw:
            words = hashtag_words(raw, self.glued)
            if words:
                scan = f"{raw}\n{words}"
        flags = self.prefilter.scan(scan)
        if not flags and not self.query_only and not self.any_official:
            return []
        found: dict[int, dict[Any, Match]]
        view = _ItemView(item=item, raw=raw, backend=self.backend, scan=scan, sentences=self.sentences)
        found = self.matcher.find(view.norm, typos=bool(flags & TYPO)) if flags else {}
        out: list[tuple[int, Classification]] = []
        if not self.query_only and not self.any_official:
            # The common case: the owners are those with a term match.
            for i in sorted(found) if len(found) > 1 else found:
                result = self._decide(self.plans[i], view, found[i], False)
                if result is not None:
                    out.append((i, result))
            return out
        owners = set(found)
        owners.update(self.query_only)
        official: set[int] = set()
        if self.any_official:
            key, host, _path = view.url_parts()
            for i in self.with_official:
                if self.plans[i].is_official(key, item.author, host):
                    official.add(i)
            owners |= official
        for i in sorted(owners) if len(owners) > 1 else owners:
            result = self._decide(self.plans[i], view, found.get(i, {}), i in official)
            if result is not None:
                out.append((i, result))
        return out

    def _decide(
        self, plan: _Plan, view: _ItemView, found: dict[Any, Match], official: bool
    ) -> Classification | None:
        if plan.exclude and plan.excluded(view.norm):
            return None
        if plan.languages and view.language and view.language not in plan.languages and not view._guessed:
            # (An item whose language cannot be told, "Acme Cloud 👍", is kept.)
            return None
        matches = list(found.values())
        if len(matches) == 2:
            if _KIND_ORDER[matches[1].kind] < _KIND_ORDER[matches[0].kind]:
                matches.reverse()
        elif len(matches) > 2:
            matches.sort(key=_kind_order)
        if not official:
            if plan.query is not None:
                _key, host, path = view.url_parts()
                ctx = QueryContext(
                    text=view.norm, host=host, path=path, language=view.language, source=view.item.source
                )
                if not plan.query.evaluate(ctx):
                    return None
                if not plan.has_terms:
                    matches = [Match(term=plan.query_text or "", kind="query", how="exact")]
            if not matches:
                return None
        if official:
            category = "smm"
        else:
            category = "crowd_marketing"
            for m in matches:
                if m.kind != "lead":
                    category = "reputation"
                    break
        # Every field is already valid (matches and sentiment are models, the rest literals):
        # skip pydantic's validation.
        language, sentiment, intents = view.facts()
        return _construct(
            {
                "matches": matches,
                "category": category,
                "sentiment": sentiment,
                "intents": list(intents),
                "language": language,
            },
        )


def _kind_order(m: Match) -> int:
    return _KIND_ORDER[m.kind]


_CLASSIFICATION_FIELDS = frozenset(Classification.model_fields)


def _construct(values: dict[str, Any]) -> Classification:
    """`Classification.model_construct(**values)` for values that name every field (no defaults
    to fill), without its per-call bookkeeping: the model's __dict__ is `values` itself."""
    obj = object.__new__(Classification)
    object.__setattr__(obj, "__dict__", values)
    object.__setattr__(obj, "__pydantic_fields_set__", set(_CLASSIFICATION_FIELDS))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


class CompiledWatch:
    """One watch ready to classify items."""

    def __init__(self, watch: WatchIn, sentiment: SentimentBackend | None = None) -> None:
        self.watch = watch
        self._index = _Index([watch], sentiment)

    def classify(self, item: Item) -> Classification | None:
        """The classification of an item for this watch, or None when it is not a mention."""
        results = self._index.classify_all(item)
        return results[0][1] if results else None


def compile_watch(watch: WatchIn, sentiment: SentimentBackend | None = None) -> CompiledWatch:
    """Compile a watch (terms into an automaton, query into a tree). Raises QueryError on a bad query."""
    return CompiledWatch(watch, sentiment)


class Classifier:
    """Compiled watches cached per container, keyed by id and updated_at for stored watches."""

    def __init__(self, sentiment: SentimentBackend | None = None, max_watches: int = 512) -> None:
        self.sentiment = sentiment
        self.max_watches = max_watches
        self._cache: dict[Any, CompiledWatch] = {}

    def _key(self, watch: WatchIn) -> Any:
        wid = getattr(watch, "id", None)
        if wid is not None:
            return (wid, getattr(watch, "updated_at", None))
        return ("inline", watch.model_dump_json())

    def compiled(self, watch: WatchIn) -> CompiledWatch:
        key = self._key(watch)
        hit = self._cache.get(key)
        if hit is None:
            if len(self._cache) >= self.max_watches:
                self._cache.pop(next(iter(self._cache)))
            hit = self._cache[key] = compile_watch(watch, self.sentiment)
        return hit

    def classify(self, watch: WatchIn, item: Item) -> Classification | None:
        """The classification of `item` for `watch`, or None when it is not a mention."""
        return self.compiled(watch).classify(item)


class MultiWatchClassifier:
    """Many watches behind one automaton: one scan of an item finds its mentions for all of them."""

    def __init__(self, watches: Iterable[WatchIn], sentiment: SentimentBackend | None = None) -> None:
        self.watches = list(watches)
        self._index = _Index(self.watches, sentiment)

    def classify_all(self, item: Item) -> list[tuple[WatchIn, Classification]]:
        """(watch, classification) for every watch the item is a mention of."""
        return [(self.watches[i], c) for i, c in self._index.classify_all(item)]
