"""Sentiment of a mention: positive, neutral or negative, with a score in [-1, 1].

The default backend ("lexicon") runs inside the Lambda: per-language valence lexicons shipped in
harken/data/sentiment/ (English builds on the VADER lexicon, MIT), with the rules that matter
in complaints and praise: negation flips and damps a word ("not good", "nicht gut", "не работает",
"良くない"), intensifiers and diminishers scale it, a contrast ("but", "aber", "pero", "mais",
"но", "けど") weights the second clause, exclamation marks and ALL CAPS amplify, emoji and
emoticons count, and sarcasm markers ("yeah right", "/s", 🙄) turn apparent praise negative.

The "comprehend" backend calls Amazon Comprehend through a client the caller passes in, for the
languages Comprehend supports, and falls back to the lexicon for the others (Russian).
"""

from __future__ import annotations

import math
import re
from functools import lru_cache
from importlib import resources
from itertools import compress
from pathlib import Path
from typing import Any, Protocol

from harken.models import Sentiment
from harken.normalize import PUNCTUATION, fold, has_leads, keep_bytes, words


def _frozen(text: str) -> frozenset[str]:
    return frozenset(_words(text))


def _words(text: str) -> list[str]:
    return text.split()


LANGUAGES: tuple[str, ...] = ("en", "ja", "ru", "de", "es", "fr")
_ALPHA = 15.0  # VADER's normalisation constant
_NEG_SCALAR = -0.74
_BOOST = 0.293
_POSITIVE_AT = 0.05
_NEGATIVE_AT = -0.05

