"""The local stack: the real handlers against a moto server built from template.yaml.

It drives the event sources as Lambda would: the scheduler on the template's rate, SQS batches
with the template's batch sizes and partial-failure semantics (a failed record becomes visible
again and, after the redrive count, lands in its DLQ), the Mentions table stream to the notifier
(with retries and the on-failure destination), the digest on its schedule, and the API over HTTP
behind the same key authorizer. Every email sent through SES is also written to the outbox."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import secrets
import socket
import sys
import threading
import time
import traceback
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from harken_local.resources import REGION, Resources, create_from_template, function_environment
from harken_local.template import ROOT, FunctionSpec, Template, ref_name

ACCOUNT = "123456789012"
MAX_BODY = 10 * 1024 * 1024  # API Gateway's own payload limit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def parse_rate(expr: str) -> float:
    """Seconds of an EventBridge `rate(N unit)` expression."""
    m = re.fullmatch(r"\s*rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)\s*", expr)
    if not m:
        return 300.0
    n, unit = int(m.group(1)), m.group(2)
    return n * {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]


class FakeContext:
    """The bits of a Lambda context that handlers and Powertools read."""

    def __init__(self, name: str, timeout: int) -> None:
        self.function_name = name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass
class LocalFunction:
    spec: FunctionSpec
    module: ModuleType
    lock: threading.Lock = field(default_factory=threading.Lock)
    invocations: int = 0
    errors: int = 0

    def invoke(self, event: dict[str, Any]) -> Any:
        """One invocation at a time per function, like a single warm Lambda container."""
        handler_name = self.spec.handler.rsplit(".", 1)[1]
        with self.lock:
            self.invocations += 1
            try:
                return getattr(self.module, handler_name)(
                    event, FakeContext(self.spec.name, self.spec.timeout)
                )
            except Exception:
                self.errors += 1
                raise
            finally:
                # With metrics disabled Powertools still buffers them, and prints the buffer once a
                # metric reaches 100 values: drop them, nobody reads them locally.
                metrics = getattr(self.module, "metrics", None)
                if metrics is not None and os.environ.get("POWERTOOLS_METRICS_DISABLED") == "true":
                    metrics.clear_metrics()


def load_function(spec: FunctionSpec) -> LocalFunction:
    module_file, _ = spec.handler.rsplit(".", 1)
    path = ROOT / spec.code_uri / f"{module_file}.py"
    mod_name = f"harken_fn_{spec.name}"
    loader_spec = importlib.util.spec_from_file_location(mod_name, path)
    assert loader_spec and loader_spec.loader
    module = importlib.util.module_from_spec(loader_spec)
    sys.modules[mod_name] = module
    loader_spec.loader.exec_module(module)
    return LocalFunction(spec, module)


def parse_api_keys(value: str) -> dict[str, str]:
    """HARKEN_API_KEYS="key1:tenant1,key2:tenant2" → {key: tenant}."""
    keys: dict[str, str] = {}
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        key, _, tenant = part.partition(":")
        if not key.strip() or not tenant.strip():
            raise ValueError(f"HARKEN_API_KEYS entry {part!r} is not key:tenant")
        from harken.cli import TENANT_ID

        if not TENANT_ID.fullmatch(tenant.strip()):
            raise ValueError(
                f"HARKEN_API_KEYS: tenant {tenant.strip()!r} must be 1-64 letters, digits, '_', '.', '@' or '-'"
            )
        keys[key.strip()] = tenant.strip()
    return keys


class LocalStack:
    def __init__(
        self,
        *,
        port: int = 3000,
        poll_seconds: float | None = None,
        offline: bool = False,
        outbox: Path | None = None,
        api_keys: dict[str, str] | None = None,
        watches_file: Path | None = None,
        retry_seconds: float = 2.0,
        log: Callable[[str], None] | None = None,
    ) -> None:
        self.port = port
        self.offline = offline
        self.outbox = Path(outbox or ".harken/outbox")
        self.api_keys = api_keys or {"hk_" + secrets.token_urlsafe(18): "default"}
        self.watches_file = watches_file
        self.retry_seconds = retry_seconds
        self.log = log or (lambda line: print(line, flush=True))
        self.template = Template()
        self.poll_seconds = poll_seconds or parse_rate(self.template.parameter_default("PollSchedule"))
        self.stop_event = threading.Event()
        self._postponed: set[str] = set()  # see _watch_postponements
        self.threads: list[threading.Thread] = []
        self.functions: dict[str, LocalFunction] = {}
        self.resources = Resources()
        self.moto: Any = None
        self.replay: Any = None
        self.http: ThreadingHTTPServer | None = None
        self.emails_written = 0
        self.ready = threading.Event()
        self.aws_endpoint = ""

    # ------------------------------------------------------------------ start / stop
    def start(self) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        moto_port = free_port()
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
        self.moto.start()
        endpoint = f"http://127.0.0.1:{moto_port}"
        self.aws_endpoint = endpoint
        base_env = {
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "HARKEN_ALLOW_PRIVATE_URLS": "1",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
        }
        os.environ.update(base_env)
        for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
            os.environ.pop(var, None)
        from harken.store import aws

        aws.reset()
        self._postponed = self._watch_postponements()  # before any thread makes a client
        sender = os.environ.get("HARKEN_SENDER_EMAIL") or "alerts@harken.local"
        self.resources = create_from_template(self.template.path, sender=sender)
        api_url = f"http://127.0.0.1:{self.port}"
        env = function_environment(self.resources, {"SenderEmail": sender, "HarkenApi": "local"})
        env["HARKEN_API_URL"] = api_url
        env["HARKEN_DELIVERY_DLQ_URL"] = self.resources.queues.get("DeliveryDLQ", "")
        # an operator's own settings win over the template's (e.g. HARKEN_SENDER_EMAIL)
        for key, value in env.items():
            if os.environ.get(key) and (key == "HARKEN_SENDER_EMAIL" or value == ""):
                continue  # HARKEN_SENDER_EMAIL, HARKEN_USER_AGENT...
            os.environ[key] = value
        os.environ["POWERTOOLS_LOG_LEVEL"] = base_env["POWERTOOLS_LOG_LEVEL"]
        # retries and email grouping on a local scale: seconds rather than minutes
        os.environ["HARKEN_RETRY_BASE_SECONDS"] = str(max(1, int(self.retry_seconds)))
        os.environ["HARKEN_EMAIL_GROUP_SECONDS"] = os.environ.get("HARKEN_LOCAL_EMAIL_GROUP_SECONDS", "5")
        if self.offline:
            from harken_local.replay import replay_env, start_replay_server

            self.replay = start_replay_server()
            os.environ.update(replay_env(self.replay.base_url))
        for spec in self.template.functions().values():
            module_file = spec.handler.rsplit(".", 1)[0]
            if not (ROOT / spec.code_uri / f"{module_file}.py").exists():
                self.log(f"warning: {spec.name} has no code at {spec.code_uri}; its events are not driven")
                continue
            self.functions[spec.name] = load_function(spec)
        self._seed()
        self._start_pollers()
        self._start_api()
        self.ready.set()

    def stop(self) -> None:
        self.stop_event.set()
        if self.http:
            self.http.shutdown()
            self.http.server_close()
        for t in self.threads:
            t.join(timeout=5)
        if self.replay:
            with contextlib.suppress(Exception):
                self.replay.stop()
        if self.moto:
            with contextlib.suppress(Exception):
                self.moto.stop()

    def _thread(self, name: str, target: Callable[[], None]) -> None:
        def run() -> None:
            while not self.stop_event.is_set():
                try:
                    target()
                except Exception:
                    if self.stop_event.is_set():
                        return
                    self.log(f"[{name}] error:\n{traceback.format_exc()}")
                    self.stop_event.wait(1.0)

        t = threading.Thread(target=run, name=name, daemon=True)
        t.start()
        self.threads.append(t)

    # ------------------------------------------------------------------ seeding
    def _seed(self) -> None:
        from harken.ids import new_watch_id
        from harken.models import Watch, WatchDoc, utcnow
        from harken.store import aws
        from harken.store.dynamo import StateRepo, WatchRepo

        state = StateRepo(aws.table(self.resources.tables["StateTable"]))
        for key, tenant in self.api_keys.items():
            state.put_api_key(key, tenant, label="local")
        if not self.watches_file:
            return
        text = Path(self.watches_file).read_text(encoding="utf-8")
        if self.replay is not None:
            text = text.replace("{replay}", self.replay.base_url)
        data = json.loads(text)
        tenant = next(iter(self.api_keys.values()))
        repo = WatchRepo(aws.table(self.resources.tables["WatchesTable"]))
        for raw in data if isinstance(data, list) else [data]:
            now = utcnow()
            watch_in = WatchDoc.model_validate(raw)
            watch = Watch(
                **watch_in.model_dump(), id=new_watch_id(), tenant_id=tenant, created_at=now, updated_at=now
            )
            repo.put(watch)
            self.log(f"watch {watch.id} '{watch.name}' ({len(watch.sources)} sources) for tenant {tenant}")

    # ------------------------------------------------------------------ event sources
    def _start_pollers(self) -> None:
        for fn in self.functions.values():
            for ev_name, ev in fn.spec.events.items():
                if ev.kind == "SQS":
                    self._thread(f"{fn.spec.name}/{ev_name}", self._sqs_poller(fn, ev.properties))
                elif ev.kind == "DynamoDB":
                    self._thread(f"{fn.spec.name}/{ev_name}", self._stream_poller(fn, ev.properties))
                elif ev.kind == "Schedule":
                    every = (
                        self.poll_seconds
                        if fn.spec.name == "SchedulerFunction"
                        else parse_rate(str(ev.properties.get("Schedule", "")))
                    )
                    self._thread(f"{fn.spec.name}/{ev_name}", self._schedule(fn, every))
        self._thread("outbox", self._outbox_writer())

    def _schedule(self, fn: LocalFunction, every: float) -> Callable[[], None]:
        state = {"next": time.monotonic()}

        def tick() -> None:
            if time.monotonic() >= state["next"]:
                state["next"] = time.monotonic() + every
                event = {
                    "version": "0",
                    "id": str(uuid.uuid4()),
                    "detail-type": "Scheduled Event",
                    "source": "aws.events",
                    "account": ACCOUNT,
                    "region": REGION,
                    "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "resources": [],
                    "detail": {},
                }
                try:
                    fn.invoke(event)
                except Exception:
                    self.log(f"[{fn.spec.name}] scheduled run failed:\n{traceback.format_exc()}")
            self.stop_event.wait(0.2)

        return tick

    def _watch_postponements(self) -> set[str]:
        """Receipt handles whose visibility a function set itself (the notifier's retry backoff):
        the poller must not shorten it, as Lambda would not. The hook goes on boto3's default
        session before any client exists, so every client the functions make carries it (on one
        cached client it was lost when two threads made their first SQS client at once)."""
        import boto3

        handles: set[str] = set()

        def note(params: dict[str, Any], **_: Any) -> None:
            if params.get("ReceiptHandle"):
                handles.add(params["ReceiptHandle"])

        boto3.setup_default_session()
        boto3.DEFAULT_SESSION.events.register(  # type: ignore[union-attr]
            "before-parameter-build.sqs.ChangeMessageVisibility", note
        )
        return handles

    def _sqs_poller(self, fn: LocalFunction, props: dict[str, Any]) -> Callable[[], None]:
        from harken.store import aws

        postponed = self._postponed

        queue = str(ref_name(props["Queue"]))
        url = self.resources.queues[queue]
        arn = self.resources.queue_arns[queue]
        batch = min(int(props.get("BatchSize", 10)), 10)
        partial = "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])

        def poll() -> None:
            sqs = aws.client("sqs")
            got = sqs.receive_message(
                QueueUrl=url,
                MaxNumberOfMessages=batch,
                WaitTimeSeconds=1,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not got:
                return
            records = [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": m.get("MessageAttributes", {}),
                    "md5OfBody": m.get("MD5OfBody", ""),
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": REGION,
                }
                for m in got
            ]
            try:
                response = fn.invoke({"Records": records}) or {}
                failed = (
                    {f["itemIdentifier"] for f in response.get("batchItemFailures", [])} if partial else set()
                )
            except Exception:
                self.log(f"[{fn.spec.name}] batch failed:\n{traceback.format_exc()}")
                failed = {r["messageId"] for r in records}
            for m in got:
                if m["MessageId"] in failed:
                    if m["ReceiptHandle"] in postponed:
                        postponed.discard(m["ReceiptHandle"])  # the function chose when to retry
                        continue
                    # Lambda leaves a failed record invisible for the queue's visibility timeout;
                    # locally a short delay keeps redelivery (and the redrive to the DLQ) observable.
                    sqs.change_message_visibility(
                        QueueUrl=url,
                        ReceiptHandle=m["ReceiptHandle"],
                        VisibilityTimeout=int(self.retry_seconds),
                    )
                else:
                    postponed.discard(m["ReceiptHandle"])
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

        return poll

    def _stream_poller(self, fn: LocalFunction, props: dict[str, Any]) -> Callable[[], None]:
        from harken.store import aws

        table = str(ref_name(props["Stream"]))
        stream_arn = self.resources.stream_arns[table]
        batch = int(props.get("BatchSize", 100))
        max_retries = int(props.get("MaximumRetryAttempts", 3))
        partial = "ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or [])
        patterns = [json.loads(f["Pattern"]) for f in (props.get("FilterCriteria") or {}).get("Filters", [])]
        on_failure = (props.get("DestinationConfig") or {}).get("OnFailure", {}).get("Destination")
        dlq_url = self.resources.queues.get(str(ref_name(on_failure))) if on_failure else None
        state: dict[str, Any] = {"iterators": {}, "pending": []}

        def matches(record: dict[str, Any]) -> bool:
            return not patterns or any(
                all(record.get(k) in v for k, v in p.items() if isinstance(v, list)) for p in patterns
            )

        def poll() -> None:
            streams = aws.client("dynamodbstreams")
            if not state["iterators"]:
                shards = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
                for shard in shards:
                    state["iterators"][shard["ShardId"]] = streams.get_shard_iterator(
                        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                    )["ShardIterator"]
            for shard_id, iterator in list(state["iterators"].items()):
                out = streams.get_records(ShardIterator=iterator, Limit=1000)
                state["iterators"][shard_id] = out.get("NextShardIterator") or iterator
                for r in out.get("Records", []):
                    r = dict(r)
                    r["eventSourceARN"] = stream_arn
                    r.setdefault("eventSource", "aws:dynamodb")
                    r.setdefault("awsRegion", REGION)
                    dyn = dict(r.get("dynamodb", {}))
                    if "ApproximateCreationDateTime" in dyn and not isinstance(
                        dyn["ApproximateCreationDateTime"], (int, float)
                    ):
                        dyn["ApproximateCreationDateTime"] = dyn["ApproximateCreationDateTime"].timestamp()
                    r["dynamodb"] = dyn
                    if matches(r):
                        state["pending"].append(r)
                        self._announce(r)
            if not state["pending"]:
                self.stop_event.wait(0.3)
                return
            records = state["pending"][:batch]
            attempts = 0
            while records and not self.stop_event.is_set():
                try:
                    response = fn.invoke({"Records": records}) or {}
                    failures = response.get("batchItemFailures", []) if partial else []
                except Exception:
                    self.log(f"[{fn.spec.name}] stream batch failed:\n{traceback.format_exc()}")
                    failures = [{"itemIdentifier": records[0]["dynamodb"]["SequenceNumber"]}]
                if not failures:
                    break
                first = min(
                    (
                        i
                        for i, r in enumerate(records)
                        if r["dynamodb"]["SequenceNumber"] in {f["itemIdentifier"] for f in failures}
                    ),
                    default=0,
                )
                records = records[first:]  # Lambda retries from the first failed record
                attempts += 1
                if attempts > max_retries:
                    if dlq_url:
                        aws.client("sqs").send_message(
                            QueueUrl=dlq_url,
                            MessageBody=json.dumps(
                                {
                                    "requestContext": {"condition": "RetryAttemptsExhausted"},
                                    "records": [r["dynamodb"]["SequenceNumber"] for r in records],
                                }
                            ),
                        )
                    self.log(f"[{fn.spec.name}] {len(records)} stream records sent to the on-failure queue")
                    break
                self.stop_event.wait(min(self.retry_seconds, 1.0))
            # done with this batch: processed, or handed to the on-failure destination
            state["pending"] = state["pending"][batch:]

        return poll

    def _announce(self, record: dict[str, Any]) -> None:
        image = record.get("dynamodb", {}).get("NewImage") or {}

        def text(name: str) -> str:
            return str((image.get(name) or {}).get("S", ""))

        title = " ".join((text("title") or text("text")).split())[:70]
        label = (image.get("sentiment_label") or {}).get("S", "")
        self.log(f"mention {text('id')} [{text('source')}] {text('category')}/{label}: {title}")

    def _outbox_writer(self) -> Callable[[], None]:
        from moto.ses.models import ses_backends

        self.outbox.mkdir(parents=True, exist_ok=True)

        def write() -> None:
            backend = ses_backends[ACCOUNT][REGION]
            sent = list(backend.sent_messages)
            for message in sent[self.emails_written :]:
                raw = getattr(message, "raw_data", None)
                if raw is None:  # a simple (non-raw) message: rebuild it as MIME
                    from email.message import EmailMessage

                    mime = EmailMessage()
                    mime["From"] = message.source
                    mime["To"] = ", ".join(message.destinations.get("ToAddresses", []))
                    mime["Subject"] = message.subject
                    mime.set_content(message.body)
                    raw = mime.as_string()
                stamp = time.strftime("%Y%m%dT%H%M%S")
                path = self.outbox / f"{stamp}-{message.id}.eml"
                path.write_text(raw, encoding="utf-8")
                self.emails_written += 1
                self.log(f"email written: {path}")
            self.stop_event.wait(0.3)

        return write

    # ------------------------------------------------------------------ API over HTTP
    def _routes(self) -> list[tuple[re.Pattern[str], str, str, bool]]:
        routes = []
        for fn in self.functions.values():
            for ev in fn.spec.events.values():
                if ev.kind != "Api":
                    continue
                path = str(ev.properties["Path"])
                method = str(ev.properties["Method"]).upper()
                public = (ev.properties.get("Auth") or {}).get("Authorizer") == "NONE"
                pattern = re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$")
                routes.append((pattern, path, method, public))
        return routes

    def _start_api(self) -> None:
        stack = self
        routes = self._routes()
        api_fn = next(
            f for f in self.functions.values() if any(e.kind == "Api" for e in f.spec.events.values())
        )
        authorizer = self.functions.get("AuthorizerFunction")

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "harken-local"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                self.send_response(status)
                lower = {k.lower() for k in headers}
                for k, v in headers.items():
                    self.send_header(k, v)
                if "content-type" not in lower:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _error(
                self, status: int, code: str, message: str, headers: dict[str, str] | None = None
            ) -> None:
                body = json.dumps({"error": {"code": code, "message": message}}).encode()
                self._send(status, body, headers or {})

            def _read_chunked(self) -> bytes | None:
                """A `Transfer-Encoding: chunked` body (None: malformed or over MAX_BODY)."""
                parts: list[bytes] = []
                total = 0
                while True:
                    line = self.rfile.readline(100).split(b";", 1)[0].strip()
                    try:
                        size = int(line, 16)
                    except ValueError:
                        return None
                    if size == 0:
                        while self.rfile.readline(1000).strip():  # trailers
                            pass
                        return b"".join(parts)
                    total += size
                    if total > MAX_BODY:
                        return None
                    parts.append(self.rfile.read(size))
                    self.rfile.readline(10)  # the CRLF after the chunk

            def _handle(self) -> None:
                if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                    chunked = self._read_chunked()
                    if chunked is None:
                        self._error(413, "payload_too_large", "request body malformed or over 10 MB")
                        self.close_connection = True
                        return
                    body = chunked
                else:
                    declared = (self.headers.get("Content-Length") or "0").strip()
                    if not declared.isdigit():
                        self._error(400, "bad_request", "Content-Length is not a number of bytes")
                        self.close_connection = True
                        return
                    length = int(declared)
                    if length > MAX_BODY:
                        self._error(413, "payload_too_large", "request body over 10 MB")
                        self.close_connection = True
                        return
                    body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                path = parts.path.rstrip("/") or "/"
                method = self.command.upper()
                if method == "HEAD":
                    method = "GET"  # answered as GET, without the body (_send)
                matched = [(p, tpl, m, pub) for p, tpl, m, pub in routes if p.match(path)]
                if not matched:
                    self._error(404, "not_found", f"no route {path}")
                    return
                route = next((r for r in matched if r[2] == method), None)
                if route is None:
                    allowed = ", ".join(sorted({r[2] for r in matched}))
                    self._error(
                        405, "method_not_allowed", f"{method} is not allowed on {path}", {"Allow": allowed}
                    )
                    return
                pattern, resource, _, public = route
                headers = {k: v for k, v in self.headers.items()}
                multi_headers: dict[str, list[str]] = {}
                for k, v in self.headers.items():
                    multi_headers.setdefault(k, []).append(v)
                qs = parse_qs(parts.query, keep_blank_values=True)
                path_params = pattern.match(path).groupdict() or None  # type: ignore[union-attr]
                request_context: dict[str, Any] = {
                    "resourcePath": resource,
                    "httpMethod": method,
                    "path": path,  # as behind a custom domain: the local URL has no stage
                    "stage": "prod",
                    "requestId": str(uuid.uuid4()),
                    "accountId": ACCOUNT,
                    "apiId": "local",
                    "identity": {
                        "sourceIp": self.client_address[0],
                        "userAgent": self.headers.get("User-Agent"),
                    },
                    "requestTimeEpoch": int(time.time() * 1000),
                }
                event: dict[str, Any] = {
                    "resource": resource,
                    "path": path,
                    "httpMethod": method,
                    "headers": headers,
                    "multiValueHeaders": multi_headers,
                    "queryStringParameters": {k: v[-1] for k, v in qs.items()} or None,
                    "multiValueQueryStringParameters": qs or None,
                    "pathParameters": path_params,
                    "stageVariables": None,
                    "requestContext": request_context,
                    "body": body.decode("utf-8", errors="replace") if body else None,
                    "isBase64Encoded": False,
                }
                if not public and authorizer is not None:
                    key = next((v for k, v in headers.items() if k.lower() == "x-api-key"), "")
                    if not key:
                        self._error(401, "unauthorized", "missing x-api-key header")
                        return
                    auth_event = {
                        "type": "REQUEST",
                        "methodArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:local/prod/{method}{resource}",
                        **{
                            k: event[k]
                            for k in (
                                "resource",
                                "path",
                                "httpMethod",
                                "headers",
                                "multiValueHeaders",
                                "queryStringParameters",
                                "pathParameters",
                                "requestContext",
                            )
                        },
                    }
                    try:
                        policy = authorizer.invoke(auth_event)
                    except Exception:
                        self._error(401, "unauthorized", "missing or invalid x-api-key")
                        return
                    statements = (policy or {}).get("policyDocument", {}).get("Statement", [])
                    if not statements or any(s.get("Effect") != "Allow" for s in statements):
                        self._error(403, "forbidden", "invalid x-api-key")
                        return
                    request_context["authorizer"] = {
                        "principalId": policy.get("principalId"),
                        **(policy.get("context") or {}),
                    }
                try:
                    response = api_fn.invoke(event)
                except Exception:
                    stack.log(f"[api] handler error:\n{traceback.format_exc()}")
                    self._error(502, "bad_gateway", "the API function failed")
                    return
                out_headers = dict(response.get("headers") or {})
                for k, values in (response.get("multiValueHeaders") or {}).items():
                    out_headers[k] = ", ".join(str(v) for v in values)
                raw = response.get("body") or ""
                if response.get("isBase64Encoded"):
                    import base64

                    data = base64.b64decode(raw)
                else:
                    data = raw.encode("utf-8")
                self._send(int(response.get("statusCode", 200)), data, out_headers)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

        self.http = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.http.daemon_threads = True
        t = threading.Thread(target=self.http.serve_forever, name="api", daemon=True)
        t.start()
        self.threads.append(t)
