"""Regenerate shared/harken/data/common_words.txt: the words a typo of a watch term must not be.

Not run by the build: the list is committed. Needs `pip install wordfreq==3.1.1` (data CC BY-SA
4.0, Robyn Speer et al.; see NOTICE) in any Python 3.11+ with the repository's shared/ on the path:

    python tools/common_words.py > shared/harken/data/common_words.txt

English takes more words than the other languages: brands are most often English words
("Slack", "Notion", "Stripe") and their neighbours at one letter ("stack", "snack", "stripes")
must be known as words.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "shared"))

TOP = {"en": 30_000, "de": 10_000, "es": 10_000, "fr": 10_000, "ru": 10_000}


def main() -> int:
    from harken.normalize import fold
    from wordfreq import top_n_list

    words: set[str] = set()
    for lang, n in TOP.items():
        for word in top_n_list(lang, n):
            folded = fold(word)
            if len(folded) >= 4 and folded.isalpha():
                words.add(folded)
    counts = ", ".join(f"{lang} {n:,}" for lang, n in TOP.items())
    print(f"# Frequent words (top {counts}; 4+ letters, folded) from the wordfreq 3.1")
    print("# word lists (data CC BY-SA 4.0, Robyn Speer et al.). A typo of a watch term must not be one.")
    for word in sorted(words):
        print(word)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