_NEGATORS: dict[str, frozenset[str]] = {
    "en": frozenset(
        _words(
            "not no never none nothing nobody nowhere neither nor cannot cant dont doesnt didnt isnt arent "
            "wasnt werent wont wouldnt shouldnt couldnt hasnt havent hadnt aint without barely hardly"
        )
    ),
    "de": frozenset(_words("nicht kein keine keinen keinem keiner nie niemals nichts ohne kaum")),
    "es": frozenset(_words("no nunca jamas ni tampoco nada sin nadie ningun ninguna ninguno")),
    "fr": frozenset(_words("ne pas jamais rien aucun aucune sans ni guere")),
    "ru": frozenset(_words("не нет ни никогда ничего без нельзя")),
}
# Negators whose reach is a whole verb phrase ("never had a single problem", "nunca he tenido
# un problema", "nobody at reception could help"): four words instead of three.
_LONG_NEGATORS = frozenset(
    _words("never nobody nunca jamas nadie jamais personne nie niemals niemand никогда никто")
)
# "can't not recommend", "не могу не порекомендовать": two negations around a modal cancel out.
_MODALS = frozenset(_words("can could могу можно puedo peux kann"))
# "I wouldn't say it's great", "can't call it good": the opinion a few words on is negated.
_NEG_FRAMES = frozenset(_words("say call"))
# A sentence that asks for a recommendation without a question mark ("Busco la mejor copia
# de seguridad", "Looking for the best backup"): its positive words ask, they do not praise.
_REQUEST_OPENERS = frozenset(_words("busco looking cherche suche ищу посоветуйте подскажите"))
_BOOSTERS: dict[str, dict[str, float]] = {
    "en": dict.fromkeys(
        _words(
            "very really extremely so too totally absolutely completely incredibly super truly utterly "
            "seriously insanely highly hugely most"
        ),
        _BOOST,
    )
    | dict.fromkeys(_words("slightly somewhat barely kinda marginally"), -_BOOST),
    "de": dict.fromkeys(
        _words("sehr wirklich total extrem absolut echt voll richtig unglaublich komplett so zu"), _BOOST
    )
    | dict.fromkeys(_words("etwas bisschen ziemlich leicht"), -_BOOST),
    "es": dict.fromkeys(_words("muy realmente super tan totalmente absolutamente demasiado bastante"), _BOOST)
    | dict.fromkeys(_words("poco algo ligeramente"), -_BOOST),
    "fr": dict.fromkeys(
        _words("tres vraiment trop super tellement totalement absolument completement si"), _BOOST
    )
    | dict.fromkeys(_words("peu legerement assez plutot"), -_BOOST),
    "ru": dict.fromkeys(
        _words("очень реально совсем крайне абсолютно слишком так просто вообще жутко"), _BOOST
    )
    | dict.fromkeys(_words("немного слегка чуть"), -_BOOST),
}
_CONTRAST: dict[str, frozenset[str]] = {
    "en": frozenset({"but", "however", "though", "although"}),
    "de": frozenset({"aber", "jedoch", "allerdings", "trotzdem"}),
    "es": frozenset({"pero", "aunque", "sin embargo"}),
    "fr": frozenset({"mais", "pourtant", "cependant"}),
    "ru": frozenset({"но", "однако", "зато"}),
}
_SARCASM = re.compile(
    r"(?:^|\W)(?:yeah,? right|oh,? great|just great|thanks a lot|thanks for nothing|what a surprise|"
    r"slow clap|love that for (?:me|us)|/s\b|na toll|ganz toll(?=\s*(?:[.!…,]|$))|vielen dank auch|klar doch|warum auch nicht|"
    r"zahlen ja gern|ach wie sch[oö]n|danke f[uü]r nichts|(?:five|5) stars?\b.{0,60}\bif you (?:enjoy|like|love)|"
    r"nothing says [\w ]{1,30} like|danke auch\b|genau (?:das,? was ich wollte|so wollte ich)|g[oö]nnt sich ja sonst nichts|"
    r"s[ií], claro|gracias por nada|qu[eé] maravilla|"
    r"merci du cadeau|bravo,? vraiment|c['’]est le pompon|"
    r"ну спасибо|ага,? конечно|спасибо,? блин|ну супер|"
    r"さすがです|ありがとうございますね|笑えない)|[(（]皮肉[)）]"
    r"|🙄|😒|🙃",
    re.IGNORECASE,
)
_EMOJI = re.compile(
    r"[\U0001F300-\U0001FAFF\u2600-\u27BF\u2B50\u2764]|"
    r"(?<![\w/])(?:[:;=]-?[)(DPp/\\|]|<3|:'\()(?!\w)|\(\s*笑\s*\)|（笑）|w{3,}|草"
)
_EMOTICON = re.compile(r"[:;=<](?:(?<![\w/][:;=<])(?:(?<=[:;=])-?[)(DPp/\\|]|(?<=<)3|(?<=:)'\()(?!\w))")
_EMOJI_VALENCE: dict[str, float] = {
    "😀": 2,
    "😃": 2,
    "😄": 2.2,
    "😁": 2,
    "😆": 2,
    "😊": 2.2,
    "🙂": 1.2,
    "😍": 3,
    "🥰": 3,
    "😘": 2,
    "🤩": 3,
    "👍": 2,
    "👏": 2.2,
    "🙌": 2.2,
    "💯": 2,
    "🔥": 1.2,
    "❤": 2.8,
    "💖": 2.8,
    "💙": 2.5,
    "✨": 1,
    "🎉": 2.2,
    "🥳": 2.5,
    "😎": 1.5,
    "🚀": 1.5,
    "⭐": 1.5,
    "✅": 1,
    "🤝": 1.5,
    "😂": 1,
    "🤣": 1,
    "😅": 0.3,
    "😉": 1,
    "😞": -2,
    "😔": -2,
    "😟": -2,
    "😢": -2.3,
    "😭": -2.5,
    "😡": -3,
    "😠": -2.8,
    "🤬": -3.2,
    "😤": -2.2,
    "👎": -2.3,
    "💔": -2.5,
    "😩": -2.3,
    "😫": -2.3,
    "🤦": -2,
    "😖": -2,
    "😣": -2,
    "😰": -2,
    "😱": -2,
    "🙄": -1.5,
    "😒": -1.8,
    "🤮": -3,
    "💩": -2.5,
    "⚠": -0.5,
    "❌": -1.5,
    ":)": 1.8,
    ":-)": 1.8,
    ":d": 2.2,
    ":-d": 2.2,
    ";)": 1.2,
    ";-)": 1.2,
    ":p": 1,
    "=)": 1.8,
    "<3": 2.5,
    ":(": -2,
    ":-(": -2,
    ":'(": -2.3,
    ":/": -1,
    ":-/": -1,
    ":\\": -1,
    ":|": -0.5,
    "=(": -2,
    "(笑)": 0.5,
    "（笑）": 0.5,
    "www": 0.8,
    "草": 0.8,
}
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# Japanese: a negative auxiliary right after a lexicon hit flips it ("良くない", "便利じゃない").
_JA_NEGATION = re.compile(r"^.{0,2}?(?:ない|なかった|なく|ません|ず|じゃない|ではない)")
_JA_BOOSTERS = (
    "とても",
    "すごく",
    "凄く",
    "本当に",
    "ほんとに",
    "めちゃくちゃ",
    "めっちゃ",
    "超",
    "かなり",
    "マジで",
)
_JA_BOOSTER = re.compile("|".join(map(re.escape, _JA_BOOSTERS)))
_JA_CONTRAST = re.compile(r"けど|けれど|でも|しかし|ですが|だが")


class SentimentBackend(Protocol):
    name: str

    def score(self, text: str, language: str | None) -> Sentiment: ...


def complaint_sentiment(sentiment: Sentiment) -> Sentiment:
    """The sentiment of a complaint whose words carry no opinion: mildly negative."""
    return _sentiment("negative", round(min(sentiment.score, _NEGATIVE_AT - 0.15), 4))


def label_for(score: float) -> str:
    if score >= _POSITIVE_AT:
        return "positive"
    if score <= _NEGATIVE_AT:
        return "negative"
    return "neutral"


def _normalise(total: float) -> float:
    return max(-1.0, min(1.0, total / math.sqrt(total * total + _ALPHA)))


def _data_dir() -> Path:
    return Path(str(resources.files("harken") / "data" / "sentiment"))


