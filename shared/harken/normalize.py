"""Text normalisation shared by term matching, the query language, exclusions and language detection.

Everything that is compared is first brought to one form: Unicode NFKC (full-width Latin and
half-width katakana become ordinary), case-folded, Latin diacritics removed, every run of
punctuation, symbols and spaces turned into one space, and the whole padded with a space at
each end. A term written as " acme cloud " then matches at word boundaries by plain substring
search, and "Acme-Cloud", "ACME  cloud" and "Acme Cloud's" all look the same.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Scripts written without spaces: terms in them match as substrings, not as whole words.
_CJK_RANGES = (
    (0x3040, 0x30FF),  # hiragana, katakana
    (0x3400, 0x4DBF),  # CJK extension A
    (0x4E00, 0x9FFF),  # CJK unified ideographs
    (0xF900, 0xFAFF),  # CJK compatibility ideographs
    (0xAC00, 0xD7AF),  # hangul syllables (spaced, but often glued to particles)
    (0x31F0, 0x31FF),  # katakana phonetic extensions
)
_CJK_CLASS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\u31f0-\u31ff"
_HAS_CJK = re.compile(f"[{_CJK_CLASS}]")
# A Latin/Cyrillic letter or digit glued to a CJK character ("Acme Cloudのバックアップ"): the
# boundary between scripts is a word boundary too.
_SCRIPT_EDGE = re.compile(
    f"(?<=[^\\W{_CJK_CLASS}])(?=[{_CJK_CLASS}])|(?<=[{_CJK_CLASS}])(?=[^\\W{_CJK_CLASS}])"
)
_NON_WORD = re.compile(r"[\W_]+")
# Runs of word characters that are all CJK or all not (the tokens of _SCRIPT_EDGE then _NON_WORD).
_CJK_WORD_RUN = re.compile(f"[^\\W_{_CJK_CLASS}]+|(?:(?=\\w)[{_CJK_CLASS}])+")
_WORD_RUN = re.compile(r"[^\W_]+")


def _build_fold_table() -> dict[int, str]:
    """Latin letters with diacritics -> base letters (é -> e, ł -> l), for the Latin blocks only.

    Cyrillic and kana keep their marks: й is not и, and が is not か.
    """
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        ch = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
        if base and base != ch and base.isascii():
            table[code] = base
    table.update({ord("ø"): "o", ord("đ"): "d", ord("ł"): "l", ord("ı"): "i", ord("ё"): "е"})
    return table


_FOLD = _build_fold_table()


_LATIN_MARKED = re.compile("[\u00c0-\u024f]")
_BEYOND_LATIN1 = re.compile("[^\x00-\xff]")
_LATIN1_FOLD = bytes(
    ord(_FOLD[code]) if code in _FOLD and len(_FOLD[code]) == 1 else code for code in range(256)
)


def keep_bytes(*ranges: tuple[int, int]) -> bytes:
    """A bytes.translate delete table keeping only bytes in the given (inclusive) ranges."""
    keep = {b for lo, hi in ranges for b in range(lo, hi + 1)}
    return bytes(b for b in range(256) if b not in keep)


# The UTF-8 lead bytes tell the Unicode block of a character: C3 (U+00C0-00FF), C4-C9 (Latin
# Extended), D0-D3 (Cyrillic), E3 (kana, CJK punctuation), E4-E9 (Han), EA-ED (Hangul), F0
# (emoji)... Deleting every other byte with one bytes.translate gives, at C speed, what a
# regular expression finds by visiting each character: whether a script can be in a text at
# all (an empty result is an exact "no"; a hit is confirmed by the regular expression).
BEYOND_LATIN1_LEADS = keep_bytes((0xC4, 0xFF))  # characters from U+0100 on
LATIN_MARKED_LEADS = keep_bytes((0xC3, 0xC9))  # U+00C0-U+024F
CJK_LEADS = keep_bytes((0xE3, 0xED), (0xEF, 0xEF))  # U+3000-U+DFFF, U+F000-U+FFFF


def has_leads(text: str, table: bytes) -> bool:
    """Whether the UTF-8 form of `text` has a byte that `table` keeps (see above)."""
    return bool(text.encode("utf-8", "surrogatepass").translate(None, table))


# The last text folded and tokenised: language detection, sentiment and intents look at the same
# item text one after the other, and pay for its folding and tokenisation once.
_FOLD_MEMO: list[tuple[str, str]] = [("", "")]
_WORDS_MEMO: list[tuple[str, list[str]]] = [("", [])]
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*|[,.;:!?¿¡…—–()\"«»“”？！。、，]")
# The same tokens for a folded ASCII text (lower case): a plain character class is much faster
# than the Unicode one.
_ASCII_WORD = re.compile(r"[a-z]+(?:'[a-z]+)*|[,.;:!?()\"]")
# And for a folded text of Latin-1 characters: the Latin-1 letters of [^\W\d_] as a plain class.
_LATIN1_LETTERS = "a-z" + re.escape("".join(chr(c) for c in range(128, 256) if re.match(r"[^\W\d_]", chr(c))))
_LATIN1_WORD = re.compile(f"[{_LATIN1_LETTERS}]+(?:'[{_LATIN1_LETTERS}]+)*|[,.;:!?¿¡…—–()\"«»“”？！。、，]")
# Tokens of `words` that are clause punctuation, not words.
PUNCTUATION: frozenset[str] = frozenset(',.;:!?¿¡…—–()"«»“”？！。、，')


def fold(text: str) -> str:
    """NFKC, case folding and Latin diacritic removal, nothing else (spacing is kept)."""
    memo = _FOLD_MEMO[0]
    if memo[0] is text:
        return memo[1]
    if text.isascii():
        folded = text.lower()
    else:
        plain = text
        if "\u2122" in plain or "\u2120" in plain:
            # NFKC spells ™ and ℠ out as letters: "VaultSync™" became "vaultsynctm", a word that
            # matched neither the term nor the text without the sign. They are signs, as ® is.
            plain = plain.replace("\u2122", " ").replace("\u2120", " ")
        folded = plain if unicodedata.is_normalized("NFKC", plain) else unicodedata.normalize("NFKC", plain)
        folded = folded.casefold()
        data = folded.encode("utf-8", "surrogatepass")
        if not data.translate(None, BEYOND_LATIN1_LEADS):
            # Latin-1 only (German, French, Spanish...): one bytes.translate removes the accents.
            folded = folded.encode("latin-1").translate(_LATIN1_FOLD).decode("latin-1")
        elif data.translate(None, LATIN_MARKED_LEADS):
            # str.translate with a dict is slow: only pay for it when there are accents.
            folded = folded.translate(_FOLD)
    _FOLD_MEMO[0] = (text, folded)
    return folded


def words(text: str) -> list[str]:
    """The words of a text, folded, apostrophes kept inside ("don't", "l'avis"), in order, with
    the clause punctuation between them as tokens of their own ("," "?"; see PUNCTUATION).

    The list is shared with the next caller on the same text object: do not modify it."""
    memo = _WORDS_MEMO[0]
    if memo[0] is text:
        return memo[1]
    folded = fold(text)
    if "’" in folded:
        folded = folded.replace("’", "'")
    if folded.isascii():
        found = _ASCII_WORD.findall(folded)
    elif _BEYOND_LATIN1.search(folded):
        found = _WORD.findall(folded)
    else:
        found = _LATIN1_WORD.findall(folded)
    _WORDS_MEMO[0] = (text, found)
    return found


# Latin-1 characters (which is all a folded ASCII or Western European text holds): word characters
# kept, the others (what _NON_WORD replaces) to a space, for one bytes.translate.
_LATIN1_SPACE = bytes(ord(" ") if _NON_WORD.match(chr(code)) else code for code in range(256))


def normalize(text: str) -> str:
    """The matching form of a text: folded, punctuation to single spaces, padded with spaces."""
    folded = fold(text)
    if folded.isascii():
        return " " + " ".join(folded.encode().translate(_LATIN1_SPACE).decode().split()) + " "
    if not _BEYOND_LATIN1.search(folded):  # no CJK either
        latin1 = folded.encode("latin-1").translate(_LATIN1_SPACE).decode("latin-1")
        return " " + " ".join(latin1.split()) + " "
    if has_leads(folded, CJK_LEADS) and _HAS_CJK.search(folded):
        # The same runs, also split where a CJK character meets another word character.
        return " " + " ".join(_CJK_WORD_RUN.findall(folded)) + " "
    # The runs of word characters between what _NON_WORD replaces.
    return " " + " ".join(_WORD_RUN.findall(folded)) + " "


# Where a sentence (or a line) ends: "?", "!", ";", "…" or a period after a word of 4+ letters
# (not "St." or "E.", which mostly abbreviate), then white space and no digit ("Hafenstr. 7");
# or a line break. (SENTENCE_BREAK says whether a term holds one; _BREAK_CANDIDATE opens with a
# character class, which the regular expression engine scans for at C speed, and the period's
# word is checked in Python on the few candidates.)
SENTENCE_BREAK = re.compile(r"(?:(?<=[^\W\d_]{4})\.|[!?;…。！？])+\s+(?!\d)|\s*\n\s*")
_BREAK_CANDIDATE = re.compile(r"[.!?;…。！？]+(?=\s)(?!\s+\d)|\n")
_BREAK_WORD = " zqxbrkqz "
_BREAK_RUN = re.compile("(?: zqxbrkqz)+ ")


def _break(match: re.Match[str]) -> str:
    found = match.group()
    if found[0] == "." and found.count(".") == len(found):
        start = match.start()
        if start < 4 or not match.string[start - 4 : start].isalpha():
            return found  # "St.", "E.", "3." do not end a sentence here
    return _BREAK_WORD


def normalize_sentences(text: str) -> str:
    """`normalize(text)` with two spaces where a sentence or line ends, so that a term or phrase
    of several words never matches across sentences ("reached the acme. Cloud costs" holds no
    " acme cloud "), while every single word stays where it was."""
    marked = _BREAK_CANDIDATE.sub(_break, text)
    if " zqxbrkqz " not in marked:
        return normalize(text)
    return _BREAK_RUN.sub("  ", normalize(marked))


def is_cjk_char(ch: str) -> bool:
    code = ord(ch)
    return any(lo <= code <= hi for lo, hi in _CJK_RANGES)


def has_cjk(text: str) -> bool:
    return _HAS_CJK.search(text) is not None


@lru_cache(maxsize=4096)
def normalize_term(term: str) -> str:
    """A term or phrase in matching form, without the padding ("Acme-Cloud" -> "acme cloud")."""
    return normalize(term).strip()


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def camel_split(term: str) -> str | None:
    """ "AcmeCloud" -> "Acme Cloud", or None when the term is not CamelCase of 3+ letter parts."""
    parts = [p for chunk in term.split() for p in _CAMEL.split(chunk)]
    if len(parts) < 2 or len(parts) == len(term.split()) or any(len(p) < 3 for p in parts):
        return None
    return " ".join(parts)
