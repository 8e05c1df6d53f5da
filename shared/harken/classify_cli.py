"""`harken classify --watch WATCH.json`: dry-run a watch over JSON-lines items (DESIGN.md §5).

Each stdin line is an item (source, url, title, text, author, published_at, optional language).
Each output line is the mention the item becomes (Mention.public(), tenant "local", watch_id from
the file's "id" or "w_local"), or {"matched": false}. The classification is the classifier
Lambda's (harken.classify).

Errors: an unreadable or invalid watch file, or a bad query, prints the reason on stderr and
exits 2 before reading stdin. A bad input line prints {"error": "...", "line": N} on stdout in
its place (so output lines stay aligned with input lines), the same message on stderr, and the
other lines are still classified; the exit status is then 1. Blank lines are skipped.
"""

from __future__ import annotations

import argparse
import json
from typing import IO, Any

from pydantic import ValidationError

EXIT_OK = 0
EXIT_BAD_LINES = 1
EXIT_USAGE = 2


def _validation_message(err: ValidationError) -> str:
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e.get("loc", ())) or "watch"
        msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts)


def _load_watch(path: str) -> tuple[Any, str]:
    from harken.models import WatchDoc

    with open(path, encoding="utf-8-sig") as fh:  # a byte-order mark is not part of the JSON
        data = json.load(fh)
    if not isinstance(data, dict):
        raise ValueError("the watch file must hold a JSON object")
    watch = WatchDoc.model_validate(data)
    raw_id = data.get("id")
    watch_id = raw_id if isinstance(raw_id, str) and raw_id else "w_local"
    return watch, watch_id


def main(argv: list[str], stdin: IO[str], stdout: IO[str], stderr: IO[str]) -> int:
    """Run `harken classify`; argv excludes the program name and the "classify" word."""
    parser = argparse.ArgumentParser(
        prog="harken classify", description="Classify JSON-lines items for one watch."
    )
    parser.add_argument("--watch", required=True, help="watch JSON file (the body of POST /watches)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed the usage
        return int(exc.code or 0) if exc.code in (0, None) else EXIT_USAGE

    from harken.classify import compile_watch
    from harken.ids import build_mention
    from harken.models import Item

    try:
        watch, watch_id = _load_watch(args.watch)
        compiled = compile_watch(watch)
    except OSError as exc:
        print(f"harken classify: cannot read watch file {args.watch}: {exc.strerror or exc}", file=stderr)
        return EXIT_USAGE
    except json.JSONDecodeError as exc:
        print(f"harken classify: watch file {args.watch} is not JSON: {exc}", file=stderr)
        return EXIT_USAGE
    except ValidationError as exc:
        print(f"harken classify: invalid watch {args.watch}: {_validation_message(exc)}", file=stderr)
        return EXIT_USAGE
    except ValueError as exc:  # QueryError and friends
        print(f"harken classify: invalid watch {args.watch}: {exc}", file=stderr)
        return EXIT_USAGE

    status = EXIT_OK
    for lineno, line in enumerate(stdin, 1):
        if lineno == 1:
            line = line.removeprefix("\ufeff")  # a byte-order mark (editors on Windows write one)
        if not line.strip():
            continue
        try:
            data = json.loads(line.rstrip("\r\n"))
            if not isinstance(data, dict):
                raise ValueError("an item must be a JSON object")
            item = Item.model_validate(data)
        except json.JSONDecodeError as exc:
            status = _bad_line(stdout, stderr, lineno, f"not JSON: {exc.msg} (column {exc.colno})")
            continue
        except RecursionError:
            status = _bad_line(stdout, stderr, lineno, "not an item: the JSON nests too deeply")
            continue
        except ValidationError as exc:
            status = _bad_line(stdout, stderr, lineno, _validation_message(exc))
            continue
        except ValueError as exc:
            status = _bad_line(stdout, stderr, lineno, str(exc))
            continue
        result = compiled.classify(item)
        if result is None:
            out: dict[str, Any] = {"matched": False}
        else:
            out = build_mention(watch_id, "local", item, result).public()
        stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
    stdout.flush()
    return status


def _bad_line(stdout: IO[str], stderr: IO[str], lineno: int, message: str) -> int:
    print(f"harken classify: line {lineno}: {message}", file=stderr)
    stdout.write(json.dumps({"error": message, "line": lineno}, ensure_ascii=False) + "\n")
    return EXIT_BAD_LINES