def _read_tsv(path: Path) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    """(words, stems, phrases) of one lexicon file."""
    words: dict[str, float] = {}
    stems: dict[str, float] = {}
    phrases: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        term, _, value = line.partition("\t")
        term = fold(term.strip())
        valence = float(value.split("\t")[0])
        if term.endswith("*"):
            stems[term[:-1]] = valence
        elif " " in term:
            phrases[term] = valence
        else:
            words[term] = valence
    return words, stems, phrases


@lru_cache(maxsize=8)
def _lexicon(language: str) -> tuple[dict[str, float], dict[str, float], dict[str, float]]:
    words: dict[str, float] = {}
    if language == "en":
        import vaderSentiment  # the lexicon file ships with the package

        vader = Path(vaderSentiment.__file__).with_name("vader_lexicon.txt")
        for line in vader.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) >= 2:
                words[parts[0]] = float(parts[1])
    path = _data_dir() / f"{language}.tsv"
    own, stems, phrases = _read_tsv(path) if path.exists() else ({}, {}, {})
    words.update(own)
    return words, stems, phrases


@lru_cache(maxsize=1)
def _ja_automaton() -> Any:
    import ahocorasick

    auto = ahocorasick.Automaton()
    words, _stems, phrases = _lexicon("ja")
    for term, valence in {**words, **phrases}.items():
        auto.add_word(term, (len(term), valence))
    auto.make_automaton()
    return auto


def _lookup(token: str, words: dict[str, float], stems: dict[str, float], longest: int = 12) -> float:
    v = words.get(token)
    if v is not None:
        return v
    if stems:
        # Longest stem first, from the longest stem the lexicon has ("unzuverlässig*", 13).
        for n in range(min(len(token), longest), 2, -1):
            v = stems.get(token[:n])
            if v is not None:
                return v
    return 0.0


class _Tables:
    """One language's lexicon ready for a token loop: valences memoised per token (stems are
    tried once per distinct token), phrases indexed by their first word."""

    def __init__(self, language: str) -> None:
        self.words, self.stems, phrases = _lexicon(language)
        self.longest = max(map(len, self.stems), default=0)  # the longest stem, in characters
        self.negators = _NEGATORS.get(language, _NEGATORS["en"])
        self.boosters = _BOOSTERS.get(language, _BOOSTERS["en"])
        self.contrast = _CONTRAST.get(language, _CONTRAST["en"])
        self.phrases: dict[str, list[tuple[tuple[str, ...], float]]] = {}
        for phrase, v in phrases.items():
            parts = tuple(phrase.replace("’", "'").split())
            self.phrases.setdefault(parts[0], []).append((parts, v))
        self.valence: dict[str, float] = {}
        # Per token, what the scoring loop does with it, computed once per distinct token:
        # 0 for nothing (the loop skips it), else (kind, phrases starting with it or None,
        # valence or 0) with kind PUNCT, CONTRAST or WORD.
        self.info: dict[str, Any] = {}
        # Per token that can modify a following word: (negates, booster value or None).
        self.mods: dict[str, tuple[bool, float | None]] = {}

    def value(self, tok: str) -> float:
        v = self.valence.get(tok)
        if v is None:
            if len(self.valence) > 50_000:
                self.valence.clear()
            v = self.valence[tok] = _lookup(tok, self.words, self.stems, self.longest)
        return v

    def codes(self, tokens: list[str]) -> list[Any]:
        """`info` of each token (the new ones computed first)."""
        info = self.info
        codes = list(map(info.get, tokens))
        if None in codes:
            if len(info) > 50_000:
                info.clear()
                self.mods.clear()
            for tok in tokens:
                if tok not in info:
                    info[tok] = self._info(tok)
            codes = list(map(info.__getitem__, tokens))
        return codes

    def _info(self, tok: str) -> Any:
        negates = tok in self.negators or tok.endswith("n't")
        boost = self.boosters.get(tok)
        if negates or boost is not None:
            self.mods[tok] = (negates, boost)
        if tok in PUNCTUATION:
            return (_PUNCT, None, 0.0)
        if tok in self.contrast:
            return (_CONTRAST_WORD, None, 0.0)
        v = self.value(tok)
        if not v or tok in self.negators or tok in self.boosters:
            v = 0.0
        plist = self.phrases.get(tok)
        if plist is None and not v:
            return 0
        return (_WORD_KIND, plist, v)


_PUNCT = 1
_CONTRAST_WORD = 2
_WORD_KIND = 3


@lru_cache(maxsize=8)
def _tables(language: str) -> _Tables:
    return _Tables(language)


def tables_for(language: str) -> _Tables:
    """The lexicon tables of a language (language detection asks them which words they know)."""
    return _tables(language)


# A word of three capitals or more somewhere (a necessary condition for "shouting").
# (Written as one class then {2}: a pattern that opens with a character class is scanned for
# its first character at C speed; "{3}" alone is tried at every position.)
_CAPS = re.compile("[A-ZÀ-ÖØ-ÞА-ЯЁ][A-ZÀ-ÖØ-ÞА-ЯЁ]{2}")
_RAW_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|[,.;:!?¿¡…—–()\"«»“”？！。、，]")
_ENDS = frozenset(".!?…？！。")


