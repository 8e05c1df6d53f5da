"""`make eval`: measure the classifier on the labelled corpus in tests/data/.

corpus_dev.jsonl is what the lexicons and rules were tuned on; corpus_heldout.jsonl was written
before any tuning and is only ever measured. Each line is an item plus its gold labels
(mention, category, sentiment, intents, typo) and the language it is written in.

Detection and category use the eval watch (tests/data/eval_watch.json) through the real
classify path. Sentiment and intents are measured on every item (mentions or not), with the
language the classifier itself would use (the source's label, else detection).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "shared"))

from harken import intents as intents_mod  # noqa: E402
from harken import language as language_mod  # noqa: E402
from harken.classify import compile_watch  # noqa: E402
from harken.models import INTENTS, SENTIMENTS, Item, WatchIn  # noqa: E402
from harken.sentiment import get_backend  # noqa: E402

DATA = ROOT / "tests" / "data"
LANGS = ("en", "ja", "ru", "de", "es", "fr")
TARGETS = {
    "detection_f1": 0.95,
    "category_acc": 0.95,
    "sentiment_macro_f1": 0.75,
    "intents_micro_f1": 0.75,
    "typo_recall": 0.9,
}


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _macro_f1(pairs: list[tuple[str, str]]) -> float:
    scores = []
    for label in SENTIMENTS:
        tp = sum(1 for g, p in pairs if g == label and p == label)
        fp = sum(1 for g, p in pairs if g != label and p == label)
        fn = sum(1 for g, p in pairs if g == label and p != label)
        if tp + fp + fn:
            scores.append(_f1(tp, fp, fn)[2])
    return sum(scores) / len(scores) if scores else 0.0


def evaluate(path: Path, watch: WatchIn, verbose: bool = False) -> dict[str, float]:
    compiled = compile_watch(watch)
    backend = get_backend()
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    det = {"tp": 0, "fp": 0, "fn": 0}
    cat_ok = cat_n = 0
    typo_hit = typo_n = 0
    sent_pairs: dict[str, list[tuple[str, str]]] = defaultdict(list)
    int_counts = {"tp": 0, "fp": 0, "fn": 0}
    lang_ok = 0
    errors: list[str] = []
    for row in rows:
        gold = row["gold"]
        item = Item.model_validate({k: v for k, v in row.items() if k not in ("gold", "lang", "id")})
        result = compiled.classify(item)
        predicted = result is not None
        if gold["mention"] and predicted:
            det["tp"] += 1
        elif predicted:
            det["fp"] += 1
            errors.append(f"FP  {row['id']}: {row['text'][:90]}")
        elif gold["mention"]:
            det["fn"] += 1
            errors.append(f"FN  {row['id']}: {row['text'][:90]}")
        if gold["mention"]:
            cat_n += 1
            if result is not None and result.category == gold["category"]:
                cat_ok += 1
            elif result is not None:
                errors.append(f"CAT {row['id']}: {result.category} != {gold['category']}")
        if gold["typo"]:
            typo_n += 1
            if result is not None and any(m.how == "typo" for m in result.matches):
                typo_hit += 1
            else:
                errors.append(f"TYPO {row['id']}: {row['text'][:90]}")
        body = f"{item.title}\n{item.text}" if item.title else item.text
        lang = language_mod.primary(item.language) or language_mod.detect(body)
        lang_ok += lang == row["lang"]
        if lang != row["lang"]:
            errors.append(f"LANG {row['id']}: {lang} != {row['lang']}")
        sentiment = backend.score(body, lang)
        sent_pairs[row["lang"]].append((gold["sentiment"], sentiment.label))
        if sentiment.label != gold["sentiment"]:
            errors.append(
                f"SENT {row['id']}: {sentiment.label} ({sentiment.score:+.2f}) != {gold['sentiment']}: {row['text'][:70]}"
            )
        got = set(intents_mod.detect(body, lang, sentiment))
        want = set(gold["intents"])
        int_counts["tp"] += len(got & want)
        int_counts["fp"] += len(got - want)
        int_counts["fn"] += len(want - got)
        if got != want:
            errors.append(f"INT {row['id']}: got {sorted(got)} want {sorted(want)}: {row['text'][:60]}")
    p, r, f = _f1(det["tp"], det["fp"], det["fn"])
    all_pairs = [pair for pairs in sent_pairs.values() for pair in pairs]
    out: dict[str, float] = {
        "items": len(rows),
        "detection_precision": p,
        "detection_recall": r,
        "detection_f1": f,
        "category_acc": cat_ok / cat_n if cat_n else 0.0,
        "sentiment_acc": sum(g == q for g, q in all_pairs) / len(all_pairs) if all_pairs else 0.0,
        "sentiment_macro_f1": _macro_f1(all_pairs),
        "intents_micro_f1": _f1(int_counts["tp"], int_counts["fp"], int_counts["fn"])[2],
        "typo_recall": typo_hit / typo_n if typo_n else 0.0,
        "language_acc": lang_ok / len(rows) if rows else 0.0,
    }
    for lang in LANGS:
        pairs = sent_pairs.get(lang, [])
        if pairs:
            out[f"sentiment_acc_{lang}"] = sum(g == q for g, q in pairs) / len(pairs)
            out[f"sentiment_macro_f1_{lang}"] = _macro_f1(pairs)
    if verbose:
        for line in errors:
            print("   ", line)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", "-v", action="store_true", help="list every miss (dev only)")
    args = parser.parse_args(argv)
    watch = WatchIn.model_validate(json.loads((DATA / "eval_watch.json").read_text(encoding="utf-8")))
    assert set(INTENTS) >= {"complaint", "question"}
    results = {}
    for name in ("dev", "heldout"):
        # Misses are listed for the dev set only: the held-out set is measured, never studied.
        results[name] = evaluate(DATA / f"corpus_{name}.jsonl", watch, verbose=args.verbose and name == "dev")
    keys = list(results["dev"])
    print(f"{'metric':<26}{'dev':>10}{'held-out':>10}{'target':>10}")
    for key in keys:
        target = TARGETS.get(key)
        mark = ""
        if target is not None:
            mark = f"{target:>10.2f}" + ("  ok" if results["heldout"][key] >= target else "  MISS")
        dev, held = results["dev"][key], results["heldout"].get(key, float("nan"))
        fmt = "{:>10.0f}" if key == "items" else "{:>10.3f}"
        print(f"{key:<26}" + fmt.format(dev) + fmt.format(held) + mark)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
