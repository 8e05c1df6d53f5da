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

import bisect
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import compress
from typing import Any

import ahocorasick

from harken.models import Match, TermKind
from harken.normalize import camel_split, has_cjk, has_leads, is_cjk_char, keep_bytes, normalize_term

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
    elif kind == "person" and norm.isascii():
        words = norm.split()
        if len(words) == 3 and len(words[1]) == 1:
            # "John Q. Public" is also written "John Public".
            forms.append(f"{words[0]} {words[2]}")
        elif len(words) == 2:
            # "Jane Roe" is also written with a middle initial: "Jane A. Roe", "Jane A Roe".
            forms += [f"{words[0]} {letter} {words[1]}" for letter in "abcdefghijklmnopqrstuvwxyz"]
    elif kind in _GLUE_KINDS and not has_cjk(norm):
        split = camel_split(term)
        if split:
            forms.append(normalize_term(split))
        for form in list(forms):
            # A model code is written glued, hyphenated or spaced ("X200", "X-200", "X 200"): a
            # term written glued gets the spaced form too (the other way round it always had the
            # glued one), when that is safe: in a term of several words, or with 2+ letters
            # ("GT500"; a lone "x 200" is also "1920 x 200").
            spaced = _LETTER_DIGIT.sub(" ", form)
            if spaced != form and (" " in form or _TWO_LETTERS_THEN_DIGIT.search(form)):
                forms.append(spaced)
        for form in list(forms):
            if " " in form:
                forms.append(form.replace(" ", ""))
    if kind in _GLUE_KINDS or kind == "person":
        # Russian declines names: "с Сонорой", "в Нордбанке", "у Локвайза".
        forms += [f for form in list(forms) for f in russian_cases(form)]
    if has_cjk(norm):
        # Japanese writes "アクメ・クラウド" and "アクメ クラウド" for "アクメクラウド".
        forms.append(norm.replace(" ", ""))
    return list(dict.fromkeys(forms))


_CYRILLIC_WORD = re.compile(r"[а-я]{3,}")
_HUSHING = frozenset("кгхжшщч")


def russian_cases(form: str) -> list[str]:
    """The case forms of a normalised term whose last word is Russian (Cyrillic, 4+ letters):
    "сонора" → соноры, соноре, сонору, сонорой…; "нордбанк" → нордбанка, нордбанку, нордбанком,
    нордбанке. Names ending in -о, -е, -и, -у, -ю, -э (Дэшли, Кеттло) are not declined."""
    head, _, last = form.rpartition(" ")
    if len(last) < 4 or not _CYRILLIC_WORD.fullmatch(last):
        return []
    stem, end = last[:-1], last[-1]
    endings: tuple[str, ...]
    if end == "а":
        endings = ("и" if stem[-1] in _HUSHING else "ы", "е", "у", "ой", "ою")
    elif end == "я":
        endings = ("и", "е", "ю", "ей", "ею")
    elif end in "йь":
        endings = ("я", "ю", "ем", "е", "и")
    elif end in "оеиуюэыё":
        return []
    else:
        stem = last
        soft = end in "жшщчц"
        plural = "и" if end in _HUSHING else "ы"
        endings = ("а", "у", "ем" if soft else "ом", "е", plural, "ей" if soft else "ов", "ам", "ами", "ах")
    prefix = f"{head} " if head else ""
    return [f"{prefix}{stem}{e}" for e in endings]


def _coined(term: str) -> bool:
    """Whether a term is plainly a made-up name: several words, CamelCase, or with a digit."""
    return " " in term.strip() or camel_split(term) is not None or any(c.isdigit() for c in term)


def plural_form(form: str) -> str | None:
    """The English-style plural of a Latin-script term form ("acme drive" -> "acme drives"),
    or None when its last word is too short, not alphabetic or not Latin."""
    if not form.isascii():
        return None
    last = form.rsplit(" ", 1)[-1]
    if len(last) >= 3 and last.isalnum() and last[-1].isdigit() and not last.isdigit():
        return form + "s"  # a model code: "x200s"
    if len(last) < 3 or not last.isalpha():
        return None
    return form + ("es" if last.endswith(("s", "x", "z", "ch", "sh")) else "s")


_LETTER_DIGIT = re.compile(r"(?<=[a-z])(?=[0-9])|(?<=[0-9])(?=[a-z])")
_TWO_LETTERS_THEN_DIGIT = re.compile(r"[a-z]{2}[0-9]")


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