def _in_question(tokens: list[str]) -> list[bool]:
    """Per token: whether its sentence ends with a question mark, or opens by asking for a
    recommendation ("Busco la mejor…", "Looking for the best…")."""
    flags = [False] * len(tokens)
    question = False
    for i in range(len(tokens) - 1, -1, -1):
        tok = tokens[i]
        if tok in _ENDS:
            question = tok == "?" or tok == "？"
        flags[i] = question
    start = 0
    for i, tok in enumerate(tokens):
        if tok in _ENDS:
            start = i + 1
        elif tok in _REQUEST_OPENERS and i - start <= 2:
            end = i
            while end < len(tokens) and tokens[end] not in _ENDS:
                flags[end] = True
                end += 1
    return flags


def _score_spaced(text: str, language: str) -> float:
    t = _tables(language)
    tokens = words(text)
    shouting = False
    raw: list[str] = tokens
    if _CAPS.search(text) and not text.isupper():
        raw = _RAW_WORD.findall(text)
        if len(raw) == len(tokens):  # folding changed the word count (rare ligatures): no caps signal
            shouting = any(w.isupper() and len(w) > 2 for w in raw)
    total_before = 0.0
    total_after = 0.0
    total_phrases = 0.0
    after = False
    clause = 0  # negation and boosters do not reach across punctuation
    question = (
        _in_question(tokens)
        if "?" in tokens or "？" in tokens or not _REQUEST_OPENERS.isdisjoint(tokens)
        else None
    )
    codes = t.codes(tokens)
    mods = t.mods
    for i in compress(range(len(tokens)), codes):
        kind, plist, v = codes[i]
        if kind == _PUNCT:
            clause = i + 1
            continue
        if kind == _CONTRAST_WORD:
            after = True
            total_before *= 0.5
            continue
        if plist is not None:
            for parts, pv in plist:
                if tuple(tokens[i : i + len(parts)]) == parts:
                    total_phrases += pv
        if not v:
            continue
        scale = 0.0
        if tokens[i] == "super" and i + 1 < len(tokens) and codes[i + 1] and codes[i + 1][2]:
            # "super ärgerlich", "super lent", "super slow": an intensifier, not praise.
            continue
        if i and tokens[i - 1] == "super":
            scale += _BOOST
        negated = False
        negations = 0
        for back in (1, 2, 3, 4):
            if i - back < clause:
                break
            before = codes[i - back]
            if before and before[0] == _WORD_KIND and before[2]:
                # A negation is spent on the first opinion word after it: "nothing was lost,
                # thanks" negates "lost", not "thanks".
                break
            m = mods.get(tokens[i - back])
            if back == 4:
                if m is not None and m[0] and tokens[i - back] in _LONG_NEGATORS:
                    negated = True
                break
            if m is not None:
                if m[0]:
                    negated = True
                    negations += 1
                b = m[1]
                if b is not None:
                    scale += b if back == 1 else b * (0.95 if back == 2 else 0.9)
        if negations >= 2 and _cancelled(tokens, i, mods):
            negated = False
        elif not negated and language == "en":
            negated = _framed(tokens, i, clause, mods)
        if negated and language == "fr" and "que" in tokens[max(clause, i - 3) : i]:
            # "je ne peux que recommander": ne … que means only, not not.
            negated = False
        # French: "ne ... pas" puts "pas" after the verb ("je n'aime pas").
        if language == "fr" and i + 1 < len(tokens) and tokens[i + 1] in ("pas", "jamais", "plus", "rien"):
            negated = True
        elif negated and language == "en" and _superlative_idiom(tokens, i, v > 0):
            # "can't recommend it enough", "couldn't be happier", "couldn't be worse": the word
            # at its strongest, not its negation.
            negated = False
            scale += _BOOST
        if v > 0:
            v += scale
        else:
            v -= scale
        if shouting and raw[i].isupper() and len(raw[i]) > 1:
            v += 0.733 if v > 0 else -0.733
        if negated:
            v *= _NEG_SCALAR
        if v > 0 and question is not None and question[i]:
            # "Is it any good?", "what's the best...?": a request, not an evaluation.
            v = 0.0
        if after:
            total_after += v
        else:
            total_before += v
    return total_before + total_after * (1.5 if after else 1.0) + total_phrases


def _cancelled(tokens: list[str], i: int, mods: dict[str, tuple[bool, float | None]]) -> bool:
    """Whether the word at `i` follows negation, modal, negation ("can't not recommend",
    "не могу не порекомендовать")."""
    if i < 2 or not _negates(tokens[i - 1], mods):
        return False
    modal = tokens[i - 2]
    if modal in ("can't", "cant", "cannot", "couldn't", "couldnt"):
        return True
    return i >= 3 and modal in _MODALS and _negates(tokens[i - 3], mods)


def _negates(tok: str, mods: dict[str, tuple[bool, float | None]]) -> bool:
    m = mods.get(tok)
    return m is not None and m[0]


