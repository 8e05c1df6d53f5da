"""DynamoDB adapters: watches, mentions (stored once per watch by a conditional put) and the state
table (cursors, delivery ledger, API keys, month-bucket registries). Each repository receives its
boto3 Table resource; nothing here creates a client."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

from harken.models import Mention, Watch, as_utc, iso
from harken.sources.base import Cursor
from harken.store.keys import ApiKeys, hash_key

LEDGER_LEASE_SECONDS = 120


def to_dynamo(value: Any) -> Any:
    """JSON-able data with floats as Decimal, as DynamoDB wants them."""
    return json.loads(json.dumps(value), parse_float=Decimal)


def from_dynamo(value: Any) -> Any:
    """DynamoDB data with Decimals back as int / float and sets as sorted lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: from_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_dynamo(v) for v in value]
    if isinstance(value, set):
        return sorted(from_dynamo(v) for v in value)
    return value


def _conditional_failed(exc: Exception) -> bool:
    response = getattr(exc, "response", None) or {}
    return response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def month_of(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m")


# ------------------------------------------------------------------ watches
class WatchRepo:
    def __init__(self, table: Any) -> None:
        self.table = table

    def put(self, watch: Watch) -> None:
        self.table.put_item(
            Item={
                "tenant_id": watch.tenant_id,
                "watch_id": watch.id,
                "doc": watch.model_dump_json(),
            }
        )

    def get(self, tenant_id: str, watch_id: str) -> Watch | None:
        item = self.table.get_item(Key={"tenant_id": tenant_id, "watch_id": watch_id}).get("Item")
        return Watch.model_validate_json(item["doc"]) if item else None

    def list(self, tenant_id: str) -> list[Watch]:
        from boto3.dynamodb.conditions import Key

        out: list[Watch] = []
        kwargs: dict[str, Any] = {"KeyConditionExpression": Key("tenant_id").eq(tenant_id)}
        while True:
            page = self.table.query(**kwargs)
            out.extend(Watch.model_validate_json(i["doc"]) for i in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return sorted(out, key=lambda w: w.created_at)
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def delete(self, tenant_id: str, watch_id: str) -> bool:
        response = self.table.delete_item(
            Key={"tenant_id": tenant_id, "watch_id": watch_id}, ReturnValues="ALL_OLD"
        )
        return bool(response.get("Attributes"))

    def scan_all(self) -> Iterator[Watch]:
        """Every watch of every tenant: the scheduler's fan-out (never on a request path)."""
        kwargs: dict[str, Any] = {}
        while True:
            page = self.table.scan(**kwargs)
            for item in page.get("Items", []):
                yield Watch.model_validate_json(item["doc"])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# ------------------------------------------------------------------ mentions
def mention_to_item(mention: Mention) -> dict[str, Any]:
    data = mention.public()
    data["tenant_id"] = mention.tenant_id
    data["watch_bucket"] = f"{mention.watch_id}#{month_of(mention.published_at)}"
    data["tenant_bucket"] = f"{mention.tenant_id}#{month_of(mention.published_at)}"
    data["sort_key"] = f"{iso(mention.published_at)}#{mention.id}"
    # One partition per (watch or tenant, filter value, month): the API's main filtered queries
    # (docs/data-model.md) read only the items they return.
    month = month_of(mention.published_at)
    for attr, value in (
        ("category", mention.category),
        ("sentiment", mention.sentiment.label),
        ("status", mention.status),
    ):
        data[f"watch_{attr}_bucket"] = f"{mention.watch_id}#{value}#{month}"
        data[f"tenant_{attr}_bucket"] = f"{mention.tenant_id}#{value}#{month}"
    data["sentiment_label"] = mention.sentiment.label
    data["search_text"] = search_form(f"{mention.title or ''}\n{mention.text}")[:20000]
    return {k: v for k, v in to_dynamo(data).items() if v is not None}


def search_form(text: str) -> str:
    """What `GET /mentions?q=` compares: NFKC, case and Latin accents folded, white space
    collapsed (so "cafe" finds "Café", "e" + a combining accent finds "é", and a query with
    one space finds a text with a line break there). The query takes the same form."""
    from harken.normalize import fold

    return " ".join(fold(text).split())


def mention_from_item(item: dict[str, Any]) -> Mention:
    data = from_dynamo(item)
    return Mention.model_validate(data)


class MentionRepo:
    def __init__(self, table: Any) -> None:
        self.table = table

    def put_new(self, mention: Mention) -> bool:
        """Store a mention unless it exists already. True when this call stored it."""
        try:
            self.table.put_item(Item=mention_to_item(mention), ConditionExpression="attribute_not_exists(id)")
        except Exception as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def get(self, mention_id: str) -> Mention | None:
        item = self.table.get_item(Key={"id": mention_id}).get("Item")
        return mention_from_item(item) if item else None

    def get_for_update(self, mention_id: str) -> tuple[Mention | None, int]:
        """A mention and its revision (how many times it was replaced), read consistently."""
        item = self.table.get_item(Key={"id": mention_id}, ConsistentRead=True).get("Item")
        if not item:
            return None, 0
        return mention_from_item(item), int(item.get("revision", 0))

    def replace(self, mention: Mention, *, revision: int) -> bool:
        """Store a changed mention if it is still at `revision` (optimistic locking: two people
        handling the same mention never lose each other's change). False when someone else
        replaced it since it was read: read it again and re-apply the change."""
        item = mention_to_item(mention)
        item["revision"] = revision + 1
        condition = "attribute_exists(id) AND " + (
            "(attribute_not_exists(revision) OR revision = :r)" if revision == 0 else "revision = :r"
        )
        try:
            self.table.put_item(
                Item=item, ConditionExpression=condition, ExpressionAttributeValues={":r": revision}
            )
        except Exception as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def query_bucket(
        self,
        index: str,
        bucket_attr: str,
        bucket: str,
        *,
        lower: str | None = None,
        upper: str | None = None,
        limit: int = 50,
        start_key: dict[str, Any] | None = None,
        filter_expression: Any = None,
    ) -> dict[str, Any]:
        """One page of a month bucket, newest first, with the raw LastEvaluatedKey."""
        from boto3.dynamodb.conditions import Key

        condition: Any = Key(bucket_attr).eq(bucket)
        if lower and upper:
            condition = condition & Key("sort_key").between(lower, upper)
        elif lower:
            condition = condition & Key("sort_key").gte(lower)
        elif upper:
            condition = condition & Key("sort_key").lte(upper)
        kwargs: dict[str, Any] = {
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        if filter_expression is not None:
            kwargs["FilterExpression"] = filter_expression
        return self.table.query(**kwargs)


# ------------------------------------------------------------------ state table
class StateRepo:
    """Small records keyed by a prefixed `pk`: C# cursors, D# deliveries, K# API keys, B# buckets."""

    def __init__(self, table: Any) -> None:
        self.table = table

    # cursors ---------------------------------------------------------
    def get_cursor(self, job_key: str) -> tuple[Cursor, dict[str, Any]]:
        """The job's cursor and its fault bookkeeping (failures, retry_at)."""
        item = self.table.get_item(Key={"pk": f"C#{job_key}"}).get("Item") or {}
        data = from_dynamo(item)
        cursor = Cursor.from_dict(json.loads(data["cursor"])) if "cursor" in data else Cursor()
        meta = {k: data[k] for k in ("failures", "retry_at", "last_error", "last_ok") if k in data}
        return cursor, meta

    def save_cursor(self, job_key: str, cursor: Cursor, now: float | None = None) -> None:
        self.table.put_item(
            Item={
                "pk": f"C#{job_key}",
                "cursor": json.dumps(cursor.to_dict()),
                "failures": 0,
                "last_ok": int(now or time.time()),
            }
        )

    def record_failure(self, job_key: str, error: str, retry_at: float) -> int:
        """Count a failed fetch without touching the cursor; returns the failure count."""
        response = self.table.update_item(
            Key={"pk": f"C#{job_key}"},
            UpdateExpression="ADD failures :one SET retry_at = :r, last_error = :e",
            ExpressionAttributeValues={":one": 1, ":r": int(retry_at), ":e": error[:500]},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["failures"])

    # delivery ledger ----------------------------------------------------
    def claim_delivery(self, delivery_id: str, now: float | None = None) -> bool:
        """Take the right to send one (mention, channel) delivery. False when it was sent already or
        another worker holds a live lease; an expired lease (a crashed sender) can be re-taken."""
        now = now or time.time()
        try:
            self.table.put_item(
                Item={
                    "pk": f"D#{delivery_id}",
                    "status": "sending",
                    "lease_until": int(now + LEDGER_LEASE_SECONDS),
                    "expires_at": int(now + 90 * 86400),
                },
                ConditionExpression="attribute_not_exists(pk) OR (#s = :sending AND lease_until < :now)",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":sending": "sending", ":now": int(now)},
            )
        except Exception as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True

    def complete_delivery(self, delivery_id: str, detail: str = "") -> None:
        self.table.update_item(
            Key={"pk": f"D#{delivery_id}"},
            UpdateExpression="SET #s = :sent, detail = :d, sent_at = :t REMOVE lease_until",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":sent": "sent", ":d": detail[:500], ":t": int(time.time())},
        )

    def release_delivery(self, delivery_id: str) -> None:
        """Give a claimed delivery back after a failed attempt so a retry can take it at once."""
        self.table.delete_item(
            Key={"pk": f"D#{delivery_id}"},
            ConditionExpression="#s = :sending",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":sending": "sending"},
        )

    def delivery_status(self, delivery_id: str) -> str | None:
        item = self.table.get_item(Key={"pk": f"D#{delivery_id}"}).get("Item")
        return str(item["status"]) if item else None

    # API keys -----------------------------------------------------------
    def put_api_key(self, api_key: str, tenant_id: str, label: str = "") -> None:
        self.table.put_item(
            Item={
                "pk": f"K#{hash_key(api_key)}",
                "tenant_id": tenant_id,
                "label": label,
                "created_at": int(time.time()),
            }
        )

    def delete_api_key(self, key_hash: str) -> bool:
        """Revoke a key by its hash (hash_key of the key); whether there was one."""
        got = self.table.delete_item(Key={"pk": f"K#{key_hash}"}, ReturnValues="ALL_OLD")
        return bool(got.get("Attributes"))

    def api_keys(self) -> list[dict[str, Any]]:
        """Every API key record (hash, tenant, label, created_at): an operator's listing, a scan
        of the small state table filtered on the K# prefix."""
        from boto3.dynamodb.conditions import Attr

        found: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"FilterExpression": Attr("pk").begins_with("K#")}
        while True:
            page = self.table.scan(**kwargs)
            for item in page.get("Items", []):
                data = from_dynamo(item)
                found.append(
                    {
                        "key_hash": str(data["pk"])[2:],
                        "tenant_id": data.get("tenant_id"),
                        "label": data.get("label") or "",
                        "created_at": int(data.get("created_at") or 0),
                    }
                )
            if "LastEvaluatedKey" not in page:
                return sorted(found, key=lambda k: (str(k["tenant_id"]), k["created_at"]))
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def tenant_for_key(self, api_key: str) -> str | None:
        return ApiKeys(self.table).tenant_for_key(api_key)

    # month buckets ------------------------------------------------------
    def add_months(self, mention: Mention) -> None:
        """Register the month bucket a mention lives in, for its watch and its tenant (idempotent)."""
        month = month_of(mention.published_at)
        for pk in (f"B#W#{mention.watch_id}", f"B#T#{mention.tenant_id}"):
            self.table.update_item(
                Key={"pk": pk}, UpdateExpression="ADD months :m", ExpressionAttributeValues={":m": {month}}
            )

    def months(self, *, watch_id: str | None = None, tenant_id: str | None = None) -> list[str]:
        """The month buckets that hold mentions, newest first."""
        pk = f"B#W#{watch_id}" if watch_id else f"B#T#{tenant_id}"
        item = self.table.get_item(Key={"pk": pk}).get("Item") or {}
        return sorted((str(m) for m in item.get("months", set())), reverse=True)

    # generic -------------------------------------------------------------
    def get(self, pk: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"pk": pk}).get("Item")
        return from_dynamo(item) if item else None

    def put(self, pk: str, **attrs: Any) -> None:
        self.table.put_item(Item=to_dynamo({"pk": pk, **attrs}))
