"""Regenerate the word lists that guard typo matches (shared/harken/data/):

- common_words.txt: the top 6,000 words of en, de, es, fr, ru (4+ letters, folded); the
  prefilter also takes its statistics of how often a fragment occurs from it;
- common_words_more.txt: the next ones, up to 30,000 for English and 10,000 for the others.

A typo of a watch term is never one of these words (nor their plural). English takes more words:
brands are most often English words ("Slack", "Notion", "Stripe") and their neighbours at one
letter ("stack", "snack") must be known as words.

Not run by the build: the lists are committed. Needs `pip install wordfreq==3.1.1` (data CC BY-SA
4.0, Robyn Speer et al.; see NOTICE):

    python tools/common_words.py shared/harken/data
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

LANGUAGES = ("en", "de", "es", "fr", "ru")
FREQUENT = 6_000
MORE = {"en": 30_000, "de": 10_000, "es": 10_000, "fr": 10_000, "ru": 10_000}
SOURCE = "from the wordfreq 3.1\n# word lists (data CC BY-SA 4.0, Robyn Speer et al.). A typo of a watch term must not be one."


def _words(lang: str, n: int) -> set[str]:
    from harken.normalize import fold
    from wordfreq import top_n_list

    folded = (fold(w) for w in top_n_list(lang, n))
    return {w for w in folded if len(w) >= 4 and w.isalpha()}


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("shared/harken/data")
    frequent = set().union(*(_words(lang, FREQUENT) for lang in LANGUAGES))
    more = set().union(*(_words(lang, n) for lang, n in MORE.items())) - frequent
    counts = ", ".join(f"{lang} {n:,}" for lang, n in MORE.items())
    (out / "common_words.txt").write_text(
        f"# Frequent words (top {FREQUENT:,} of {', '.join(LANGUAGES)}; 4+ letters, folded) {SOURCE}\n"
        + "".join(f"{w}\n" for w in sorted(frequent)),
        encoding="utf-8",
    )
    (out / "common_words_more.txt").write_text(
        f"# More frequent words (up to the top {counts}; 4+ letters, folded, not in common_words.txt) {SOURCE}\n"
        + "".join(f"{w}\n" for w in sorted(more)),
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