def _framed(tokens: list[str], i: int, clause: int, mods: dict[str, tuple[bool, float | None]]) -> bool:
    """Whether "wouldn't say" / "can't call" opens the clause part before the word at `i`
    ("I wouldn't say Acme Cloud is great")."""
    for k in range(i - 1, max(clause, i - 6) - 1, -1):
        if tokens[k] in _NEG_FRAMES:
            return k > clause and _negates(tokens[k - 1], mods)
    return False


_EXHAUSTLESS = frozenset(("recommend", "thank", "praise", "stress"))
_NOT_BEYOND = frozenset(("couldn't", "couldnt", "can't", "cant", "cannot"))


def _superlative_idiom(tokens: list[str], i: int, positive: bool) -> bool:
    """Whether the negated word at `i` is an English idiom of the superlative: "can't recommend
    ... enough" (positive words), "couldn't be happier / better / worse / more pleased"."""
    word = tokens[i]
    if positive and word in _EXHAUSTLESS:
        for tok in tokens[i + 1 : i + 7]:
            if tok == "enough":
                return True
            if tok in PUNCTUATION:
                return False
        return False
    lo = max(0, i - 3)
    before = tokens[lo:i]
    if "be" not in before:
        return False
    at = before.index("be")
    if not (word.endswith("er") or word == "worse" or before[at + 1 :] == ["more"]):
        return False
    negators = before[:at]
    if _NOT_BEYOND.intersection(negators):
        return True
    # "could not be happier"
    if "not" in negators:
        k = lo + negators.index("not")
        return k > 0 and tokens[k - 1] in ("could", "can")
    return False


_JA_SENTENCE_END = re.compile("[。！？!?\n]")


def _score_ja(text: str) -> float:
    folded = fold(text)
    total_before = 0.0
    total_after = 0.0
    m = _JA_CONTRAST.search(folded)
    split_at = m.end() if m else len(folded) + 1
    asks = "？" in folded or "?" in folded or "教えて" in folded
    last_end = -1
    for end, (length, valence) in _ja_automaton().iter(folded):
        start = end - length + 1
        if start <= last_end:  # "遅すぎ" over "遅い": keep the longer, earlier hit only
            continue
        last_end = end
        v = valence
        window = folded[max(0, start - 6) : start]
        if _JA_BOOSTER.search(window):
            v += _BOOST if v > 0 else -_BOOST
        if _JA_NEGATION.match(folded[end + 1 : end + 8]):
            v *= _NEG_SCALAR
        if v > 0 and asks:
            # "どっちがいい？", "おすすめの…を教えてください": a positive word in a question or a
            # request asks, it does not praise.
            stop = _JA_SENTENCE_END.search(folded, end + 1)
            if (stop is not None and stop.group() in "？?") or "教えて" in folded[
                end + 1 : stop.start() if stop else None
            ]:
                v = 0.0
        if start >= split_at:
            total_after += v
        else:
            total_before += v
    if m:
        return total_before * 0.5 + total_after * 1.5
    return total_before


def _extras(text: str, total: float, language: str = "en") -> float:
    """Emoji and emoticons, exclamation marks, sarcasm."""
    plain = text.isascii()
    # Any character from U+2000 on (normalize.has_leads): symbols and dingbats, kana, 笑, 草,
    # emoji. None in most texts, and then no emoji or symbol test runs.
    symbols = not plain and has_leads(text, _SYMBOL_LEADS)
    emoji = symbols and _has_emoji(text)
    if (
        ":" in text
        or ";" in text
        or "=" in text
        or "<" in text
        or (language == "ja" and ("w" in text or "笑" in text or "草" in text))
        or emoji
    ):
        # Outside Japanese, a text without emoji, 笑 or 草 can only hold emoticons (the "www"
        # laugh is skipped below): their own, faster pattern.
        pattern = (
            _EMOTICON
            if language != "ja" and (plain or ("笑" not in text and "草" not in text and not emoji))
            else _EMOJI
        )
        for em in pattern.findall(text):
            if em[0] == "w" and language != "ja":  # "www" laughs in Japanese only (not URLs)
                continue
            total += _EMOJI_VALENCE.get(em.lower(), _EMOJI_VALENCE.get(em[:1], 0.0))
    bangs = min(text.count("!") + text.count("！"), 4)
    if bangs and total:
        total += bangs * 0.292 * (1 if total > 0 else -1)
    if (
        (
            not _SARCASM_CUES.isdisjoint(words(text))
            or "/s" in text
            or (symbols and _SARCASM_SYMBOL.search(text) is not None)
        )
        and _may_be_sarcasm(text, plain)
        and _SARCASM.search(text)
    ) or (language in _VERDICTS and _ironic_verdict(words(text), language)):
        total = -abs(total) * 0.8 - 1.0 if total > 0 else total - 1.0
    return total


