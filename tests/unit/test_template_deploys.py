"""The template as CloudFormation sees it after the SAM transform: things `sam validate` and
cfn-lint on the SAM file do not catch, and a real deploy would refuse or get wrong."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def transformed() -> dict[str, Any]:
    import os

    from cfnlint.decode import decode
    from samtranslator.translator.transform import transform

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    template, _ = decode(str(ROOT / "template.yaml"))
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if key in props:
                props[key] = "s3://bucket/key"

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    return transform(template, {"SenderEmail": "alerts@example.com"}, NoManagedPolicies())  # type: ignore[no-any-return]


def _refs(node: Any, found: set[str]) -> set[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                found.update(name.split(".")[0] for name in re.findall(r"\$\{([^}!]+)\}", text))
                if isinstance(value, list):
                    _refs(value[1], found)
            else:
                _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)
    return found


def test_no_dependency_cycle(transformed: dict[str, Any]) -> None:
    """CloudFormation refuses a stack whose resources depend on each other in a circle (an
    API URL in the functions' global environment made the API's own function depend on it)."""
    resources = transformed["Resources"]
    graph: dict[str, set[str]] = {}
    for name, resource in resources.items():
        deps = _refs(resource.get("Properties", {}), set()) | _refs(resource.get("Metadata", {}), set())
        depends_on = resource.get("DependsOn", [])
        deps |= {depends_on} if isinstance(depends_on, str) else set(depends_on)
        graph[name] = {d for d in deps if d in resources}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for dep in sorted(graph[node]):
            if state.get(dep) == 1:
                return [*path, node, dep]
            if dep not in state and (cycle := visit(dep, [*path, node])):
                return cycle
        state[node] = 2
        return None

    for name in sorted(graph):
        if name not in state:
            assert visit(name, []) is None


def test_alarm_topic_is_usable_by_cloudwatch(transformed: dict[str, Any]) -> None:
    """CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key."""
    topic = transformed["Resources"]["AlarmTopic"]["Properties"]
    assert topic.get("KmsMasterKeyId") != "alias/aws/sns"


def test_email_may_be_sent_from_a_domain_identity(transformed: dict[str, Any]) -> None:
    """SES checks the verified identity, which may be the sender's domain: the policy allows
    any identity, only from the configured sender."""
    for name in ("NotifierFunctionRole", "DigestFunctionRole"):
        statements = [
            s
            for policy in transformed["Resources"][name]["Properties"]["Policies"]
            for s in policy.get("PolicyDocument", {}).get("Statement", [])
            if "ses:SendRawEmail" in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
        ]
        assert any(
            s.get("Condition", {}).get("StringEquals", {}).get("ses:FromAddress") == {"Ref": "SenderEmail"}
            and "identity/*" in str(s["Resource"])
            for s in statements
        ), statements


def test_fetchers_run_few_at_once(transformed: dict[str, Any]) -> None:
    """Source rate limits are kept per container: the fetch queue's trigger caps containers."""
    mappings = [
        r["Properties"]
        for r in transformed["Resources"].values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and "FetchQueue" in str(r["Properties"]["EventSourceArn"])
    ]
    assert mappings and mappings[0]["ScalingConfig"]["MaximumConcurrency"] == 2
