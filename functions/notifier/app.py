"""Notifier: new mentions from the MentionsTable stream and retries from the DeliveryQueue in,
instant emails and webhooks out, exactly once per (mention, channel). Thin: parse, call
harken.service.notify, report partial batch failures."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from harken.observability import logger, metrics

_stream_processor = BatchProcessor(event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)
_queue_processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
_deps: Any = None


def deps() -> Any:
    """Repositories and clients, built on first use and kept for the container's life."""
    global _deps
    if _deps is None:
        from harken.service.notify import NotifierSettings, NotifyDeps
        from harken.store import aws
        from harken.store.dynamo import MentionRepo, StateRepo, WatchRepo

        settings = NotifierSettings.from_env()
        _deps = NotifyDeps(
            watches=WatchRepo(aws.table(settings.watches_table)),
            mentions=MentionRepo(aws.table(settings.mentions_table)),
            state=StateRepo(aws.table(settings.state_table)),
            client=aws.client,
            settings=settings,
        )
    return _deps


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    from harken.service import notify

    if context is not None and hasattr(context, "aws_request_id"):
        logger.append_keys(request_id=context.aws_request_id)
    records = event.get("Records") or []
    if not records:
        return {"batchItemFailures": []}
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    deps().time_left = (lambda: remaining() / 1000) if remaining is not None else None
    from_queue = records[0].get("eventSource") == "aws:sqs"
    if from_queue:
        outcome = notify.process_delivery_messages(records, deps())
        processor = _queue_processor
    else:
        outcome = notify.process_stream_records(records, deps())
        processor = _stream_processor

    def record_handler(record: Any) -> None:
        rid = record.message_id if from_queue else record.dynamodb.sequence_number
        error = outcome.failures.get(str(rid))
        if error is not None:
            raise error

    for name, value in outcome.counts.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info(
        "notifier batch",
        extra={
            "records": len(records),
            "source": "queue" if from_queue else "stream",
            "counts": dict(outcome.counts),
            "failed": len(outcome.failures),
        },
    )
    return process_partial_response(  # type: ignore[return-value]
        event=event, record_handler=record_handler, processor=processor, context=context
    )