# Sarcasm without a marker: stock praise alone in a short clause ("Great job.", "Perfect
# timing.", "Super gemacht.", "Bravo.") right beside a clause that reports damage ("deleted my
# files", "down again", "charged twice"). Folded words. A turn in the story (a contrast word)
# or a fix anywhere ("they restored everything") keeps the praise sincere.
_VERDICTS: dict[str, frozenset[str]] = {
    "en": _frozen(
        "great good nice well brilliant perfect awesome amazing fantastic wonderful lovely excellent "
        "superb outstanding stellar bravo thanks thank impressive genius love"
    ),
    "de": _frozen(
        "toll super klasse prima grossartig grandios spitze perfekt wunderbar genial bravo danke gut "
        "gemacht herzlichen gluckwunsch fantastisch hervorragend sauber"
    ),
    "es": _frozen(
        "genial perfecto estupendo fantastico bravo bien hecho gracias maravilloso excelente increible "
        "fenomenal enhorabuena felicidades"
    ),
    "fr": _frozen(
        "genial parfait bravo bien joue super merci magnifique excellent chapeau felicitations formidable top"
    ),
    "ru": _frozen(
        "отлично супер прекрасно браво молодцы молодец спасибо замечательно класс круто шикарно "
        "великолепно здорово"
    ),
}
_DAMAGE: dict[str, frozenset[str]] = {
    "en": _frozen(
        "deleted wiped erased lost gone vanished disappeared missing down outage outages crashed crashes "
        "broke broken failed fails corrupted charged overcharged double-charged locked banned suspended "
        "ignored leaked hacked stuck offline bricked throttled cancelled canceled wiping deleting erasing "
        "losing removed"
    ),
    "de": _frozen(
        "geloscht verloren weg ausgefallen ausfall abgesturzt absturz gesperrt abgebucht kaputt offline "
        "verschwunden futsch down ignoriert gestrichen storniert"
    ),
    "es": _frozen(
        "borro borrado borrados borradas borraron elimino eliminado eliminados perdi perdido perdidos "
        "caido caida cobraron cobrado bloqueado bloquearon desaparecido desaparecieron roto bloquear"
    ),
    "fr": _frozen(
        "supprime supprimes supprimees efface effaces perdu perdus panne plante bloque debite disparu "
        "disparus hs avale arrete attente annule"
    ),
    "ru": _frozen(
        "удалил удалили удалены удалено стер стерли потерял потеряли потеряны пропали пропал упал "
        "лежит списали заблокировали сломал сломалось сбой пустой пустую пустая опять"
    ),
}
_RESOLVED: dict[str, frozenset[str]] = {
    "en": _frozen(
        "fixed resolved restored recovered solved saved rescued refunded helped ended resumed fixing restoring "
        "recovering refunding rescuing saving refund back"
    ),
    "de": _frozen("behoben repariert wiederhergestellt gerettet gelost erstattet geholfen vorbei erstattung"),
    "es": _frozen(
        "arreglado arreglaron solucionado solucionaron restaurado recuperado recupere salvo "
        "reembolsaron ayudaron termino terminado"
    ),
    "fr": _frozen("repare resolu restaure restaures recupere sauve rembourse aide termine fini"),
    "ru": _frozen("исправили починили восстановили вернули помогли решили спасли закончился закончилось"),
}


# A price rise is damage too: a rise verb and a price noun in one clause ("raised prices
# again", "sube las comisiones", "augmente encore ses frais", "поднял комиссии").
_RISES: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "en": (
        _frozen("raised raises raising hiked hikes doubled"),
        _frozen("price prices pricing fees fee plan"),
    ),
    "de": (
        _frozen("erhoht erhohen erhohte verdoppelt hebt"),
        _frozen("preis preise gebuhren kontofuhrungsgebuhren gebuhr"),
    ),
    "es": (
        _frozen("sube suben subio subieron subir duplico"),
        _frozen("precio precios comisiones comision cuota"),
    ),
    "fr": (_frozen("augmente augmentent augmenter double"), _frozen("prix frais tarifs tarif abonnement")),
    "ru": (
        _frozen("поднял подняли повысил повысили подняла"),
        _frozen("цены цену комиссии комиссию тарифы тариф"),
    ),
}
# "Love how…", "Thanks … for wiping my files": praise whose object is the damage itself.
_LOVE_HOW = re.compile(
    r"\b(?:love|loving) (?:how|that|it when)\b|\bme encanta (?:como|que|cuando)\b|"
    r"\bj'adore (?:comment|quand|que)\b|\bich liebe es\b|\bобожаю,? (?:как|когда)\b"
)
_THANKS_FOR = frozenset(_words("thanks thank gracias danke merci спасибо"))
# What failed to happen, said with a negation: "a burger that never arrived", "nie angekommen".
_FAILED: dict[str, frozenset[str]] = {
    "en": _frozen("arrived arrive came come showed work worked working sync synced load loaded delivered"),
    "de": _frozen("angekommen kam funktioniert geliefert synchronisiert"),
    "es": _frozen("llego llegaron llega funciona funciono sincroniza entregaron"),
    "fr": _frozen("arrive arrivee arrives fonctionne marche livre livree synchronise"),
    "ru": _frozen("пришел пришла пришло привезли доставили работает синхронизирует"),
}
_FOR = frozenset(_words("for por fur pour за dass"))


