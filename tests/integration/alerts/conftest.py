"""Alert integration fixtures: moto tables and queues from template.yaml (the shared `aws` fixture),
a real webhook receiver on 127.0.0.1, and helpers that read the MentionsTable stream and the
DeliveryQueue the way Lambda would hand them to the notifier."""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.unit.alerts.builders import make_mention, make_watch

ROOT = Path(__file__).resolve().parents[3]
__all__ = ["make_mention", "make_watch"]


def load_function(name: str) -> Any:
    """functions/<name>/app.py as a fresh module (each Lambda folder is its own code root)."""
    spec = importlib.util.spec_from_file_location(f"harken_fn_{name}", ROOT / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Receiver:
    """A webhook receiver over real HTTP on 127.0.0.1 that records what it accepted."""

    def __init__(self) -> None:
        self.status = 200
        self.accepted: list[dict[str, Any]] = []
        self.refused = 0
        self.delay = 0.0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if receiver.delay:
                    import time

                    time.sleep(receiver.delay)
                status = receiver.status
                with receiver.lock:
                    if 200 <= status < 300:
                        receiver.accepted.append(
                            {"path": self.path, "headers": dict(self.headers), "body": body}
                        )
                    else:
                        receiver.refused += 1
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


class Stack:
    """Repositories over the moto resources, plus Lambda-shaped events read from them."""

    def __init__(self, resources: Any) -> None:
        from harken.store import aws
        from harken.store.dynamo import MentionRepo, StateRepo, WatchRepo

        self.resources = resources
        self.watches = WatchRepo(aws.table(resources.tables["WatchesTable"]))
        self.mentions = MentionRepo(aws.table(resources.tables["MentionsTable"]))
        self.state = StateRepo(aws.table(resources.tables["StateTable"]))
        self.queue_url = resources.queues["DeliveryQueue"]
        self.dlq_url = resources.queues["DeliveryDLQ"]
        self.stream_arn = resources.stream_arns["MentionsTable"]
        self._shard_iters: dict[str, str] = {}

    def stream_records(self) -> list[dict[str, Any]]:
        """New records of the MentionsTable stream, as the Lambda event's Records (INSERT only,
        like the template's filter)."""
        import boto3

        # botocore's account-based endpoint (123….streams-ddb…) is not routed by moto: name the classic one
        streams = boto3.client(
            "dynamodbstreams",
            region_name="us-east-1",
            endpoint_url="https://streams.dynamodb.us-east-1.amazonaws.com",
        )
        out: list[dict[str, Any]] = []
        shards = streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            sid = shard["ShardId"]
            it = (
                self._shard_iters.get(sid)
                or streams.get_shard_iterator(
                    StreamArn=self.stream_arn, ShardId=sid, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            )
            page = streams.get_records(ShardIterator=it)
            self._shard_iters[sid] = page["NextShardIterator"]
            for record in page["Records"]:
                record = json.loads(json.dumps(record, default=str))
                record["eventSourceARN"] = self.stream_arn
                record["eventSource"] = "aws:dynamodb"
                if record["eventName"] == "INSERT":
                    out.append(record)
        return out

    def queue_records(self, url: str | None = None, max_batches: int = 20) -> list[dict[str, Any]]:
        """Visible DeliveryQueue messages as the Lambda SQS event's Records."""
        from harken.store import aws

        sqs = aws.client("sqs")
        url = url or self.queue_url
        out: list[dict[str, Any]] = []
        for _ in range(max_batches):
            page = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], WaitTimeSeconds=0
            ).get("Messages", [])
            if not page:
                break
            for m in page:
                out.append(
                    {
                        "messageId": m["MessageId"],
                        "receiptHandle": m["ReceiptHandle"],
                        "body": m["Body"],
                        "attributes": m.get("Attributes", {}),
                        "messageAttributes": {},
                        "md5OfBody": m["MD5OfBody"],
                        "eventSource": "aws:sqs",
                        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:DeliveryQueue",
                        "awsRegion": "us-east-1",
                    }
                )
        return out

    def delete(self, records: list[dict[str, Any]], failed_ids: set[str]) -> None:
        """What Lambda does after a partial batch response: delete the successful messages."""
        from harken.store import aws

        for r in records:
            if r["messageId"] not in failed_ids:
                aws.client("sqs").delete_message(QueueUrl=self.queue_url, ReceiptHandle=r["receiptHandle"])

    def queue_depth(self, url: str | None = None) -> int:
        from harken.store import aws

        attrs = aws.client("sqs").get_queue_attributes(
            QueueUrl=url or self.queue_url,
            AttributeNames=[
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            ],
        )["Attributes"]
        return sum(int(v) for v in attrs.values())


def sent_emails() -> list[Any]:
    """Messages moto's SES accepted, parsed."""
    import email
    from email import policy

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    return [email.message_from_string(m.raw_data, policy=policy.default) for m in backend.sent_messages]


@pytest.fixture
def stack(aws: Any, monkeypatch: pytest.MonkeyPatch) -> Stack:
    monkeypatch.setenv("HARKEN_RETRY_BASE_SECONDS", "0")
    monkeypatch.setenv("HARKEN_EMAIL_GROUP_SECONDS", "0")
    monkeypatch.setenv("HARKEN_API_URL", "https://api.harken.test/prod")
    return Stack(aws)


def failed_ids(response: dict[str, Any]) -> set[str]:
    return {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}
