"""Language of an item the source did not label.

Script first (kana -> ja, hangul -> ko, Cyrillic -> ru/uk, Greek, Arabic, Hebrew, Thai, Han
without kana -> zh), then, for Latin script, a vote of frequent function words and letters
peculiar to one language (en, de, es, fr, pt, it, nl). Pure Python, no model file, microseconds
per item; good on the sentences people post, unsure (None) on text with no words.
"""

from __future__ import annotations

import re
from functools import lru_cache

from harken.normalize import BEYOND_LATIN1_LEADS, fold, keep_bytes, words


def _words(text: str) -> list[str]:
    return text.split()


_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        _words(
            "the and is are was were to of in for on with that this it its my your our i you we they "
            "have has had not but what which who how why when can could should would will do does did "
            "any anyone just be been from at an or so if about there their me than them a as all by "
            "more only really never very get got out up after again because some still then too now no "
            "nothing everything something"
        )
    ),
    "de": frozenset(
        _words(
            "der die das und ist sind war nicht ein eine einen einem mit für auf ich du wir sie es "
            "zu den dem des von bei nach auch aber wie was wer warum welche welcher hat haben kann "
            "mein meine noch schon sehr über nur wenn oder dass ob jemand gibt uns euch"
        )
    ),
    "es": frozenset(
        _words(
            "el la los las y es son fue no un una con para por que de del en mi mis tu su sus "
            "pero como cómo qué cuál cual cuales alguien hay muy esta está este estoy lo le se al ya me nos porque "
            "donde cuando tengo tiene tienen"
        )
    ),
    "fr": frozenset(
        _words(
            "le la les et est sont était ne pas très un une des avec pour sur que qui de du en mon ma "
            "mes ton votre vos nous vous il elle ils je tu mais comment quel quelle quelqu'un au "
            "aux ce cette c'est j'ai dans plus où a ses sans son sa ces leur leurs"
        )
    ),
    "pt": frozenset(_words("o os as e é não um uma com para por que do da em meu minha você mas como isso")),
    "it": frozenset(
        _words("il lo gli e è non un una con per che di del della in mio mia ma come questo sono")
    ),
    "nl": frozenset(_words("de het een en is zijn niet met voor op dat van in mijn maar hoe wat ik je")),
}
_MARKERS: dict[str, str] = {
    "ß": "de",
    "ä": "de",
    "ö": "de",
    "ü": "de",
    "ñ": "es",
    "¿": "es",
    "¡": "es",
    "á": "es",
    "í": "es",
    "ó": "es",
    "ú": "es",
    "ç": "fr",
    "œ": "fr",
    "è": "fr",
    "ê": "fr",
    "à": "fr",
    "ù": "fr",
    "î": "fr",
    "ô": "fr",
    "û": "fr",
    "ã": "pt",
    "õ": "pt",
}
_MARKER_CHARS = re.compile("[" + "".join(_MARKERS) + "]")
_TOKEN = re.compile(r"[a-zà-ÿœß']+")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_UKRAINIAN = re.compile(r"[іїєґ]")
_LATIN = re.compile(r"[a-z]")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_LATIN_RUN = re.compile(r"[a-z]+")
_CYRILLIC_RUN = re.compile(r"[\u0400-\u04ff]+")
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_BEYOND_LATIN1 = re.compile(r"[^\x00-\xff]")
_OTHER_SCRIPTS = (
    (re.compile(r"[\u0370-\u03ff]"), "el"),
    (re.compile(r"[\u0600-\u06ff]"), "ar"),
    (re.compile(r"[\u0590-\u05ff]"), "he"),
    (re.compile(r"[\u0e00-\u0e7f]"), "th"),
)


