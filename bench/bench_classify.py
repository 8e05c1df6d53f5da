"""`make bench`: throughput of the classify path with 100 watches x 20 terms, typos on.

Prints items/s of:
- the full path (MultiWatchClassifier.classify_all) on items that match nothing, against a bare
  pyahocorasick scan of the same texts over the same terms (target >= 0.5x);
- the full path on matching items (matching, exclusions, category, language, sentiment,
  intents, the Classification objects), against VADER's polarity_scores alone on the same
  texts (target >= 1.0x);
- peak memory (traced Python allocations while building and running, and process max RSS).

Texts are the labelled corpus (six languages) with the fictional Acme brand removed for the
non-matching run and a watch's brand put in for the matching run. Every timed run gets fresh
copies of the texts made unique by a serial number (for the classify path and its baseline
alike), so no text repeats across items or runs.
"""

from __future__ import annotations

import json
import random
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "shared"))

import ahocorasick  # noqa: E402
from harken.classify import MultiWatchClassifier  # noqa: E402
from harken.models import Item, WatchIn  # noqa: E402

N_WATCHES = 100
SYLLABLES = [
    "zen",
    "tri",
    "vo",
    "lar",
    "kes",
    "mon",
    "dra",
    "pil",
    "quo",
    "sar",
    "bex",
    "nim",
    "tul",
    "fen",
    "gor",
    "rax",
    "vel",
    "lum",
    "cor",
    "dis",
    "ops",
    "hal",
]
WORDS = [
    "cloud",
    "drive",
    "vault",
    "sync",
    "base",
    "hub",
    "point",
    "stack",
    "mesh",
    "grid",
    "box",
    "link",
    "flow",
    "ware",
    "desk",
    "bay",
]
PEOPLE_FIRST = [
    "Anna",
    "Boris",
    "Chloe",
    "Diego",
    "Elena",
    "Farid",
    "Greta",
    "Hiro",
    "Ines",
    "Jonas",
    "Kaito",
    "Lena",
    "Marta",
    "Nils",
    "Olga",
    "Pavel",
]
PEOPLE_LAST = [
    "Lindqvist",
    "Moreau",
    "Ivanova",
    "Tanaka",
    "Kowalski",
    "Haddad",
    "Okafor",
    "Brandt",
    "Romero",
    "Novak",
    "Ferreira",
]
STREETS = ["Mill", "Harbor", "Station", "Oak", "Lake", "Church", "Bridge", "Market", "Garden", "Hill"]


def _name(rng: random.Random, parts: int = 2) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def make_watches(rng: random.Random) -> list[WatchIn]:
    watches = []
    for i in range(N_WATCHES):
        brand = f"{_name(rng, 3)} {rng.choice(WORDS).capitalize()}"
        terms = {
            "brand": [brand],
            "variants": [brand.replace(" ", ""), f"{brand} Inc"],
            "people": [f"{rng.choice(PEOPLE_FIRST)} {rng.choice(PEOPLE_LAST)}{i}" for _ in range(2)],
            "products": [f"{brand.split()[0]} {_name(rng)}" for _ in range(6)],
            "addresses": [
                f"{rng.randint(1, 300)} {rng.choice(STREETS)} Road, {_name(rng)}ville" for _ in range(2)
            ],
            "trademarks": [f"{_name(rng, 3)}{rng.choice(WORDS).capitalize()}" for _ in range(4)],
            "leads": [
                f"which {_name(rng)} plan should I buy",
                f"best {_name(rng)} {rng.choice(WORDS)} service",
                f"{_name(rng)} {rng.choice(WORDS)} for small business",
            ],
        }
        assert sum(len(v) for v in terms.values()) == 20
        watches.append(
            WatchIn.model_validate(
                {"name": brand, "terms": terms, "typos": True, "exclude": [f"{_name(rng)} protocol"]}
            )
        )
    return watches