# Letters people swap for one that sounds the same when they misspell a name ("Akme", "Acmy").
_SOUND_ALIKE = frozenset({("c", "k"), ("k", "c"), ("s", "z"), ("z", "s"), ("i", "y"), ("y", "i"), ("c", "s")})


def _sound_alike(token: str, word: str) -> bool:
    """Whether `token` is `word` with one letter changed for one that sounds alike."""
    diffs = [(a, b) for a, b in zip(word, token, strict=True) if a != b]
    return len(diffs) == 1 and diffs[0] in _SOUND_ALIKE


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


# The scan form of a text for the prefilter (`latin_form`): the text in Latin-1 bytes (other
# characters become "?"), then one bytes.translate: ASCII letters lower-cased, accented Latin-1
# letters to their base letter (as normalize's fold does), digits kept, everything else a space.
def _scan_table() -> bytes:
    table = bytearray(b" " * 256)
    for c in range(ord("a"), ord("z") + 1):
        table[c] = c
        table[c - 32] = c
    for c in range(ord("0"), ord("9") + 1):
        table[c] = c
    for code in range(0xC0, 0x100):
        base = _FOLD_BASE.get(chr(code).lower(), "")
        if len(base) == 1:
            table[code] = ord(base)
    # Latin-1 compatibility characters NFKC would turn into letters or digits.
    for ch, to in (("ª", "a"), ("º", "o"), ("¹", "1"), ("²", "2"), ("³", "3")):
        table[ord(ch)] = ord(to)
    return bytes(table)