def _damaging(clause: list[str], language: str) -> bool:
    if not _DAMAGE[language].isdisjoint(clause):
        return True
    rises, prices = _RISES[language]
    return not rises.isdisjoint(clause) and not prices.isdisjoint(clause)


def _ironic_verdict(tokens: list[str], language: str) -> bool:
    """Whether a short clause of nothing but stock praise sits beside a clause that reports
    damage: "Acme Cloud deleted my files. Great job." (see _VERDICTS); or the praise is for the
    damage itself ("Love how they raised prices again", "Thanks for wiping my files")."""
    verdicts = _VERDICTS[language]
    if (
        verdicts.isdisjoint(tokens)
        and _THANKS_FOR.isdisjoint(tokens)
        and not _LOVE_HOW.search(" ".join(tokens))
    ):
        return False
    if not _damaging(tokens, language) and _FAILED[language].isdisjoint(tokens):
        return False
    t = _tables(language)
    if not t.contrast.isdisjoint(tokens) or not _RESOLVED[language].isdisjoint(tokens):
        return False
    if language == "en" and "over" in tokens and _IS_OVER.search(" ".join(tokens)):
        return False  # "the outage is over" (not "lost my files over the weekend")
    clauses: list[list[str]] = [[]]
    for tok in tokens:
        if tok in PUNCTUATION:
            if clauses[-1]:
                clauses.append([])
        else:
            clauses[-1].append(tok)
    if not clauses[-1]:
        clauses.pop()
    for clause in clauses:
        negated = _negated(clause, t.negators)
        # the damage itself, or what failed to happen ("a burger that never arrived")
        if not (negated and not _FAILED[language].isdisjoint(clause)) and (
            negated or not _damaging(clause, language)
        ):
            continue
        if _LOVE_HOW.search(" ".join(clause)):
            return True
        thanks = [k for k, tok in enumerate(clause) if tok in _THANKS_FOR]
        if thanks and not _FOR.isdisjoint(clause[thanks[0] + 1 :]):
            return True  # "thanks Acme for wiping my folder"
    for k, clause in enumerate(clauses):
        if not 1 <= len(clause) <= 5 or verdicts.isdisjoint(clause):
            continue
        # Nothing in it but praise and neutral words ("great job, acme"), and no negation.
        if any(
            tok in t.negators or tok.endswith("n't") or (tok not in verdicts and t.value(tok) != 0.0)
            for tok in clause
        ):
            continue
        for near in clauses[max(0, k - 1) : k] + clauses[k + 1 : k + 2]:
            if _damaging(near, language) and not _negated(near, t.negators):
                return True
    return False


_IS_OVER = re.compile(r"\b(?:is|was|are|were|finally|now|all) over\b")


def _negated(clause: list[str], negators: frozenset[str]) -> bool:
    """Whether a clause says no ("nothing was lost", "rien n'a été perdu", "never lost a file")."""
    return any(tok in negators or tok.endswith("n't") or tok.startswith("n'") for tok in clause)


# Words that open a sarcasm marker (the regex runs only when one is in the text).
_SARCASM_CUES = frozenset(
    [
        "yeah",
        "oh",
        "just",
        "thanks",
        "what",
        "slow",
        "love",
        "na",
        "ganz",
        "vielen",
        "klar",
        "si",
        "gracias",
        "que",
        "merci",
        "bravo",
        "c'est",
        "ну",
        "ага",
        "спасибо",
        "warum",
        "zahlen",
        "ach",
        "danke",
        "five",
        "5",
        "nothing",
        "genau",
        "man",
    ]
)
_SARCASM_SYMBOLS = ("さすが", "ありがとうございますね", "笑えない", "皮肉", "🙄", "😒", "🙃")
_SARCASM_SYMBOL = re.compile("|".join(_SARCASM_SYMBOLS))
_SYMBOL_LEADS = keep_bytes((0xE2, 0xE9), (0xF0, 0xF0))  # U+2000-U+9FFF, U+10000-U+3FFFF
# The characters _has_emoji looks for: U+10000–U+3FFFF (UTF-8 lead byte F0), U+2600–U+27BF, ⭐.
_MAY_BE_EMOJI = re.compile("[\U00010000-\U0003ffff\u2600-\u27bf\u2b50]")
# A literal every match of _SARCASM contains (lower case), per alternative: searched for at C
# speed in the lower-cased text before the (slow) regex runs.
_SARCASM_LITERALS = (
    "yeah",
    "great",
    "thanks a lot",
    "thanks for nothing",
    "what a surprise",
    "slow clap",
    "love that for ",
    "warum auch nicht",
    "zahlen ja gern",
    "wie sch",
    " nichts",
    "if you ",
    "nothing says",
    "danke auch",
    "was ich wollte",
    "so wollte ich",
    "sonst nichts",
    "/s",
    "na toll",
    "ganz toll",
    "vielen dank auch",
    "klar doch",
    ", claro",
    "gracias por nada",
    "maravilla",
    "merci du cadeau",
    "bravo",
    "le pompon",
    "ага",
    "спасибо",
    "ну супер",
    "さすがです",
    "ありがとうございますね",
    "笑えない",
    "皮肉",
    "🙄",
    "😒",
    "🙃",
)
# Characters that IGNORECASE matches to a letter which str.lower() does not give (ſ ~ s,
# İ ~ i, ᲃ ~ с...): a text with one skips the literal test.
_CASE_EXTRAS = re.compile(
    "[\u0130\u0131\u017f\u00b5\u0345\u0390\u03b0\u03d0\u03d1\u03d5\u03d6\u03f0\u03f1\u03f5"
    "\u1c80-\u1c88\u1e9b\u1fbe\u1fd3\u1fe3\ua64b\ufb05\ufb06]"
)


