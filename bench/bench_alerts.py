"""Alert delivery throughput: webhook alerts delivered per second by one notifier invocation, to a
local receiver on 127.0.0.1 that answers after a small delay (like a real endpoint), sequential
(concurrency 1) and concurrent in the same run. AWS is moto in-process (the ledger's DynamoDB calls
are included in the time). Bounded: a few hundred alerts, a few seconds.

    .venv/bin/python bench/bench_alerts.py [--alerts 200] [--latency-ms 20] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT / "shared", ROOT / "infra", ROOT):
    sys.path.insert(0, str(p))


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    latency = 0.02
    seen: dict[str, int] = {}
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        time.sleep(self.latency)
        with self.lock:
            key = self.headers.get("X-Harken-Delivery", "")
            self.seen[key] = self.seen.get(key, 0) + 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _stream_records(mentions: list[Any], stream_arn: str) -> list[dict[str, Any]]:
    from boto3.dynamodb.types import TypeSerializer
    from harken.store.dynamo import mention_to_item

    ser = TypeSerializer()
    out = []
    for i, m in enumerate(mentions):
        item = mention_to_item(m)
        out.append(
            {
                "eventID": str(i),
                "eventName": "INSERT",
                "eventSource": "aws:dynamodb",
                "eventSourceARN": stream_arn,
                "dynamodb": {
                    "Keys": {"id": {"S": m.id}},
                    "NewImage": {k: ser.serialize(v) for k, v in item.items()},
                    "SequenceNumber": f"{i:021d}",
                    "StreamViewType": "NEW_IMAGE",
                },
            }
        )
    return out


def run(alerts: int, latency_ms: float, concurrency: int) -> dict[str, Any]:
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)
    import logging

    logging.getLogger("harken").setLevel(logging.WARNING)
    from moto import mock_aws

    Receiver.latency = latency_ms / 1000
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"

    results: dict[str, Any] = {"alerts": alerts, "receiver_latency_ms": latency_ms}
    try:
        with mock_aws():
            from harken.models import Alerts, Match, Mention, Sentiment, Terms, Watch, Webhook
            from harken.service import notify
            from harken.store import aws
            from harken.store.dynamo import MentionRepo, StateRepo, WatchRepo
            from harken_local.resources import create_from_template

            aws.reset()
            res = create_from_template(ROOT / "template.yaml")
            base = notify.NotifierSettings(
                watches_table=res.tables["WatchesTable"],
                mentions_table=res.tables["MentionsTable"],
                state_table=res.tables["StateTable"],
                delivery_queue_url=res.queues["DeliveryQueue"],
                allow_private_urls=True,
            )
            watches = WatchRepo(aws.table(base.watches_table))
            now = datetime(2026, 3, 9, tzinfo=UTC)
            for mode, conc in (("sequential", 1), ("concurrent", concurrency)):
                watch = Watch(
                    id=f"w_bench_{mode}",
                    tenant_id="t_bench",
                    name="Bench",
                    terms=Terms(brand=["Acme"]),
                    alerts=Alerts(webhooks=[Webhook(url=url, secret="bench-secret")]),
                    created_at=now,
                    updated_at=now,
                )
                watches.put(watch)
                mentions = [
                    Mention(
                        id=f"m_{mode}_{i:05d}",
                        watch_id=watch.id,
                        tenant_id=watch.tenant_id,
                        source="reddit",
                        url=f"https://www.reddit.com/r/acme/{i}",
                        title=f"Acme broke {i}",
                        text="Acme lost my files " * 20,
                        author="someone",
                        published_at=now + timedelta(seconds=i),
                        fetched_at=now + timedelta(seconds=i),
                        matches=[Match(term="Acme", kind="brand")],
                        category="reputation",
                        sentiment=Sentiment(label="negative", score=-0.8),
                        intents=["complaint"],
                    )
                    for i in range(alerts)
                ]
                records = _stream_records(mentions, res.stream_arns.get("MentionsTable", "arn:stream"))
                deps = notify.NotifyDeps(
                    watches=watches,
                    mentions=MentionRepo(aws.table(base.mentions_table)),
                    state=StateRepo(aws.table(base.state_table)),
                    client=aws.client,
                    settings=base.model_copy(update={"notify_concurrency": conc}),
                )
                start = time.perf_counter()
                outcome = notify.process_stream_records(records, deps)
                elapsed = time.perf_counter() - start
                delivered = sum(1 for k in Receiver.seen if k.startswith(f"m_{mode}_"))
                dupes = sum(v - 1 for k, v in Receiver.seen.items() if k.startswith(f"m_{mode}_"))
                results[mode] = {
                    "concurrency": conc,
                    "seconds": round(elapsed, 3),
                    "alerts_per_second": round(alerts / elapsed, 1),
                    "delivered": delivered,
                    "duplicates": dupes,
                    "failed_records": len(outcome.failures),
                }
            aws.reset()
    finally:
        server.shutdown()
        server.server_close()
    results["speedup"] = round(
        results["concurrent"]["alerts_per_second"] / results["sequential"]["alerts_per_second"], 2
    )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args(argv)
    r = run(args.alerts, args.latency_ms, args.concurrency)
    if args.json:
        print(json.dumps(r))
    else:
        print(
            f"alerts: {r['alerts']} webhook alerts, receiver latency {r['receiver_latency_ms']} ms (127.0.0.1)"
        )
        for mode in ("sequential", "concurrent"):
            m = r[mode]
            print(
                f"  {mode:<10} concurrency {m['concurrency']:>3}: {m['seconds']:>7.3f} s  "
                f"{m['alerts_per_second']:>8.1f} alerts/s  delivered {m['delivered']}  duplicates {m['duplicates']}"
            )
        print(f"  speedup: {r['speedup']}x")
    ok = all(
        r[m]["delivered"] == r["alerts"] and r[m]["duplicates"] == 0 for m in ("sequential", "concurrent")
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