def _fold_base() -> dict[str, str]:
    out: dict[str, str] = {}
    for code in range(0xC0, 0x250):
        ch = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base != ch and base.isascii():
            out[ch] = base.lower()
    out.update({"ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "ı": "i"})
    return out


_FOLD_BASE = _fold_base()
_SCAN_TABLE = _scan_table()
# Latin Extended-A/B (UTF-8 lead bytes C4-C9): folded by str.translate before the byte pass.
# Characters beyond Latin-1 that fold to Latin letters or digits: Latin Extended-A/B, combining
# accents (NFKC composes them), and compatibility forms (full-width, ligatures, super/subscripts,
# letterlike, enclosed and mathematical alphanumerics).
_FOLDABLE = re.compile(
    "[\u0100-\u024f\u1e00-\u1eff\u0300-\u036f\u1d00-\u1dff\u2070-\u209f\u2100-\u218f\u2460-\u24ff"
    "\ufb00-\ufb06\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\U0001d400-\U0001d7ff\U0001f100-\U0001f1ff]"
)
# The UTF-8 lead bytes of those characters (see normalize.has_leads).
_FOLDABLE_LEADS = keep_bytes((0xC4, 0xC9), (0xCC, 0xCD), (0xE1, 0xE2), (0xEF, 0xF0))
_EXTENDED_FOLD = str.maketrans(
    {ch: base for ch, base in _FOLD_BASE.items() if ord(ch) >= 0x100} | {"ẞ": "ss"}
)


def latin_form(text: str) -> str:
    """The text as the prefilter scans it for Latin-script terms: " acme cloud s review "-like.

    Every token of `normalize(text)` made of ASCII letters and digits appears here as the same
    token between spaces, so a term the matcher finds is always found here (the converse need
    not hold: this is a filter).
    """
    if text.isascii():
        return " " + text.encode().translate(_SCAN_TABLE).decode() + " "
    data = text.encode("latin-1", "replace")
    # Beyond Latin-1: compatibility forms that NFKC turns into Latin letters or digits
    # (full-width, ligatures, combining accents), and Latin Extended letters.
    if data.count(b"?") != text.count("?") and has_leads(text, _FOLDABLE_LEADS) and _FOLDABLE.search(text):
        text = text.replace("\u2122", " ").replace("\u2120", " ")  # ™ ℠: signs (normalize.fold)
        if not unicodedata.is_normalized("NFKC", text):
            text = unicodedata.normalize("NFKC", text)
        text = text.translate(_EXTENDED_FOLD)
        data = text.encode("latin-1", "replace")
    if b"\xdf" in data:  # ß
        data = data.replace(b"\xdf", b"ss")
    return " " + data.translate(_SCAN_TABLE).decode("latin-1") + " "


def other_form(text: str) -> str:
    """The text as the prefilter scans it for terms in other scripts: NFKC, case-folded."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = text.casefold()
    return text.replace("ё", "е") if "ё" in text else text


@lru_cache(maxsize=4)
def _fragment_stats(common: frozenset[str]) -> tuple[list[str], list[str], dict[str, int]]:
    """Sorted words, sorted reversed words, and 2-/3-gram counts of the common-word list: how
    often a fragment starts, ends or sits inside an ordinary word (a proxy for text frequency)."""
    words = sorted(common)
    grams: dict[str, int] = {}
    for w in words:
        for n in (2, 3):
            for i in range(len(w) - n + 1):
                g = w[i : i + n]
                grams[g] = grams.get(g, 0) + 1
    return words, sorted(w[::-1] for w in words), grams


def _count_prefix(sorted_words: list[str], prefix: str) -> int:
    return bisect.bisect_left(sorted_words, prefix + "\uffff") - bisect.bisect_left(sorted_words, prefix)


_Entry = tuple[int, tuple[str, ...], tuple[str, ...], int, frozenset[str]]
NO_VERIFY = 99  # an entry's verify field: 99, or the offset of the token to check (0: the hit's)
# Rough hits per thousand texts of a fragment by its length and place (a short word or a
# common word's start, end or inside), before the common-word counts refine it.
_FRAGMENT_BASE = {
    "prefix": (1e9, 3000.0, 150.0, 20.0, 3.0),
    "suffix": (1e9, 3000.0, 200.0, 30.0, 5.0),
    "middle": (1e9, 5000.0, 600.0, 60.0, 8.0),
}


def _groups(entries: Iterable[_Entry]) -> tuple[tuple[int, int, frozenset[str], tuple[_Entry, ...]], ...]:
    """A trigger's entries grouped by (flag, verify), each group with the union of its entries'
    words: a typo'd token near none of them rules the whole group out with one set test."""
    by: dict[tuple[int, int], list[_Entry]] = {}
    for e in sorted(entries, key=lambda e: (e[0], e[3], e[1], e[2])):
        by.setdefault((e[0], e[3]), []).append(e)
    return tuple(
        (flag, verify, frozenset().union(*(e[4] for e in group)), tuple(group))
        for (flag, verify), group in by.items()
    )


# Prefilter flags: a term may match exactly / a typo may match.
EXACT = 1
TYPO = 2


class Prefilter:
    """A necessary condition for any match, checked with one C-speed scan per text.

    One Aho-Corasick automaton over the latin_form of the text holds, per term form, its rarest
    word as " word " (the other words then must be in the text too: cheap substring checks);
    for typos, fragments by the pigeonhole principle. A word within edit distance k of a term
    word (same first letter) keeps one of k+1 parts of it intact when the parts are separated
    by single-letter gaps (a swap of neighbours then breaks one part only): the first part is
    the token's prefix (" zent"), the last its suffix ("ivo "), a middle one sits inside it.
    A multi-word form also needs one exact word, so the cheaper side (by how often the
    fragments start, end or sit inside common words) is scanned and the other checked.
    Terms in other scripts get a second automaton over `other_form`, without word anchors.
    """

    def __init__(self, common_words: frozenset[str]) -> None:
        self.common = common_words
        self._latin: dict[str, set[_Entry]] = {}
        self._other: dict[str, set[_Entry]] = {}
        # A typo fragment's hit is confirmed on its token: is it near a term word? (cached)
        self.near: Callable[[str], frozenset[str]] = lambda _tok: frozenset()
        self._near_cache: dict[str, frozenset[str]] = {}
        self._latin_auto: Any = None
        self._other_auto: Any = None
        self.always = False  # a form the prefilter cannot vouch for: every text goes through
        self._memo: dict[str, tuple[float, tuple[str, ...]]] = {}
        self._domain: set[str] = set()  # the ordinary (common or short) words of the terms
        self._chosen: set[str] = set()
        self._cost_memo: dict[str, float] = {}
        # Rare words of the terms (not common, short, numeric or of the brand's domain): a text
        # token equal to one is as good as a term found, and the matcher runs at once.
        self._rare: dict[str, list[tuple[str, ...]]] = {}

    # -- building

    def _add(
        self,
        table: dict[str, set[_Entry]],
        trigger: str,
        flag: int,
        all_of: Iterable[str],
        any_of: Iterable[str],
        verify: int = NO_VERIFY,
        words: Iterable[str] = (),
    ) -> None:
        table.setdefault(trigger, set()).add(
            (flag, tuple(sorted(set(all_of))), tuple(sorted(set(any_of))), verify, frozenset(words))
        )

    def _word_cost(self, word: str) -> float:
        if word in self._domain:
            return 150.0
        if word in self.common:
            return 50.0
        if word.isdigit():
            return 60.0
        return 100.0 if len(word) <= 3 else 1.0

    def _fragment_cost(self, frag: str, where: str) -> float:
        key = frag if where != "middle" else frag.strip()
        cost = self._cost_memo.get(key)
        if cost is None:
            cost = self._cost_memo[key] = self._fragment_new_cost(frag, where)
        # A trigger another word already uses costs little more: its hits are paid for.
        return cost * 0.02 if key in self._chosen else cost

    def _fragment_new_cost(self, frag: str, where: str) -> float:
        cost = self._fragment_base_cost(frag, where)
        # Texts about a brand are full of its ordinary words ("cloud" of "Acme Cloud"): a
        # fragment inside one of them would fire on most of them.
        core = frag.strip()
        for word in self._domain:
            if core in word and (
                where == "middle"
                or (where == "prefix" and word.startswith(core))
                or (where == "suffix" and word.endswith(core))
            ):
                cost += 150.0
                break
        return cost

    def _fragment_base_cost(self, frag: str, where: str) -> float:
        words, rev, grams = _fragment_stats(self.common)
        core = frag.strip()
        base = _FRAGMENT_BASE[where]
        floor = base[len(core)] if len(core) < len(base) else 1.0
        if where == "prefix":
            return floor + 0.5 * _count_prefix(words, core)
        if where == "suffix":
            return floor + 0.5 * _count_prefix(rev, core[::-1])
        if len(core) < 2:
            return floor
        n = 3 if len(core) >= 3 else 2
        return floor + 0.5 * min(grams.get(core[i : i + n], 0) for i in range(len(core) - n + 1))

    def _fragments(self, word: str, budget: int) -> tuple[float, tuple[str, ...]]:
        """(cost, triggers) of the cheapest split of a Latin word into budget+1 gapped parts."""
        hit = self._memo.get(word)
        if hit is None:
            hit = self._memo[word] = self._split(word, budget)
        return hit

    def _use(self, frags: Iterable[str]) -> None:
        self._chosen.update(frags)

    def _split(self, word: str, budget: int) -> tuple[float, tuple[str, ...]]:
        n = len(word)
        best: tuple[float, tuple[str, ...]] = (float("inf"), ())
        if budget == 1:
            for m in range(1, n - 1):
                a, c = word[:m], word[m + 1 :]
                cost = self._fragment_cost(a, "prefix") + self._fragment_cost(c, "suffix")
                if cost < best[0]:
                    best = (cost, (" " + a, c + " "))
        else:
            for a_end in range(1, n - 3):
                for b_end in range(a_end + 2, n - 1):
                    a, b, c = word[:a_end], word[a_end + 1 : b_end], word[b_end + 1 :]
                    if not b or not c:
                        continue
                    cost = (
                        self._fragment_cost(a, "prefix")
                        + self._fragment_cost(b, "middle")
                        + self._fragment_cost(c, "suffix")
                    )
                    if cost < best[0]:
                        best = (cost, (" " + a, b, c + " "))
        return best

    @staticmethod
    def _plain_fragments(word: str, budget: int) -> tuple[str, ...]:
        """Balanced gapped parts of a word, unanchored (for the other-script automaton)."""
        n = len(word)
        size = (n - budget) / (budget + 1)
        parts, pos = [], 0
        for i in range(budget + 1):
            end = round(size * (i + 1) + i)
            parts.append(word[pos:end])
            pos = end + 1
        return tuple(p for p in parts if p) if all(parts) else (word[:1],)

    def add_exact(self, words: list[str]) -> None:
        """A term form, as its normalised words (one CJK form is one 'word')."""
        if not words:
            return
        self._domain.update(w for w in words if w.isascii() and (w in self.common or len(w) <= 3))
        if all(w.isascii() for w in words):
            key = min(words, key=lambda w: (self._word_cost(w), -len(w)))
            self._rare.setdefault(key, []).append(tuple(f" {w} " for w in words if w != key))
            self._add(self._latin, f" {key} ", EXACT, (f" {w} " for w in words if w != key), ())
        elif len(words) == 1 and has_cjk(words[0]):
            chars = [c for c in words[0] if is_cjk_char(c)]
            self._add(self._other, chars[0], EXACT, chars[1:], ())
        elif not any(w.isascii() for w in words):
            plain = [w.replace("ё", "е") for w in words]
            key = max(plain, key=len)
            self._add(self._other, key, EXACT, (w for w in plain if w != key), ())
        else:
            self.always = True

    def add_typo(self, words: tuple[str, ...], budgets: tuple[int, ...]) -> None:
        """A form that also matches with typos (see Matcher._find_typos for the rules), with the
        typo budget of each of its words."""
        latin = all(w.isascii() for w in words)
        if not latin and any(w.isascii() for w in words):
            self.always = True
            return
        for i, word in enumerate(words):
            budget = budgets[i]
            if not budget:
                continue
            others = [w for j, w in enumerate(words) if j != i]
            if not latin:
                frags = self._plain_fragments(word.replace("ё", "е"), budget)
                plain_others = [w.replace("ё", "е") for w in others]
                for f in frags:
                    self._add(self._other, f, TYPO, (), plain_others)
                continue
            cost, frags = self._fragments(word, budget)
            exact = [f" {w} " for w in others]
            if exact and sum(self._word_cost(w) for w in others) < cost:
                # Scan for the exact words; the typo'd one is then the token at its offset.
                for j, w in enumerate(words):
                    if j != i:
                        self._add(self._latin, f" {w} ", TYPO, (), (), verify=i - j, words=(word,))
            else:
                self._use(frags)
                for f in frags:
                    self._add(self._latin, f, TYPO, (), exact, verify=0, words=(word,))

    def build(self) -> None:
        self._rare = {w: forms for w, forms in self._rare.items() if self._word_cost(w) == 1.0}
        self._latin_auto = self._automaton(self._latin)
        self._other_auto = self._automaton(self._other)
        self._memo.clear()
        self._cost_memo.clear()
        self._chosen.clear()

    @staticmethod
    def _automaton(table: dict[str, set[_Entry]]) -> Any:
        if not table:
            return None
        auto = ahocorasick.Automaton()
        for trigger, entries in table.items():
            # An unconditional entry makes the others of its flag and verification redundant;
            # entries needing any one of several strings merge into one.
            free = {(e[0], e[3]) for e in entries if not e[1] and not e[2]}
            kept: set[_Entry] = set()
            anys: dict[tuple[int, int], tuple[set[str], set[str]]] = {}
            for e in entries:
                if not e[1]:
                    # A redundant entry's words still count: the merged entry is confirmed
                    # by a token near one of them (dropping them lost typos of its words).
                    strs, words = anys.setdefault((e[0], e[3]), (set(), set()))
                    strs.update(e[2])
                    words.update(e[4])
                else:
                    kept.add(e)
            for (flag, verify), (strs, words) in anys.items():
                any_of = () if (flag, verify) in free else tuple(sorted(strs))
                kept.add((flag, (), any_of, verify, frozenset(words)))
            auto.add_word(trigger, _groups(kept))
        auto.make_automaton()
        return auto

    # -- scanning

    def scan(self, text: str) -> int:
        """EXACT | TYPO bits: which kinds of match the text may hold (0: certainly none)."""
        if self.always:
            return EXACT | TYPO
        flags = 0
        if self._latin_auto is not None:
            flags = self._check(self._latin_auto, latin_form(text), flags)
        if self._other_auto is not None and not text.isascii():
            flags = self._check(self._other_auto, other_form(text), flags)
        return flags

    def _check(self, auto: Any, form: str, flags: int) -> int:
        near_cache = self._near_cache
        rare = self._rare
        for end, groups in auto.iter(form):
            for flag, verify, union, entries in groups:
                if flags & flag:
                    continue
                if verify == 0:
                    # The hit's own token (inline: the common case), checked once for the group.
                    if form[end] == " ":
                        tok = form[form.rfind(" ", 0, end - 1) + 1 : end]
                    else:
                        tok = form[form.rfind(" ", 0, end) + 1 : form.find(" ", end)]
                    others = rare.get(tok)
                    if others is not None and any(all(w in form for w in o) for o in others):
                        # A term form is there (its rare word is also a fragment trigger): the
                        # matcher will run, no need to confirm fragments one by one.
                        return EXACT | TYPO
                    near = near_cache.get(tok)
                    if near is None:
                        near = self._near_token(form, end, 0)
                    if union.isdisjoint(near):
                        continue
                elif verify != NO_VERIFY:
                    near = self._near_token(form, end, verify)
                    if union.isdisjoint(near):
                        continue
                for _flag, all_of, any_of, _verify, words in entries:
                    if all_of:
                        for w in all_of:
                            if w not in form:
                                break
                        else:
                            all_of = ()
                        if all_of:
                            continue
                    if verify != NO_VERIFY and words.isdisjoint(near):
                        continue
                    if any_of:
                        for w in any_of:
                            if w in form:
                                break
                        else:
                            continue
                    flags |= flag
                    if flags & EXACT:
                        # A term is there: the matcher runs anyway, and its typo search is
                        # cheaper than confirming the remaining fragments one by one.
                        return EXACT | TYPO
                    break
        return flags

    def _near_token(self, form: str, end: int, offset: int) -> frozenset[str]:
        """Whether the token `offset` tokens away from the one at `end` is near a term word."""
        if form[end] == " ":
            end -= 1
        lo = form.rfind(" ", 0, end) + 1
        hi = form.find(" ", end)
        while offset > 0:
            lo = hi
            while lo < len(form) and form[lo] == " ":
                lo += 1
            if lo >= len(form):
                return frozenset()
            hi = form.find(" ", lo)
            offset -= 1
        while offset < 0:
            hi = lo - 1
            while hi > 0 and form[hi - 1] == " ":
                hi -= 1
            if hi <= 0:
                return frozenset()
            lo = form.rfind(" ", 0, hi) + 1
            offset += 1
        tok = form[lo:hi]
        hit = self._near_cache.get(tok)
        if hit is None:
            if len(self._near_cache) > _CACHE_LIMIT // 4:
                self._near_cache.clear()
            hit = self._near_cache[tok] = self.near(tok)
        return hit


@dataclass(frozen=True)
class TermRef:
    """One term of one watch (owner is the watch's index in the matcher)."""

    owner: int
    kind: TermKind
    term: str

    def match(self, how: str = "exact") -> Match:
        """The Match this term makes (built once per term and kind of match)."""
        return _match(self.term, self.kind, how)


@lru_cache(maxsize=65_536)
def _match(term: str, kind: str, how: str) -> Match:
    return Match.model_construct(term=term, kind=kind, how=how)


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
    # The most frequent of them (the prefilter's statistics of how often a fragment occurs);
    # empty: common_words itself.
    frequent_words: frozenset[str] = frozenset()
    _automaton: ahocorasick.Automaton = field(default_factory=ahocorasick.Automaton)
    _cjk_automaton: ahocorasick.Automaton = field(default_factory=ahocorasick.Automaton)
    _patterns: dict[str, list[TermRef]] = field(default_factory=dict)
    _typo_forms: list[_TypoForm] = field(default_factory=list)
    _word_index: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # word -> (form, pos)
    _deletion_index: dict[str, set[str]] = field(default_factory=dict)
    _word_budget: dict[str, int] = field(default_factory=dict)  # typos each term word tolerates
    _near: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)
    _clean: set[str] = field(default_factory=set)
    _typo_tokens: set[str] = field(default_factory=set)  # tokens of _near with a distance > 0
    _form_words: list[frozenset[str]] = field(default_factory=list)  # per typo form, its words
    _near_info: dict[str, tuple[tuple[int, ...], tuple[str, ...]]] = field(default_factory=dict)
    _cjk_seeds: tuple[str, ...] = ()
    _longest_typo_word: int = 0  # a longer token (by more than 2) is near no term word
    prefilter: Prefilter | None = None
    _built: bool = False

    def add(self, owner: int, kind: TermKind, term: str) -> None:
        ref = TermRef(owner, kind, term)
        forms = term_forms(term, kind)
        plurals: list[str] = []
        if kind in TYPO_KINDS:
            # "my two Acme Drives died": the plural of a brand, product or trademark names it
            # exactly. A one-word term gets it only when it is plainly a made-up name (CamelCase
            # or with a digit: "VaultSync", "X200"): the plural of a plain word ("Slack": "new
            # slacks") would mostly name something else.
            coined = _coined(term)
            for form in forms:
                plural = plural_form(form)
                if plural and plural not in forms and coined and plural not in self.common_words:
                    plurals.append(plural)
        for plural in plurals:
            refs = self._patterns.setdefault(_pattern(plural), [])
            if ref not in refs:
                refs.append(ref)
        for form in forms:
            refs = self._patterns.setdefault(_pattern(form), [])
            if ref not in refs:
                refs.append(ref)
            if kind in TYPO_KINDS and owner in self.typo_owners and not has_cjk(form):
                words = tuple(form.split())
                budget = typo_budget(form.replace(" ", ""))
                if not budget:
                    continue
                for word in words:
                    # A word of 4 letters has no typo of its own, but inside a longer term it
                    # has one ("Acmee Cloud": the term has 9 letters; "cloud" must then be exact).
                    own = typo_budget(word) or (
                        1 if len(words) > 1 and len(word) == 4 and word.isalpha() else 0
                    )
                    self._word_budget[word] = max(self._word_budget.get(word, 0), own)
                if any(self._word_budget[w] for w in words):
                    self._typo_forms.append(_TypoForm(ref, words, budget))

    def build(self) -> Matcher:
        for pattern, refs in self._patterns.items():
            # (owner, key, exact Match) per term: the scan loop does no attribute or cache work.
            self._automaton.add_word(pattern, tuple((r.owner, (r.kind, r.term), r.match()) for r in refs))
        if self._patterns:
            self._automaton.make_automaton()
        exact_words: set[str] = set()
        self._form_words = [frozenset(tf.words) for tf in self._typo_forms]
        for i, tf in enumerate(self._typo_forms):
            for pos, word in enumerate(tf.words):
                self._word_index.setdefault(word, []).append((i, pos))
                exact_words.add(word)
        for word in exact_words:
            depth = self._word_budget.get(word, 0)
            if depth:
                self._longest_typo_word = max(self._longest_typo_word, len(word))
                for d in _deletes(word, depth):
                    self._deletion_index.setdefault(d, set()).add(word)
        cjk: list[str] = []
        for pattern, refs in self._patterns.items():
            if has_cjk(pattern):
                cjk.append(pattern.replace(" ", ""))
                self._cjk_automaton.add_word(pattern.replace(" ", ""), tuple(refs))
        self._cjk_seeds = tuple(cjk)
        if cjk:
            self._cjk_automaton.make_automaton()
        self.prefilter = Prefilter(self.frequent_words or self.common_words)
        for pattern in self._patterns:
            self.prefilter.add_exact(pattern.split() if not has_cjk(pattern) else [pattern.replace(" ", "")])
        for tf in self._typo_forms:
            self.prefilter.add_typo(tf.words, tuple(self._word_budget[w] for w in tf.words))
        self.prefilter.near = lambda tok: frozenset(w for w, d in self._near_words(tok) if d)
        self.prefilter.build()
        self._built = True
        return self

    def coined_words(self, min_length: int = 6) -> list[str]:
        """One-word Latin forms of made-up names: glued multi-word terms ("acmecloud") and
        CamelCase or numbered one-word terms ("vaultsync"), of `min_length`+ letters. Unlike
        plain words ("notion"), these rarely sit inside other words."""
        out = []
        for pattern, refs in self._patterns.items():
            word = pattern.strip()
            plain = pattern.startswith(" ") and word.isascii() and " " not in word
            if plain and len(word) >= min_length and any(_coined(ref.term) for ref in refs):
                out.append(word)
        return out

    def _is_common(self, token: str) -> bool:
        """A frequent word or its plural ("stripes", "notions", "slacks"): never a typo."""
        common = self.common_words
        if token in common:
            return True
        return token[-1] == "s" and (token[:-1] in common or (token[-2:] == "es" and token[:-2] in common))

    def _near_words(self, token: str) -> tuple[tuple[str, int], ...]:
        """Term words this text token is (word, distance) — 0 for the word itself."""
        out: list[tuple[str, int]] = []
        if token in self._word_index:
            out.append((token, 0))
        if (
            4 <= len(token) <= self._longest_typo_word + 2
            and not token.isdigit()
            and not self._is_common(token)
        ):
            # (The deletions of a token grow with the cube of its length: one 20,000-letter
            # "word" took seconds. A typo is at most 2 letters longer than its word.)
            depth = 2 if len(token) >= 7 else 1
            seen: set[str] = set()
            for d in _deletes(token, depth):
                for word in self._deletion_index.get(d, ()):
                    if word in seen or word == token or word[0] != token[0]:
                        continue
                    seen.add(word)
                    budget = self._word_budget[word]
                    if (
                        len(word) == 4
                        and len(token) == 4
                        and sorted(token) != sorted(word)
                        and not _sound_alike(token, word)
                    ):
                        # A letter changed in a 4-letter word mostly makes another word ("acme":
                        # "acne", "acre"): only a letter added, two swapped, or one written as
                        # it sounds ("akme") count there.
                        continue
                    if (
                        len(word) <= 6
                        and word[-1] in "aeiou"
                        and len(token) == len(word)
                        and token[:-1] == word[:-1]
                    ):
                        # Only the final vowel of a short name changed: mostly another word or
                        # an inflection ("sonoro" of Sonora, "brume" of Brumo, "corvid" of
                        # Corvia, "kettle" of Kettlo), rarely a slip ("Dashli" of Dashly stays).
                        continue
                    dist = edit_distance(token, word, budget)
                    if dist <= budget:
                        out.append((word, dist))
        return tuple(out)

    def find(self, norm: str, typos: bool = True) -> dict[int, dict[tuple[TermKind, str], Match]]:
        """Matches in a normalised text, per owner, one per (kind, term), exact before typo.

        `typos=False` skips the typo search (when the prefilter ruled typos out)."""
        found: dict[int, dict[tuple[TermKind, str], Match]] = {}
        if self._patterns:
            for _end, hits in self._automaton.iter(norm):
                for owner, key, match in hits:
                    found.setdefault(owner, {})[key] = match
        if self._cjk_seeds and " " in norm.strip() and has_cjk(norm):
            # Japanese writes "アクメ・クラウド" for "アクメクラウド": CJK terms also match across spaces.
            for _end, refs in self._cjk_automaton.iter(norm.replace(" ", "")):
                for ref in refs:
                    key = (ref.kind, ref.term)
                    if key not in found.get(ref.owner, {}):
                        found.setdefault(ref.owner, {})[key] = ref.match()
        if typos and self._typo_forms:
            self._find_typos(norm, found)
        return found

    def _find_typos(self, norm: str, found: dict[int, dict[tuple[TermKind, str], Match]]) -> None:
        tokens = norm.split()
        novel = set(tokens) - self._clean
        if not novel:
            return
        cache = self._near
        unknown = novel.difference(cache)
        if unknown:
            if len(cache) + len(self._clean) + len(unknown) > _CACHE_LIMIT:
                cache.clear()
                self._clean.clear()
                self._typo_tokens.clear()
                self._near_info.clear()
                unknown = set(novel)
            for tok in unknown:
                if tok.isdigit() and tok not in self._word_index:
                    # A number that is no term word is near none either. Not cached as clean:
                    # numbers (serials, prices, dates) rarely recur, and the clean set stays
                    # small (and fast) with the words that do.
                    novel.discard(tok)
                    continue
                hit = self._near_words(tok)
                if hit:
                    cache[tok] = hit
                    if any(dist for _w, dist in hit):
                        self._typo_tokens.add(tok)
                else:
                    self._clean.add(tok)
            novel.difference_update(self._clean)
        # Only a token near a term word (not the word itself) can make a typo match.
        if self._typo_tokens.isdisjoint(novel):
            return
        near = {tok: cache[tok] for tok in novel}
        # Candidate forms: those with a typo'd word in this text (per token, in the order of
        # its hits and their forms: the set is built in the same order as ever).
        candidates: set[int] = set()
        near_words: set[str] = set()
        info = self._near_info
        for tok in near:
            forms, words = info.get(tok) or self._info_of(tok)
            candidates.update(forms)
            near_words.update(words)
        form_words = self._form_words
        starts: list[int] | None = None
        for fi in candidates:
            # All the form's words must be near a token here (one set test).
            if not form_words[fi] <= near_words:
                continue
            tf = self._typo_forms[fi]
            have = found.get(tf.ref.owner)
            if have and (tf.ref.kind, tf.ref.term) in have:
                continue
            if starts is None:
                # Where a form can start: a token near (or equal to) a term word.
                starts = list(compress(range(len(tokens)), map(near.__contains__, tokens)))
            if self._form_at(tf, tokens, near, starts):
                found.setdefault(tf.ref.owner, {})[(tf.ref.kind, tf.ref.term)] = tf.ref.match("typo")

    def _info_of(self, tok: str) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """(forms with a word this token is a typo of, the term words it is near) of a token of
        _near, computed once."""
        hits = self._near[tok]
        forms = tuple(fi for word, dist in hits if dist for fi, _pos in self._word_index[word])
        got = self._near_info[tok] = (forms, tuple(word for word, _dist in hits))
        return got

    @staticmethod
    def _form_at(
        tf: _TypoForm, tokens: list[str], near: dict[str, tuple[tuple[str, int], ...]], starts: list[int]
    ) -> bool:
        n = len(tf.words)
        last = len(tokens) - n
        for start in starts:
            if start > last:
                break
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
    frequent_words: frozenset[str] = frozenset(),
) -> Matcher:
    """A matcher over (owner, kind, term) entries; owners in typo_owners also match typos."""
    matcher = Matcher(
        typo_owners=frozenset(typo_owners), common_words=common_words, frequent_words=frequent_words
    )
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
