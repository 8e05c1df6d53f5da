"""Creates the template's tables, queues and secrets in a moto backend (a moto server or
`mock_aws`), with the template's key schemas, indexes, streams, TTLs and redrive policies."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harken_local.template import TEMPLATE, Template, ref_name

REGION = "us-east-1"


@dataclass
class Resources:
    tables: dict[str, str] = field(default_factory=dict)  # logical id -> table name
    queues: dict[str, str] = field(default_factory=dict)  # logical id -> queue URL
    queue_arns: dict[str, str] = field(default_factory=dict)
    stream_arns: dict[str, str] = field(default_factory=dict)  # table logical id -> stream ARN
    secrets: dict[str, str] = field(default_factory=dict)  # logical id -> ARN

    def lookup(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """What !Ref / !GetAtt resolve to locally."""
        out: dict[str, str] = {}
        out.update(self.tables)
        out.update(self.queues)
        out.update({f"{k}.Arn": v for k, v in self.queue_arns.items()})
        out.update({f"{k}.QueueName": k for k in self.queues})
        out.update({f"{k}.StreamArn": v for k, v in self.stream_arns.items()})
        out.update(self.secrets)
        out.update(
            {
                "AWS::Region": REGION,
                "AWS::AccountId": "123456789012",
                "AWS::Partition": "aws",
                "AWS::URLSuffix": "amazonaws.com",
                "AWS::StackName": "harken-local",
            }
        )
        out.update(extra or {})
        return out


def _table_args(name: str, props: dict[str, Any]) -> dict[str, Any]:
    args: dict[str, Any] = {
        "TableName": name,
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": props["AttributeDefinitions"],
        "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if props.get("GlobalSecondaryIndexes"):
        args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
    if props.get("StreamSpecification"):
        args["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": props["StreamSpecification"]["StreamViewType"],
        }
    return args


def create_from_template(
    template_path: Path | str = TEMPLATE, *, session: Any = None, sender: str | None = None
) -> Resources:
    """Create every table, queue and secret of the template; names are the logical ids."""
    import boto3

    tpl = Template(Path(template_path))
    session = session or boto3.session.Session(region_name=REGION)
    ddb = session.client("dynamodb", region_name=REGION)
    sqs = session.client("sqs", region_name=REGION)
    res = Resources()

    for name, props in tpl.tables().items():
        out = ddb.create_table(**_table_args(name, props))["TableDescription"]
        res.tables[name] = name
        if out.get("LatestStreamArn"):
            res.stream_arns[name] = out["LatestStreamArn"]
        ttl = props.get("TimeToLiveSpecification")
        if ttl:
            ddb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )

    queues = tpl.queues()
    # dead-letter queues first, so redrive policies can name them
    order = sorted(queues, key=lambda n: "RedrivePolicy" in queues[n])
    for name in order:
        props = queues[name]
        attrs: dict[str, str] = {}
        for key in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds"):
            if key in props:
                attrs[key] = str(props[key])
        redrive = props.get("RedrivePolicy")
        if redrive:
            dlq = ref_name(redrive["deadLetterTargetArn"])
            attrs["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": res.queue_arns[str(dlq)],
                    "maxReceiveCount": str(redrive["maxReceiveCount"]),
                }
            )
        url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
        res.queues[name] = url
        res.queue_arns[name] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]

    secrets = tpl.of_type("AWS::SecretsManager::Secret")
    if secrets:
        sm = session.client("secretsmanager", region_name=REGION)
        for name, r in secrets.items():
            value = r.get("Properties", {}).get("SecretString", "{}")
            res.secrets[name] = sm.create_secret(Name=f"harken-local/{name}", SecretString=value)["ARN"]

    if sender:
        session.client("ses", region_name=REGION).verify_email_identity(EmailAddress=sender)
    return res


def function_environment(res: Resources, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The union of every function's environment, resolved against local resources."""
    from harken_local.template import resolve

    tpl = Template()
    lookup = res.lookup(extra)
    for pname in tpl.parameters:
        lookup.setdefault(pname, tpl.parameter_default(pname))
    env: dict[str, str] = {}
    for spec in tpl.functions().values():
        for key, value in spec.environment.items():
            env[key] = str(resolve(value, lookup))
    return env