@lru_cache(maxsize=1)
def _stopword_index() -> dict[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for lang, stopwords in _STOPWORDS.items():
        for word in stopwords:
            folded = fold(word)
            if lang not in index.setdefault(folded, []):
                index[folded].append(lang)
    return {w: tuple(langs) for w, langs in index.items()}


def primary(language: str | None) -> str | None:
    """ "en-US" -> "en"; blank -> None."""
    if not language:
        return None
    code = language.strip().replace("_", "-").split("-")[0].lower()
    return code or None


def detect(text: str, default: str = "en") -> str | None:
    """ISO 639-1 code of the text's language, or None when there is nothing to tell it by (no
    letters); `default` for Latin letters that no word or character gives away ("Acme Cloud 👍")."""
    if len(text) > 2000:
        text = text[:2000]
    plain = text.isascii()
    if not plain:
        sample = text.lower()
        script = _script(sample)
        if script is not False:
            return script if isinstance(script, str) else None
    elif not _ASCII_LETTER.search(text):
        return None
    votes: dict[str, float] = {}
    tokens = words(text)
    # Only the stopword hits are visited (filtered at C speed), in text order.
    for langs in filter(None, map(_stopword_index().get, tokens)):
        for lang in langs:
            votes[lang] = votes.get(lang, 0.0) + 1.0
    if "'" in text or "’" in text:
        # French elisions ("j'adore", "m'a", "qu'il") are French words of their own.
        for tok in tokens:
            if "'" in tok and tok.partition("'")[0] in _ELISIONS:
                votes["fr"] = votes.get("fr", 0.0) + 1.0
    if not plain:
        # In a fixed order (set order varied with the hash seed, and so did ties).
        for ch in sorted(set(_MARKER_CHARS.findall(sample))):
            lang = _MARKERS[ch]
            votes[lang] = votes.get(lang, 0.0) + 1.5
    if len(votes) == 1:
        return next(iter(votes))
    ranked = sorted(votes.items(), key=lambda kv: (kv[1], kv[0] == "en"), reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        # Nothing, or a tie ("Me encanta Acme Cloud": "me" is English and Spanish): the words
        # of the sentiment lexicons of the other languages decide.
        lexical = _lexicon_votes(
            tokens, [lang for lang, v in ranked if v == ranked[0][1]] if ranked else None
        )
        if lexical:
            return lexical
    return ranked[0][0] if ranked else default


# Elided articles and pronouns that open a French word ("l'", "qu'").
_ELISIONS = frozenset(("j", "m", "l", "d", "c", "qu", "n", "s", "t", "jusqu", "lorsqu", "puisqu"))


def _lexicon_votes(tokens: list[str], among: list[str] | None) -> str | None:
    """The language (of `among`, or any but English when None) whose sentiment lexicon holds the
    most of these words, when exactly one does best."""
    from harken.sentiment import tables_for

    counts: dict[str, int] = {}
    for lang in among or ("de", "es", "fr"):
        if lang in ("de", "es", "fr"):
            value = tables_for(lang).value
            counts[lang] = sum(1 for tok in tokens if len(tok) > 3 and value(tok))
    if not counts:
        return None
    best = max(counts.values())
    leaders = [lang for lang, n in counts.items() if n == best]
    return leaders[0] if best and len(leaders) == 1 else None


def _count(runs: re.Pattern[str], sample: str) -> int:
    """How many characters of a class a text has, counted by runs (far fewer matches)."""
    return sum(map(len, runs.findall(sample)))


def _script(sample: str) -> str | bool | None:
    """The language told by the script of a non-ASCII text, None for no letters, False for Latin."""
    # The UTF-8 lead bytes of the characters beyond Latin-1, in order (see normalize.has_leads):
    # each script below is looked for only when its lead bytes are there.
    leads = sample.encode("utf-8", "surrogatepass").translate(None, BEYOND_LATIN1_LEADS)
    if not leads:
        # None of the scripts below: Latin, or no letters at all.
        return False if _LATIN.search(sample) else None
    if b"\xe3" in leads and _KANA.search(sample):
        return "ja"
    latin_count = _count(_LATIN_RUN, sample)
    if (b"\xd0" in leads or b"\xd1" in leads or b"\xd2" in leads or b"\xd3" in leads) and _CYRILLIC.search(
        sample
    ):
        cyr = _count(_CYRILLIC_RUN, sample)
        if cyr >= latin_count / 2:
            return "uk" if len(_UKRAINIAN.findall(sample)) > 2 else "ru"
    if leads.translate(None, _HANGUL_LEADS) and _HANGUL.search(sample):
        return "ko"
    if leads.translate(None, _HAN_LEADS) and _HAN.search(sample):
        han = _count(_HAN_RUN, sample)
        if han * 2 >= latin_count:
            return "zh"
    if leads.translate(None, _OTHER_LEADS):
        for pattern, code in _OTHER_SCRIPTS:
            if pattern.search(sample) and len(pattern.findall(sample)) * 2 > latin_count:
                return code
    if not latin_count:
        return None
    return False


_HANGUL_LEADS = keep_bytes((0xEA, 0xED))  # U+A000-U+DFFF (Hangul syllables AC00-D7AF)
_HAN_LEADS = keep_bytes((0xE4, 0xE9))  # U+4000-U+9FFF (CJK ideographs 4E00-9FFF)
_OTHER_LEADS = keep_bytes((0xCD, 0xCF), (0xD6, 0xDB), (0xE0, 0xE0))  # Greek, Hebrew, Arabic, Thai
