"""Classifier: decides whether each queued item mentions its watch, tags it, stores it once."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from harken.config import settings
from harken.observability import logger, metrics
from harken.service.ingest import WatchCache, ingest_item
from harken.store import aws
from harken.store.dynamo import MentionRepo, StateRepo, WatchRepo

processor = BatchProcessor(event_type=EventType.SQS)


@cache
def _deps() -> dict[str, Any]:
    from harken.classify import Classifier
    from harken.sentiment import get_backend

    cfg = settings()
    client = aws.client("comprehend") if cfg.sentiment_backend == "comprehend" else None
    classifier = Classifier(sentiment=get_backend(cfg.sentiment_backend, client=client))
    return {
        "watches": WatchCache(WatchRepo(aws.table(cfg.watches_table))),
        "mentions": MentionRepo(aws.table(cfg.mentions_table)),
        "state": StateRepo(aws.table(cfg.state_table)),
        "classifier": classifier,
    }


def record_handler(record: SQSRecord) -> None:
    outcome, mention = ingest_item(json.loads(record.body), **_deps())
    metrics.add_metric(name=f"Items_{outcome}", unit=MetricUnit.Count, value=1)
    if mention is not None and outcome == "stored":
        logger.info("mention stored", extra={"mention_id": mention.id, "watch_id": mention.watch_id})


@logger.inject_lambda_context
@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> Any:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
