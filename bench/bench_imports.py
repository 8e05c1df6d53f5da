"""Cold-start cost: the median import time of each Lambda handler module, next to `import boto3`
measured the same way in the same run (fresh interpreter per sample). Target: each ≤ 2.0× boto3."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = 7
TARGET = 2.0

SNIPPET = """
import sys, time
sys.path.insert(0, {path!r})
t = time.perf_counter()
{stmt}
print(time.perf_counter() - t)
"""


def sample(stmt: str, path: str = "") -> float:
    code = SNIPPET.format(path=path, stmt=stmt)
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "", "POWERTOOLS_METRICS_DISABLED": "true", "AWS_DEFAULT_REGION": "us-east-1"},
    )
    return float(out.stdout.strip().splitlines()[-1])


def median(stmt: str, path: str = "") -> float:
    return statistics.median(sample(stmt, path) for _ in range(SAMPLES))


def main() -> int:
    base = median("import boto3")
    print(f"import boto3: {base * 1000:.0f} ms (median of {SAMPLES} fresh interpreters)")
    worst = 0.0
    for app in sorted((ROOT / "functions").glob("*/app.py")):
        t = median("import app", str(app.parent))
        ratio = t / base
        worst = max(worst, ratio)
        flag = "ok" if ratio <= TARGET else "OVER TARGET"
        print(f"  {app.parent.name:<11} {t * 1000:6.0f} ms  {ratio:4.2f}x boto3  {flag}")
    print(f"worst handler: {worst:.2f}x boto3 (target <= {TARGET}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
