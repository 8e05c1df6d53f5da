"""`harken local`: run the whole system on this machine (see DESIGN.md §3)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

from harken_local.template import ROOT

DEMO_WATCHES = ROOT / "infra" / "demo" / "watches.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="harken local", description=__doc__)
    parser.add_argument("--offline", action="store_true", help="replay bundled sample sources (make demo)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("HARKEN_PORT", "3000")))
    parser.add_argument("--poll-seconds", type=float, default=None, help="override the template's poll rate")
    parser.add_argument(
        "--watches",
        type=Path,
        default=None,
        help="JSON file with a watch or a list of watches to create at start "
        "(default with --offline: the bundled demo watch; else $HARKEN_WATCHES_FILE or watches.json if present)",
    )
    parser.add_argument(
        "--outbox", type=Path, default=Path(os.environ.get("HARKEN_OUTBOX", ".harken/outbox"))
    )
    parser.add_argument(
        "--retry-seconds", type=float, default=2.0, help="delay before a failed record is retried"
    )
    args = parser.parse_args(argv)

    watches = args.watches
    if watches is None:
        if args.offline:
            watches = DEMO_WATCHES
        elif os.environ.get("HARKEN_WATCHES_FILE"):
            watches = Path(os.environ["HARKEN_WATCHES_FILE"])
        elif Path("watches.json").exists():
            watches = Path("watches.json")
    if watches is not None and not watches.exists():
        print(f"harken local: watches file {watches} does not exist", file=sys.stderr)
        return 2

    from harken_local.stack import LocalStack, parse_api_keys

    try:
        keys = parse_api_keys(os.environ.get("HARKEN_API_KEYS", ""))
    except ValueError as exc:
        print(f"harken local: {exc}", file=sys.stderr)
        return 2
    stack = LocalStack(
        port=args.port,
        poll_seconds=args.poll_seconds,
        offline=args.offline,
        outbox=args.outbox,
        api_keys=keys or None,
        watches_file=watches,
        retry_seconds=args.retry_seconds,
    )
    started = time.monotonic()
    try:
        stack.start()
    except OSError as exc:
        print(f"harken local: cannot start: {exc}", file=sys.stderr)
        stack.stop()
        return 1
    base = f"http://127.0.0.1:{args.port}"
    print(f"Harken local stack ready in {time.monotonic() - started:.1f}s on {base}", flush=True)
    for key, tenant in stack.api_keys.items():
        print(f"  API key for tenant {tenant}: {key}", flush=True)
    first_key = next(iter(stack.api_keys))
    print(f"  try: curl -H 'x-api-key: {first_key}' {base}/mentions", flush=True)
    print(f"  AWS (moto) endpoint: {stack.aws_endpoint}", flush=True)
    print(f"  emails: {args.outbox}/   poll every {stack.poll_seconds:g}s   (Ctrl-C stops)", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        while not done.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    stack.stop()
    return 0
