"""Term matching: one Aho-Corasick automaton over every term of every watch, plus typo matching.

Terms and texts are both in `normalize` form (" acme cloud "), so a spaced-script term is searched
as " term " and matches at word boundaries only; a term with CJK characters is searched without
the padding and matches as a substring. Each term is expanded into the written forms people
use: spaced, hyphenated (the same after normalisation), glued ("acmecloud"), CamelCase split
("AcmeCloud" -> "acme cloud"), and for addresses the usual street-type abbreviations.

Typos (edit distance 1 for words of 5+ letters, 2 for 9+) are found per text token with a
deletion index (SymSpell-style) and a cache of tokens already seen, so a text whose words were
all seen before costs one set difference. A typo must keep the first letter, must not be a common
word of one of the supported languages, and a multi-word term needs at least one exact word.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import ahocorasick

from harken.models import Match, TermKind
from harken.normalize import camel_split, has_cjk, normalize_term

_CLEAN = "clean"
_DECISIVE = "decisive"
_UNCACHED = "uncached"
TYPO_KINDS: frozenset[str] = frozenset({"brand", "variant", "product", "trademark"})
_GLUE_KINDS: frozenset[str] = frozenset({"brand", "variant", "person", "product", "trademark"})
_CACHE_LIMIT = 200_000

# Street-type words and their abbreviations, per language; each group is interchangeable.
_ADDRESS_GROUPS: tuple[tuple[str, ...], ...] = (
    ("street", "st", "str"),
    ("road", "rd"),
    ("avenue", "ave", "av"),
    ("boulevard", "blvd", "bd", "bvd"),
    ("drive", "dr"),
    ("lane", "ln"),
    ("court", "ct"),
    ("place", "pl"),
    ("square", "sq"),
    ("highway", "hwy"),
    ("parkway", "pkwy"),
    ("suite", "ste"),
    ("building", "bldg"),
    ("floor", "fl"),
    ("north", "n"),
    ("south", "s"),
    ("east", "e"),
    ("west", "w"),
    ("mount", "mt"),
    ("saint", "st"),
    ("strasse", "str"),
    ("platz", "pl"),
    ("calle", "c"),
    ("avenida", "avda", "av"),
    ("plaza", "pza"),
    ("rue", "r"),
    ("boulevard", "bd", "bld"),
    ("улица", "ул"),
    ("проспект", "пр", "просп"),
    ("площадь", "пл"),
    ("дом", "д"),
)


@lru_cache(maxsize=1)
def _address_alternatives() -> dict[str, tuple[str, ...]]:
    alts: dict[str, set[str]] = {}
    for group in _ADDRESS_GROUPS:
        for word in group:
            alts.setdefault(word, set()).update(group)
    return {w: tuple(sorted(s)) for w, s in alts.items()}


def _address_forms(norm: str) -> list[str]:
    """Spellings of one address: every street-type word in full or abbreviated (bounded)."""
    tokens = norm.split()
    alts = _address_alternatives()
    # German glued street names: "hafenstrasse" <-> "hafenstr".
    options: list[tuple[str, ...]] = []
    for tok in tokens:
        choices = set(alts.get(tok, (tok,)))
        if tok.endswith("strasse") and len(tok) > 7:
            choices.add(tok[:-7] + "str")
        elif tok.endswith("str") and len(tok) > 3 and tok not in alts:
            choices.add(tok[:-3] + "strasse")
        options.append(tuple(sorted(choices)))
    forms = [" ".join(p) for p in itertools.islice(itertools.product(*options), 64)]
    return forms


def term_forms(term: str, kind: str) -> list[str]:
    """Every normalised form a term matches in (without the boundary padding)."""
    norm = normalize_term(term)
    if not norm:
        return []
    forms = [norm]
    if kind == "address":
        forms = _address_forms(norm)
        # The street line alone ("12 harbor street" of "12 Harbor Street, Springfield") is
        # specific enough when it carries a number.
        if "," in term:
            street = normalize_term(term.split(",")[0])
            if len(street.split()) >= 2 and any(c.isdigit() for c in street):
                forms += _address_forms(street)
    elif kind in _GLUE_KINDS and not has_cjk(norm):
        split = camel_split(term)
        if split:
            forms.append(normalize_term(split))
        for form in list(forms):
            if " " in form:
                forms.append(form.replace(" ", ""))
    if has_cjk(norm):
        # Japanese writes "アクメ・クラウド" and "アクメ クラウド" for "アクメクラウド".
        forms.append(norm.replace(" ", ""))
    return list(dict.fromkeys(forms))


def _pattern(form: str) -> str:
    return form if has_cjk(form) else f" {form} "


def typo_budget(word: str) -> int:
    """How many edits a word of this length tolerates: 0 under 5 letters, 1 from 5, 2 from 9."""
    n = len(word)
    return 2 if n >= 9 else 1 if n >= 5 else 0


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of neighbours is one edit), capped at limit+1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        best = i
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                v = min(v, prev2[j - 2] + 1)
            cur[j] = v
            best = min(best, v)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[len(b)]


def _deletes(word: str, depth: int) -> set[str]:
    out = {word}
    frontier = {word}
    for _ in range(depth):
        nxt = set()
        for w in frontier:
            for i in range(len(w)):
                nxt.add(w[:i] + w[i + 1 :])
        out |= nxt
        frontier = nxt
    return out


@dataclass(frozen=True)
class TermRef:
    """One term of one watch (owner is the watch's index in the matcher)."""

    owner: int
    kind: TermKind
    term: str


@dataclass
class _TypoForm:
    ref: TermRef
    words: tuple[str, ...]
    budget: int  # total edits allowed over the whole form


@dataclass
class Matcher:
    """All terms of one or many watches, compiled once; `find` reports matches per owner."""

    typo_owners: frozenset[int] = frozenset()
    common_words: frozenset[str] = frozenset()
    _automaton: ahocorasick.Automaton = field(default_factory=ahocorasick.Automaton)
    _cjk_automaton: ahocorasick.Automaton = field(default_factory=ahocorasick.Automaton)
    _patterns: dict[str, list[TermRef]] = field(default_factory=dict)
    _typo_forms: list[_TypoForm] = field(default_factory=list)
    _word_index: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # word -> (form, pos)
    _deletion_index: dict[str, set[str]] = field(default_factory=dict)
    _near: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    _clean: set[str] = field(default_factory=set)
    # Quick rejection by whitespace tokens: see `quick_reject`.
    _single_words: frozenset[str] = frozenset()
    _multi_words: frozenset[str] = frozenset()
    _key_words: frozenset[str] = frozenset()
    _cjk_seeds: tuple[str, ...] = ()
    _token_cache: dict[str, Any] = field(default_factory=dict)
    _built: bool = False

    def add(self, owner: int, kind: TermKind, term: str) -> None:
        ref = TermRef(owner, kind, term)
        for form in term_forms(term, kind):
            refs = self._patterns.setdefault(_pattern(form), [])
            if ref not in refs:
                refs.append(ref)
            if kind in TYPO_KINDS and owner in self.typo_owners and not has_cjk(form):
                words = tuple(form.split())
                budget = typo_budget(form.replace(" ", ""))
                if (budget and any(typo_budget(w) for w in words)) or (len(words) == 1 and budget):
                    self._typo_forms.append(_TypoForm(ref, words, budget))

    def build(self) -> Matcher:
        for pattern, refs in self._patterns.items():
            self._automaton.add_word(pattern, tuple(refs))
        if self._patterns:
            self._automaton.make_automaton()
        exact_words: set[str] = set()
        for i, tf in enumerate(self._typo_forms):
            for pos, word in enumerate(tf.words):
                self._word_index.setdefault(word, []).append((i, pos))
                exact_words.add(word)
        for word in exact_words:
            depth = typo_budget(word)
            if depth:
                for d in _deletes(word, depth):
                    self._deletion_index.setdefault(d, set()).add(word)
        single: set[str] = set()
        multi: set[str] = set()
        cjk: list[str] = []
        keys: set[str] = set()
        for pattern in self._patterns:
            if has_cjk(pattern):
                cjk.append(pattern.replace(" ", ""))
                continue
            words = pattern.split()
            if len(set(words)) == 1:
                single.add(words[0])
            else:
                multi.update(words)
                # The form's most telling word (rare, then long) must be in any text it matches.
                keys.add(max(words, key=lambda w: (w not in self.common_words, len(w))))
        self._key_words = frozenset(keys)
        self._single_words = frozenset(single)
        self._multi_words = frozenset(multi - single)
        self._cjk_seeds = tuple(cjk)
        if cjk:
            for pattern, refs in self._patterns.items():
                if has_cjk(pattern):
                    self._cjk_automaton.add_word(pattern.replace(" ", ""), tuple(refs))
            self._cjk_automaton.make_automaton()
        self._built = True
        return self

    def quick_reject(self, low: str) -> bool:
        """True when a lower-cased text certainly matches no term (the common case, made cheap).

        A one-word form needs its word; a multi-word form needs its key word and another of its
        words, or one next to a typo of another; a typo needs a token near a term word. What each whitespace token can
        contribute is cached, so a text of familiar words costs a split and a few set operations.
        """
        cache = self._token_cache
        multi: set[str] = set()
        for tok in set(low.split()):
            verdict = cache.get(tok)
            if verdict is None:
                verdict = self._token_verdict(tok)
                if verdict is not _UNCACHED:
                    if len(cache) > _CACHE_LIMIT:
                        cache.clear()
                    cache[tok] = verdict
            if verdict is _CLEAN or verdict is _UNCACHED:
                continue
            if verdict is _DECISIVE:
                return False
            multi.update(verdict)
            if len(multi) >= 2 and not multi.isdisjoint(self._key_words):
                return False
        return True

    def _token_verdict(self, tok: str) -> Any:
        norm = normalize_term(tok)
        cjk = has_cjk(norm)
        if cjk and any(seed in norm.replace(" ", "") for seed in self._cjk_seeds):
            return _DECISIVE
        multi: set[str] = set()
        for sub in norm.split():
            if cjk and has_cjk(sub):
                continue
            if sub in self._single_words:
                return _DECISIVE
            if sub in self._multi_words:
                multi.add(sub)
            elif self._typo_forms and len(sub) >= 4 and any(d for _w, d in self._near_words(sub)):
                return _DECISIVE
        if multi:
            return frozenset(multi)
        return _UNCACHED if cjk else _CLEAN  # CJK runs are whole sentences: not worth caching

    def _near_words(self, token: str) -> tuple[tuple[str, int], ...]:
        """Term words this text token is (word, distance) — 0 for the word itself."""
        out: list[tuple[str, int]] = []
        if token in self._word_index:
            out.append((token, 0))
        if len(token) >= 4 and token not in self.common_words and not token.isdigit():
            depth = 2 if len(token) >= 7 else 1
            seen: set[str] = set()
            for d in _deletes(token, depth):
                for word in self._deletion_index.get(d, ()):
                    if word in seen or word == token or word[0] != token[0]:
                        continue
                    seen.add(word)
                    budget = typo_budget(word)
                    dist = edit_distance(token, word, budget)
                    if dist <= budget:
                        out.append((word, dist))
        return tuple(out)

    def find(self, norm: str) -> dict[int, dict[tuple[TermKind, str], Match]]:
        """Matches in a normalised text, per owner, one per (kind, term), exact before typo."""
        found: dict[int, dict[tuple[TermKind, str], Match]] = {}
        if self._patterns:
            for _end, refs in self._automaton.iter(norm):
                for ref in refs:
                    found.setdefault(ref.owner, {})[(ref.kind, ref.term)] = Match(
                        term=ref.term, kind=ref.kind, how="exact"
                    )
        if self._cjk_seeds and " " in norm.strip() and has_cjk(norm):
            # Japanese writes "アクメ・クラウド" for "アクメクラウド": CJK terms also match across spaces.
            for _end, refs in self._cjk_automaton.iter(norm.replace(" ", "")):
                for ref in refs:
                    key = (ref.kind, ref.term)
                    if key not in found.get(ref.owner, {}):
                        found.setdefault(ref.owner, {})[key] = Match(
                            term=ref.term, kind=ref.kind, how="exact"
                        )
        if self._typo_forms:
            self._find_typos(norm, found)
        return found

    def _find_typos(self, norm: str, found: dict[int, dict[tuple[TermKind, str], Match]]) -> None:
        tokens = norm.split()
        novel = set(tokens) - self._clean
        if not novel:
            return
        near: dict[str, tuple[tuple[str, int], ...]] = {}
        for tok in novel:
            hit = self._near.get(tok)
            if hit is None:
                hit = self._near_words(tok)
                if len(self._near) + len(self._clean) > _CACHE_LIMIT:
                    self._near.clear()
                    self._clean.clear()
                if hit:
                    self._near[tok] = hit
                else:
                    self._clean.add(tok)
                    continue
            near[tok] = hit
        if not any(dist for hits in near.values() for _w, dist in hits):
            return
        # Candidate forms: those with a typo'd word in this text.
        candidates = {
            fi for hits in near.values() for word, dist in hits if dist for fi, _pos in self._word_index[word]
        }
        near_words = {word for hits in near.values() for word, _dist in hits}
        for fi in candidates:
            tf = self._typo_forms[fi]
            if not all(w in near_words for w in tf.words):
                continue
            have = found.get(tf.ref.owner)
            if have and (tf.ref.kind, tf.ref.term) in have:
                continue
            if self._form_at(tf, tokens, near):
                found.setdefault(tf.ref.owner, {})[(tf.ref.kind, tf.ref.term)] = Match(
                    term=tf.ref.term, kind=tf.ref.kind, how="typo"
                )

    @staticmethod
    def _form_at(tf: _TypoForm, tokens: list[str], near: dict[str, tuple[tuple[str, int], ...]]) -> bool:
        n = len(tf.words)
        for start in range(len(tokens) - n + 1):
            total = 0
            exact = 0
            for k, word in enumerate(tf.words):
                tok = tokens[start + k]
                if tok == word:
                    exact += 1
                    continue
                dist = next((d for w, d in near.get(tok, ()) if w == word), None)
                if dist is None:
                    break
                total += dist
            else:
                if total and total <= tf.budget and (n == 1 or exact):
                    return True
        return False


def build_matcher(
    entries: Iterable[tuple[int, TermKind, str]],
    typo_owners: Iterable[int] = (),
    common_words: frozenset[str] = frozenset(),
) -> Matcher:
    """A matcher over (owner, kind, term) entries; owners in typo_owners also match typos."""
    matcher = Matcher(typo_owners=frozenset(typo_owners), common_words=common_words)
    for owner, kind, term in entries:
        matcher.add(owner, kind, term)
    return matcher.build()


def contains_phrase(norm: str, phrase_norm: str) -> bool:
    """Whether a normalised text contains a normalised phrase (substring for CJK phrases)."""
    if not phrase_norm:
        return False
    if has_cjk(phrase_norm):
        return phrase_norm in norm or phrase_norm.replace(" ", "") in norm.replace(" ", "")
    return f" {phrase_norm} " in norm
