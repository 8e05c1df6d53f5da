"""`harken`: the command line. Talks HTTP to the API (mentions, watches, stats), creates API keys in
the state table, and dispatches `classify`, `local` and `deliveries redrive` to their own modules.

Endpoint and key: --endpoint / --api-key, else HARKEN_ENDPOINT / HARKEN_API_KEY, else
.harken/config.json in the working directory, else ~/.config/harken/config.toml
(`endpoint = "…"`, `api_key = "…"`), else http://127.0.0.1:3000 (the local stack)."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

DEFAULT_ENDPOINT = "http://127.0.0.1:3000"
EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

# Tests point the CLI at an in-process API (httpx.WSGITransport); None means real HTTP.
transport: Any = None


class CliError(Exception):
    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


# ------------------------------------------------------------------ configuration
def _config_files(cwd: Path, home: Path, env: dict[str, str]) -> list[tuple[Path, str]]:
    xdg = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else home / ".config"
    return [(cwd / ".harken" / "config.json", "json"), (xdg / "harken" / "config.toml", "toml")]


def load_config(
    endpoint: str | None,
    api_key: str | None,
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    home: Path | None = None,
) -> tuple[str, str]:
    """(endpoint, api key): flags, then environment, then the config files, then the local stack."""
    env = dict(os.environ if env is None else env)
    endpoint = endpoint or env.get("HARKEN_ENDPOINT") or None
    api_key = api_key or env.get("HARKEN_API_KEY") or None
    for path, kind in _config_files(cwd or Path.cwd(), home or Path.home(), env):
        if endpoint and api_key:
            break
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        try:
            if kind == "json":
                data = json.loads(text)
            else:
                import tomllib

                data = tomllib.loads(text)
        except ValueError as exc:
            raise CliError(f"cannot read {path}: {exc}", EXIT_USAGE) from exc
        if isinstance(data, dict):
            endpoint = endpoint or data.get("endpoint") or None
            api_key = api_key or data.get("api_key") or None
    return (endpoint or DEFAULT_ENDPOINT).rstrip("/"), api_key or ""


# ------------------------------------------------------------------ HTTP
class Api:
    def __init__(self, endpoint: str, api_key: str) -> None:
        import httpx

        self._httpx = httpx
        headers = {"user-agent": "harken-cli", "accept": "application/json"}
        if api_key:
            headers["x-api-key"] = api_key
        self.client = httpx.Client(base_url=endpoint, headers=headers, timeout=30.0, transport=transport)
        self.endpoint = endpoint

    def call(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None) -> Any:
        params = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self.client.request(method, path, params=params, json=body)
        except self._httpx.HTTPError as exc:
            raise CliError(f"cannot reach {self.endpoint}: {exc}") from exc
        if response.status_code == 204:
            return None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 400:
            raise CliError(describe_error(response.status_code, data, response.text))
        return data


def describe_error(status: int, data: Any, text: str) -> str:
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        field = f" ({error['field']})" if error.get("field") else ""
        return f"{status} {error.get('code', 'error')}{field}: {error.get('message', '')}"
    return f"{status}: {text[:300]}"


# ------------------------------------------------------------------ output
def table(rows: Sequence[Sequence[Any]], headers: Sequence[str], widths: dict[int, int] | None = None) -> str:
    """A plain aligned text table; columns listed in `widths` are cut to that many characters."""
    widths = widths or {}

    def cell(i: int, value: Any) -> str:
        text = "" if value is None else " ".join(str(value).split())
        limit = widths.get(i)
        return text if not limit or len(text) <= limit else text[: limit - 1] + "…"

    cells = [[cell(i, v) for i, v in enumerate(row)] for row in rows]
    sizes = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.upper().ljust(sizes[i]) for i, h in enumerate(headers)).rstrip()]
    lines += ["  ".join(r[i].ljust(sizes[i]) for i in range(len(headers))).rstrip() for r in cells]
    return "\n".join(lines)


def _mention_rows(items: list[dict[str, Any]]) -> str:
    rows = [
        (
            m.get("id"),
            m.get("published_at"),
            m.get("source"),
            m.get("category"),
            (m.get("sentiment") or {}).get("label"),
            m.get("status"),
            m.get("title") or m.get("text"),
        )
        for m in items
    ]
    headers = ("id", "published", "source", "category", "sentiment", "status", "title")
    return table(rows, headers, {6: 60})


def _match_text(match: dict[str, Any]) -> str:
    return f"{match.get('term')} [{match.get('kind')}/{match.get('how')}]"


def _show_mention(m: dict[str, Any]) -> str:
    sentiment = m.get("sentiment") or {}
    lines = [
        f"{m.get('id')}  ({m.get('watch_id')})",
        f"  {m.get('title') or ''}".rstrip(),
        f"  url:        {m.get('url')}",
        f"  source:     {m.get('source')}   author: {m.get('author') or '-'}   language: {m.get('language') or '-'}",
        f"  published:  {m.get('published_at')}   fetched: {m.get('fetched_at')}",
        f"  category:   {m.get('category')}   sentiment: {sentiment.get('label')} ({sentiment.get('score')})",
        f"  intents:    {', '.join(m.get('intents') or []) or '-'}",
        "  matches:    " + ", ".join(_match_text(x) for x in m.get("matches") or []),
        f"  status:     {m.get('status')}   assignee: {m.get('assignee') or '-'}   note: {m.get('note') or '-'}",
    ]
    if m.get("handled_at"):
        lines.append(f"  handled:    {m['handled_at']} ({m.get('time_to_handle_seconds')} s after detection)")
    text = " ".join(str(m.get("text") or "").split())
    lines += ["", "  " + (text[:1000] + ("…" if len(text) > 1000 else ""))]
    for h in m.get("history") or []:
        lines.append(f"  {h.get('at')}  {h.get('field')}: {h.get('from')!r} → {h.get('to')!r}")
    return "\n".join(lines)


def _watch_rows(items: list[dict[str, Any]]) -> str:
    rows = []
    for w in items:
        terms = sum(len(v) for v in (w.get("terms") or {}).values() if isinstance(v, list))
        sources = ",".join(sorted({s.get("type", "?") for s in w.get("sources") or []}))
        rows.append((w.get("id"), w.get("name"), terms, w.get("query") or "", sources))
    return table(rows, ("id", "name", "terms", "query", "sources"), {1: 40, 3: 40, 4: 50})


def _show_stats(s: dict[str, Any]) -> str:
    sent, cat = s.get("sentiment") or {}, s.get("category") or {}
    median = s.get("median_time_to_handle_seconds")
    lines = [
        f"{s.get('since')} → {s.get('until')}  per {s.get('interval')}"
        + (f"  watch {s['watch_id']}" if s.get("watch_id") else ""),
        f"total {s.get('total')}   positive {sent.get('positive')}  neutral {sent.get('neutral')}  "
        f"negative {sent.get('negative')}   reputation {cat.get('reputation')}  "
        f"crowd_marketing {cat.get('crowd_marketing')}  smm {cat.get('smm')}",
        f"handled {s.get('handled')}   median time to handle "
        + (f"{median / 60:.1f} min" if isinstance(median, int | float) else "-"),
        "",
    ]
    rows = [
        (
            b["start"],
            b["total"],
            b["sentiment"]["positive"],
            b["sentiment"]["neutral"],
            b["sentiment"]["negative"],
            b["category"]["reputation"],
            b["category"]["crowd_marketing"],
            b["category"]["smm"],
        )
        for b in s.get("buckets") or []
        if b.get("total")
    ]
    headers = ("start", "total", "pos", "neu", "neg", "reputation", "crowd", "smm")
    lines.append(table(rows, headers) if rows else "(no mentions in range)")
    return "\n".join(lines)


# ------------------------------------------------------------------ commands
def _mention_filters(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "watch_id": args.watch_id,
        "category": args.category,
        "sentiment": args.sentiment,
        "intent": args.intent,
        "source": args.source,
        "language": args.language,
        "status": args.status,
        "since": args.since,
        "until": args.until,
        "q": args.q,
    }


def cmd_mentions_list(api: Api, args: argparse.Namespace, out: IO[str]) -> int:
    params = {**_mention_filters(args), "limit": args.limit, "cursor": args.cursor}
    items: list[dict[str, Any]] = []
    while True:
        page = api.call("GET", "/mentions", params=params)
        items += page["items"]
        params["cursor"] = page.get("next_cursor")
        if not args.all or not params["cursor"]:
            break
    if args.json:
        _json_out(out, {"items": items, "next_cursor": params["cursor"]})
    else:
        out.write(_mention_rows(items) + "\n")
        if params["cursor"]:
            out.write(f"\nmore: --cursor {params['cursor']}\n")
    return EXIT_OK


def cmd_mentions_show(api: Api, args: argparse.Namespace, out: IO[str]) -> int:
    mention = api.call("GET", f"/mentions/{args.id}")
    _json_out(out, mention) if args.json else out.write(_show_mention(mention) + "\n")
    return EXIT_OK


def cmd_mentions_handle(api: Api, args: argparse.Namespace, out: IO[str]) -> int:
    body: dict[str, Any] = {"status": args.status}
    if args.note is not None:
        body["note"] = args.note
    if args.assignee is not None:
        body["assignee"] = args.assignee
    mention = api.call("PATCH", f"/mentions/{args.id}", body=body)
    if args.json:
        _json_out(out, mention)
    else:
        out.write(
            f"{mention['id']}: {mention['status']}"
            + (f" ({mention['assignee']})" if mention.get("assignee") else "")
            + "\n"
        )
    return EXIT_OK


def cmd_stats(api: Api, args: argparse.Namespace, out: IO[str]) -> int:
    params = {"watch_id": args.watch_id, "interval": args.interval, "since": args.since, "until": args.until}
    stats = api.call("GET", "/stats", params=params)
    _json_out(out, stats) if args.json else out.write(_show_stats(stats) + "\n")
    return EXIT_OK


def cmd_watches_list(api: Api, args: argparse.Namespace, out: IO[str]) -> int:
    items = api.call("GET", "/watches")["items"]
    _json_out(out, {"items": items}) if args.json else out.write(_watch_rows(items) + "\n")
    return EXIT_OK


def cmd_watches_show(api: Api, args: argparse.Namespace, out: IO[str]) -> int:
    _json_out(out, api.call("GET", f"/watches/{args.id}"))
    return EXIT_OK


def _read_watches(path: str) -> list[dict[str, Any]]:
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}", EXIT_USAGE) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CliError(f"{path} is not JSON: {exc}", EXIT_USAGE) from exc
    watches = data if isinstance(data, list) else [data]
    if not watches or not all(isinstance(w, dict) for w in watches):
        raise CliError(f"{path} must hold a watch object or a list of them", EXIT_USAGE)
    return watches


_SERVER_FIELDS = ("id", "created_at", "updated_at")


def cmd_watches_create(api: Api, args: argparse.Namespace, out: IO[str]) -> int:
    created = []
    for watch in _read_watches(args.file):
        body = {k: v for k, v in watch.items() if k not in _SERVER_FIELDS}
        created.append(api.call("POST", "/watches", body=body))
    _report_watches(out, args, created, "created")
    return EXIT_OK


def cmd_watches_apply(api: Api, args: argparse.Namespace, out: IO[str]) -> int:
    """Create or replace each watch of the file: by its `id` when it has one, else by its name."""
    existing = {w["name"]: w["id"] for w in api.call("GET", "/watches")["items"]}
    applied = []
    for watch in _read_watches(args.file):
        body = {k: v for k, v in watch.items() if k not in _SERVER_FIELDS}
        watch_id = watch.get("id") or existing.get(str(watch.get("name")))
        if watch_id:
            applied.append(api.call("PUT", f"/watches/{watch_id}", body=body))
        else:
            applied.append(api.call("POST", "/watches", body=body))
    _report_watches(out, args, applied, "applied")
    return EXIT_OK


def _report_watches(out: IO[str], args: argparse.Namespace, watches: list[dict[str, Any]], verb: str) -> None:
    if args.json:
        _json_out(out, watches[0] if len(watches) == 1 else {"items": watches})
    else:
        for w in watches:
            out.write(f"{verb} {w['id']}  {w['name']}\n")


def cmd_watches_delete(api: Api, args: argparse.Namespace, out: IO[str]) -> int:
    api.call("DELETE", f"/watches/{args.id}")
    _json_out(out, {"deleted": args.id}) if args.json else out.write(f"deleted {args.id}\n")
    return EXIT_OK


def cmd_watches_poll(api: Api, args: argparse.Namespace, out: IO[str]) -> int:
    result = api.call("POST", f"/watches/{args.id}/poll")
    _json_out(out, result) if args.json else out.write(f"queued {result['jobs']} fetch jobs for {args.id}\n")
    return EXIT_OK


# A tenant id is part of secret names and log fields: letters, digits and a few marks.
TENANT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")


def _state(args: argparse.Namespace) -> tuple[Any, str]:
    from harken.store import aws
    from harken.store.dynamo import StateRepo

    table_name = args.table or os.environ.get("HARKEN_STATE_TABLE") or "StateTable"
    return StateRepo(aws.table(table_name)), table_name


def cmd_keys_create(args: argparse.Namespace, out: IO[str]) -> int:
    """A new API key for a tenant, stored hashed; printed once and never again."""
    import secrets

    if not TENANT_ID.fullmatch(args.tenant):
        raise CliError(
            f"tenant {args.tenant!r}: use 1-64 letters, digits, '_', '.', '@' or '-' (starting with a letter or digit)"
        )
    repo, table_name = _state(args)
    key = "hk_" + secrets.token_urlsafe(32)
    try:
        repo.put_api_key(key, args.tenant, label=args.label or "")
    except Exception as exc:  # botocore errors: no credentials, no table, …
        raise CliError(f"cannot store the key in {table_name}: {exc}") from exc
    if args.json:
        _json_out(out, {"api_key": key, "tenant_id": args.tenant, "table": table_name})
    else:
        out.write(f"{key}\n")
        print(f"API key for tenant {args.tenant!r} (shown once; store it now)", file=sys.stderr)
    return EXIT_OK


def cmd_keys_list(args: argparse.Namespace, out: IO[str]) -> int:
    """The stored keys: hash prefix, tenant, label, creation time (the keys themselves are not kept)."""
    repo, table_name = _state(args)
    try:
        keys = repo.api_keys()
    except Exception as exc:
        raise CliError(f"cannot read keys from {table_name}: {exc}") from exc
    if args.json:
        _json_out(out, {"items": keys})
        return EXIT_OK
    out.write(f"{'KEY HASH':<14}{'TENANT':<24}{'CREATED':<22}LABEL\n")
    for k in keys:
        created = datetime.fromtimestamp(k["created_at"], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        out.write(f"{k['key_hash'][:12]:<14}{str(k['tenant_id'])[:22]:<24}{created:<22}{k['label']}\n")
    return EXIT_OK


def cmd_keys_revoke(args: argparse.Namespace, out: IO[str]) -> int:
    """Delete a key, given the key itself or (a unique prefix of) its hash from `keys list`."""
    from harken.store.dynamo import hash_key

    repo, table_name = _state(args)
    target = args.key.strip()
    try:
        if target.startswith("hk_"):
            full = hash_key(target)
        else:
            matches = [k["key_hash"] for k in repo.api_keys() if k["key_hash"].startswith(target.lower())]
            if len(matches) != 1:
                raise CliError(f"{len(matches)} keys have a hash starting with {target!r}; give more of it")
            full = matches[0]
        gone = repo.delete_api_key(full)
    except CliError:
        raise
    except Exception as exc:
        raise CliError(f"cannot revoke the key in {table_name}: {exc}") from exc
    if not gone:
        raise CliError("no such key")
    out.write(f"revoked {full[:12]} (API Gateway may still accept it for up to 5 minutes: its cache)\n")
    return EXIT_OK


def _json_out(out: IO[str], data: Any) -> None:
    out.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


# ------------------------------------------------------------------ parser
def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--endpoint", default=argparse.SUPPRESS, help="API base URL (HARKEN_ENDPOINT)")
    common.add_argument("--api-key", default=argparse.SUPPRESS, help="API key (HARKEN_API_KEY)")
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="JSON output for scripts"
    )

    parser = argparse.ArgumentParser(
        prog="harken",
        parents=[common],
        description="Harken: brand mentions from the public web. API commands need an endpoint and a key.",
        epilog="Also: harken classify --watch W.json < items.jsonl | harken local [--offline] | "
        "harken deliveries redrive",
    )
    groups = parser.add_subparsers(dest="group", metavar="COMMAND")

    def command(sub: Any, name: str, func: Callable[..., int], help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help, description=help)
        p.set_defaults(func=func)
        return p

    mentions = groups.add_parser("mentions", help="list, show and handle mentions").add_subparsers(
        dest="action", metavar="ACTION", required=True
    )
    p = command(mentions, "list", cmd_mentions_list, "list mentions, newest first")
    p.add_argument("--watch-id")
    p.add_argument("--category", choices=["reputation", "crowd_marketing", "smm"])
    p.add_argument("--sentiment", choices=["positive", "neutral", "negative"])
    p.add_argument(
        "--intent", choices=["complaint", "question", "purchase_intent", "recommendation_request", "praise"]
    )
    p.add_argument("--source")
    p.add_argument("--language")
    p.add_argument("--status", choices=["new", "in_progress", "handled", "ignored"])
    p.add_argument("--since", help="ISO 8601")
    p.add_argument("--until", help="ISO 8601")
    p.add_argument("-q", "--query", dest="q", help="text contains")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--cursor")
    p.add_argument("--all", action="store_true", help="follow next_cursor to the last page")
    p = command(mentions, "show", cmd_mentions_show, "show one mention")
    p.add_argument("id")
    p = command(mentions, "handle", cmd_mentions_handle, "mark a mention handled (or another status)")
    p.add_argument("id")
    p.add_argument("--note")
    p.add_argument("--assignee")
    p.add_argument("--status", default="handled", choices=["new", "in_progress", "handled", "ignored"])

    p = groups.add_parser("stats", parents=[common], help="counts per hour or day, time to handle")
    p.set_defaults(func=cmd_stats)
    p.add_argument("--watch-id")
    p.add_argument("--interval", choices=["hour", "day"], default="day")
    p.add_argument("--since", help="ISO 8601")
    p.add_argument("--until", help="ISO 8601")

    watches = groups.add_parser(
        "watches", help="list, create, apply, delete and poll watches"
    ).add_subparsers(dest="action", metavar="ACTION", required=True)
    command(watches, "list", cmd_watches_list, "list watches")
    command(watches, "show", cmd_watches_show, "show one watch as JSON").add_argument("id")
    p = command(watches, "create", cmd_watches_create, "create the watch(es) of a JSON file")
    p.add_argument("-f", "--file", required=True, help="watch JSON (an object or a list; - for stdin)")
    p = command(
        watches, "apply", cmd_watches_apply, "create or replace the watch(es) of a file, by id or name"
    )
    p.add_argument("-f", "--file", required=True, help="watch JSON (an object or a list; - for stdin)")
    command(watches, "delete", cmd_watches_delete, "delete a watch").add_argument("id")
    command(watches, "poll", cmd_watches_poll, "fetch a watch's sources now").add_argument("id")

    keys = groups.add_parser("keys", help="API keys (written to the state table with AWS credentials)")
    keys_sub = keys.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = keys_sub.add_parser("create", parents=[common], help="create an API key for a tenant; prints it once")
    p.set_defaults(func=None, keys=cmd_keys_create)
    p.add_argument("--tenant", required=True)
    p.add_argument(
        "--table", help="StateTable name (stack output StateTableName; default $HARKEN_STATE_TABLE)"
    )
    p.add_argument("--label", help="a note stored with the key")
    table_help = "StateTable name (stack output StateTableName; default $HARKEN_STATE_TABLE)"
    p = keys_sub.add_parser(
        "list", parents=[common], help="list the stored keys (hash prefix, tenant, label)"
    )
    p.set_defaults(func=None, keys=cmd_keys_list)
    p.add_argument("--table", help=table_help)
    p = keys_sub.add_parser("revoke", parents=[common], help="delete a key (the key, or its hash prefix)")
    p.set_defaults(func=None, keys=cmd_keys_revoke)
    p.add_argument("key", help="the key (hk_…) or the start of its hash as `keys list` shows it")
    p.add_argument("--table", help=table_help)

    # Listed for --help; dispatched before parsing.
    groups.add_parser("classify", help="dry-run a watch over JSON-lines items (harken classify --help)")
    groups.add_parser("local", help="run the whole system on this machine (harken local --help)")
    groups.add_parser("deliveries", help="redrive failed alert deliveries (harken deliveries redrive --help)")
    return parser


def _dispatch_other(argv: list[str]) -> int | None:
    """Commands owned by other modules, imported only when used."""
    if not argv:
        return None
    if argv[0] == "classify":
        from harken.classify_cli import main as classify_main

        # JSON lines are UTF-8 whatever the locale says; a line with bytes that are not UTF-8 is
        # that line's error (its text does not validate), not a crash that loses the lines after.
        for stream, errors in ((sys.stdin, "surrogateescape"), (sys.stdout, "backslashreplace")):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(encoding="utf-8", errors=errors)
        try:
            return classify_main(argv[1:], sys.stdin, sys.stdout, sys.stderr)
        except BrokenPipeError:
            # The reader went away (`harken classify ... | head`): stop quietly, as Unix tools do.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141
    if argv[0] == "local":
        from harken_local.cli import main as local_main

        return local_main(argv[1:])
    if argv[0] == "deliveries" and len(argv) > 1 and argv[1] == "redrive":
        from harken.alerts.cli import redrive_main

        return redrive_main(argv[2:])
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    other = _dispatch_other(argv)
    if other is not None:
        return other
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_OK if exc.code in (0, None) else EXIT_USAGE
    if not getattr(args, "group", None):
        parser.print_help()
        return EXIT_USAGE
    args.json = bool(getattr(args, "json", False))
    out = sys.stdout
    try:
        if getattr(args, "keys", None):
            return args.keys(args, out)
        endpoint, api_key = load_config(getattr(args, "endpoint", None), getattr(args, "api_key", None))
        if not api_key:
            raise CliError(
                "no API key: use --api-key, HARKEN_API_KEY or a config file (see harken --help)", EXIT_USAGE
            )
        return args.func(Api(endpoint, api_key), args, out)
    except CliError as exc:
        print(f"harken: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