def corpus_texts() -> list[str]:
    texts = []
    for name in ("corpus_dev.jsonl", "corpus_heldout.jsonl"):
        for line in (ROOT / "tests" / "data" / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


_SERIAL = [0]


def _distinct(texts: list[str], copies: int) -> list[str]:
    """`copies` rounds of the texts, every one made unique by a serial number at its end (the
    same for the classify path and its baseline): no text is ever seen twice, so nothing keyed
    by text (or by all its words) can be reused from an earlier item or run."""
    out = []
    for _ in range(copies):
        for t in texts:
            _SERIAL[0] += 1
            out.append(f"{t} [{_SERIAL[0]}]")
    return out


def _rate(fn, make, repeat: int) -> float:
    """Items/s: the median of `repeat` timed runs (this is a shared machine: one lucky or
    unlucky run must not decide a ratio). `make()` builds fresh, distinct inputs for each run,
    outside the timed part."""
    fn(make()[:50])  # warm caches (lexicons) as a running Lambda would
    times = []
    n = 0
    for _ in range(repeat):
        items = make()
        n = len(items)
        start = time.perf_counter()
        fn(items)
        times.append(time.perf_counter() - start)
    return n / statistics.median(times)


def main() -> int:
    rng = random.Random(7)
    tracemalloc.start()
    watches = make_watches(rng)
    t0 = time.perf_counter()
    multi = MultiWatchClassifier(watches)
    build_s = time.perf_counter() - t0

    brands = [w.terms.brand[0] for w in watches]
    base = [t.replace("Acme Cloud", "the service").replace("AcmeCloud", "the app") for t in corpus_texts()]
    nonmatching = [
        Item(source="reddit", url=f"https://www.reddit.com/r/sysadmin/comments/{i}", text=t)
        for i, t in enumerate(base)
    ]
    stray = [it for it in nonmatching if multi.classify_all(it)]
    nonmatching = [it for it in nonmatching if it not in stray]
    matching = [
        Item(
            source="mastodon",
            url=f"https://mastodon.social/@u/{i}",
            text=f"{rng.choice(brands)}: {t}" if i % 2 else t.replace("the service", rng.choice(brands), 1),
        )
        for i, t in enumerate(base)
    ]
    matching = [it for it in matching if multi.classify_all(it)]

    # The bare scan: one pyahocorasick automaton over the same terms, raw texts, no Python work.
    bare = ahocorasick.Automaton()
    for w in watches:
        for _kind, term in w.terms.by_kind():
            bare.add_word(term.lower(), term)
    bare.make_automaton()
    non_texts = [it.text for it in nonmatching]
    match_texts = [it.text for it in matching]

    def run_bare(texts: list[str]) -> None:
        for t in texts:
            for _ in bare.iter(t):
                pass

    def items_of(proto: list[Item], copies: int):
        def make() -> list[Item]:
            texts = _distinct([it.text for it in proto], copies)
            return [proto[i % len(proto)].model_copy(update={"text": t}) for i, t in enumerate(texts)]

        return make

    def texts_of(texts: list[str], copies: int):
        return lambda: _distinct(texts, copies)

    make_full_non, make_bare_non = items_of(nonmatching, 10), texts_of(non_texts, 10)
    make_full_match, make_vader_match = items_of(matching, 3), texts_of(match_texts, 3)

    def run_full(items: list[Item]) -> None:
        for it in items:
            multi.classify_all(it)

    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()

    def run_vader(texts: list[str]) -> None:
        for t in texts:
            vader.polarity_scores(t)

    repeat = 7
    full_non = _rate(run_full, make_full_non, repeat)
    bare_non = _rate(run_bare, make_bare_non, repeat)
    full_match = _rate(run_full, make_full_match, repeat)
    vader_match = _rate(run_vader, make_vader_match, repeat)
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    # Untraced timings (tracemalloc slows Python code, not the C scan): report these. Each
    # path and its baseline alternate, so a burst of load on the machine hits both.
    full_non_runs, bare_non_runs, full_match_runs, vader_match_runs = [], [], [], []
    for _ in range(5):
        full_non_runs.append(_rate(run_full, make_full_non, repeat))
        bare_non_runs.append(_rate(run_bare, make_bare_non, repeat))
        full_match_runs.append(_rate(run_full, make_full_match, repeat))
        vader_match_runs.append(_rate(run_vader, make_vader_match, repeat))
    full_non = statistics.median(full_non_runs)
    bare_non = statistics.median(bare_non_runs)
    full_match = statistics.median(full_match_runs)
    vader_match = statistics.median(vader_match_runs)

    print(f"watches x terms            {N_WATCHES} x 20, typos on, build {build_s * 1000:.0f} ms")
    print(f"non-matching items         {len(nonmatching)} texts (dropped {len(stray)} that matched)")
    print(f"  full classify path       {full_non:>10,.0f} items/s")
    print(f"  bare pyahocorasick scan  {bare_non:>10,.0f} items/s")
    ratio_non = full_non / bare_non
    print(
        f"  ratio                    {ratio_non:>10.2f}x   (target >= 0.5x) {'ok' if ratio_non >= 0.5 else 'MISS'}"
    )
    print(f"matching items             {len(matching)} texts")
    print(f"  full classify path       {full_match:>10,.0f} items/s")
    print(f"  VADER polarity_scores    {vader_match:>10,.0f} items/s")
    ratio_match = full_match / vader_match
    print(
        f"  ratio                    {ratio_match:>10.2f}x   (target >= 1.0x) {'ok' if ratio_match >= 1.0 else 'MISS'}"
    )
    print(f"peak traced memory         {peak / 1e6:>10.1f} MB (build + runs)")
    print(f"process max RSS            {rss_kb / 1024:>10.1f} MB (includes the interpreter and VADER)")
    _stages(multi, make_full_non, make_full_match, run_bare, make_bare_non, run_vader, make_vader_match)
    return 0


def _stages(multi, make_non, make_match, run_bare, make_bare, run_vader, make_vader) -> None:  # type: ignore[no-untyped-def]
    """Where the time goes (info): each step of the path alone, as a multiple of the baseline's
    time per item, each step timed alternately with its baseline (this machine's speed drifts)."""
    from harken import intents, language
    from harken.match import latin_form
    from harken.normalize import normalize

    index = multi._index
    backend = index.backend

    def texts(make):  # type: ignore[no-untyped-def]
        return lambda: [it.text for it in make()]

    def cost(fn, make, base, base_make) -> float:  # type: ignore[no-untyped-def]
        """The step's time per item over the baseline's (median of 3 alternating pairs)."""
        ratios = []
        for _ in range(3):
            ratios.append(_rate(base, base_make, 3) / _rate(fn, make, 3))
        return statistics.median(ratios)

    def analysis(batch: list[str]) -> None:
        for t in batch:
            lang = language.detect(t)
            intents.detect(t, lang, backend.score(t, lang))

    print("where the time goes (info): each step alone, in multiples of the baseline's time")
    non = texts(make_non)
    form = cost(lambda b: [latin_form(t) for t in b], non, run_bare, make_bare)
    scan = cost(lambda b: [index.prefilter.scan(t) for t in b], non, run_bare, make_bare)
    print(f"  non-matching, x bare scan: prefilter {scan:.2f} (of which building its scan form {form:.2f})")
    match = texts(make_match)
    steps = {
        "prefilter": lambda b: [index.prefilter.scan(t) for t in b],
        "normalize+match+typos": lambda b: [index.matcher.find(normalize(t)) for t in b],
        "language": lambda b: [language.detect(t) for t in b],
        "language+sentiment+intents": analysis,
    }
    parts = ", ".join(f"{name} {cost(fn, match, run_vader, make_vader):.2f}" for name, fn in steps.items())
    print(f"  matching, x VADER: {parts}")


if __name__ == "__main__":
    raise SystemExit(main())