@lru_cache(maxsize=1)
def _sarcasm_literals() -> Any:
    import ahocorasick

    auto = ahocorasick.Automaton()
    for lit in _SARCASM_LITERALS:
        auto.add_word(lit, lit)
    auto.make_automaton()
    return auto


def _may_be_sarcasm(text: str, plain: bool) -> bool:
    """False only when _SARCASM cannot match (none of its literals is in the text)."""
    if not plain and _CASE_EXTRAS.search(text):
        return True
    for _hit in _sarcasm_literals().iter(text.lower()):
        return True
    return False


def _has_emoji(text: str) -> bool:
    """Whether a non-ASCII text may hold an emoji of _EMOJI (astral or U+2600–U+27BF, ⭐)."""
    return _MAY_BE_EMOJI.search(text) is not None


class LexiconBackend:
    """Per-language valence lexicons and rules; no network, a few hundred KB of data."""

    name = "lexicon"

    def score(self, text: str, language: str | None) -> Sentiment:
        if language in _NEGATORS:  # a plain code of a spaced language (the common case)
            lang: str = language  # type: ignore[assignment]
            total = _score_spaced(text, lang)
        else:
            lang = (language or "en").split("-")[0].lower()
            if lang == "ja" or (lang not in _NEGATORS and not text.isascii() and _has_kana_or_han(text)):
                total = _score_ja(text)
                lang = "ja"
            else:
                lang = lang if lang in LANGUAGES else "en"
                total = _score_spaced(text, lang)
        total = _extras(text, total, lang)
        score = round(_normalise(total), 4)
        # A label of label_for and a score in [-1, 1]: valid by construction, skip validation.
        return _sentiment(label_for(score), score)


_SENTIMENT_FIELDS = frozenset(Sentiment.model_fields)


def _sentiment(label: str, score: float) -> Sentiment:
    """`Sentiment.model_construct(label=label, score=score)` without its per-call bookkeeping."""
    obj = object.__new__(Sentiment)
    object.__setattr__(obj, "__dict__", {"label": label, "score": score})
    object.__setattr__(obj, "__pydantic_fields_set__", set(_SENTIMENT_FIELDS))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


_KANA_HAN = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _has_kana_or_han(text: str) -> bool:
    return _KANA_HAN.search(text) is not None


class ComprehendBackend:
    """Amazon Comprehend DetectSentiment through a client the caller builds (boto3 "comprehend").

    Languages Comprehend does not support (Russian, among the six) use the fallback backend.
    """

    name = "comprehend"
    SUPPORTED: frozenset[str] = frozenset(
        {"en", "es", "fr", "de", "it", "pt", "ar", "hi", "ja", "ko", "zh", "zh-TW"}
    )
    _MAX_BYTES = 4900  # the API takes at most 5,000 bytes of UTF-8

    def __init__(self, client: Any, fallback: SentimentBackend | None = None) -> None:
        if client is None:
            raise ValueError("the comprehend sentiment backend needs a boto3 comprehend client")
        self.client = client
        self.fallback = fallback or LexiconBackend()

    def score(self, text: str, language: str | None) -> Sentiment:
        lang = (language or "en").split("-")[0].lower()
        if lang not in self.SUPPORTED or not text.strip():
            return self.fallback.score(text, language)
        body = text.encode("utf-8")[: self._MAX_BYTES].decode("utf-8", "ignore")
        resp = self.client.detect_sentiment(Text=body, LanguageCode=lang)
        scores = resp.get("SentimentScore", {})
        score = round(max(-1.0, min(1.0, scores.get("Positive", 0.0) - scores.get("Negative", 0.0))), 4)
        label = {"POSITIVE": "positive", "NEGATIVE": "negative"}.get(resp.get("Sentiment", ""), "neutral")
        return Sentiment(label=label, score=score)  # type: ignore[arg-type]


def get_backend(name: str = "lexicon", client: Any = None) -> SentimentBackend:
    """The sentiment backend called `name`: "lexicon" (default, in-process) or "comprehend"."""
    if name == "lexicon":
        return _default_backend()
    if name == "comprehend":
        return ComprehendBackend(client)
    raise ValueError(f"unknown sentiment backend {name!r} (expected 'lexicon' or 'comprehend')")


@lru_cache(maxsize=1)
def _default_backend() -> LexiconBackend:
    return LexiconBackend()


def score(text: str, language: str | None = None) -> Sentiment:
    """Sentiment of a text with the default backend."""
    return _default_backend().score(text, language)
