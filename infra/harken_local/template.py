"""Reads template.yaml: the tables, queues and functions the local stack creates and runs.

The local stack never hard-codes a resource: what the template declares is what runs, so the
two cannot drift."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


class _Tag:
    def __init__(self, tag: str, value: Any) -> None:
        self.tag = tag
        self.value = value

    def __repr__(self) -> str:
        return f"{self.tag} {self.value!r}"


class _Loader(yaml.SafeLoader):
    pass


def _construct(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> _Tag:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return _Tag(suffix, value)


_Loader.add_multi_constructor("!", _construct)


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=_Loader)


@dataclass
class EventSource:
    kind: str  # SQS | DynamoDB | Schedule | Api
    properties: dict[str, Any]


@dataclass
class FunctionSpec:
    name: str
    code_uri: str
    handler: str
    timeout: int
    environment: dict[str, Any]
    events: dict[str, EventSource] = field(default_factory=dict)


class Template:
    def __init__(self, path: Path = TEMPLATE) -> None:
        self.path = path
        self.doc = load(path)
        self.resources: dict[str, Any] = self.doc.get("Resources", {})
        self.parameters: dict[str, Any] = self.doc.get("Parameters", {})
        self.globals: dict[str, Any] = self.doc.get("Globals", {}).get("Function", {})

    def of_type(self, kind: str) -> dict[str, dict[str, Any]]:
        return {name: r for name, r in self.resources.items() if r.get("Type") == kind}

    def tables(self) -> dict[str, dict[str, Any]]:
        return {n: r["Properties"] for n, r in self.of_type("AWS::DynamoDB::Table").items()}

    def queues(self) -> dict[str, dict[str, Any]]:
        return {n: r.get("Properties", {}) for n, r in self.of_type("AWS::SQS::Queue").items()}

    def functions(self) -> dict[str, FunctionSpec]:
        out = {}
        for name, res in self.of_type("AWS::Serverless::Function").items():
            props = res["Properties"]
            env = dict(self.globals.get("Environment", {}).get("Variables", {}))
            env.update(props.get("Environment", {}).get("Variables", {}))
            events = {
                ev_name: EventSource(ev["Type"], ev.get("Properties", {}))
                for ev_name, ev in (props.get("Events") or {}).items()
            }
            out[name] = FunctionSpec(
                name=name,
                code_uri=props["CodeUri"],
                handler=props["Handler"],
                timeout=int(props.get("Timeout", self.globals.get("Timeout", 3))),
                environment=env,
                events=events,
            )
        return out

    def parameter_default(self, name: str) -> str:
        return str(self.parameters.get(name, {}).get("Default", ""))


def ref_name(value: Any) -> str | None:
    """The logical id behind !Ref X or !GetAtt X.Attr."""
    if isinstance(value, _Tag):
        if value.tag == "Ref":
            return str(value.value)
        if value.tag == "GetAtt":
            target = value.value if isinstance(value.value, str) else ".".join(value.value)
            return target.split(".", 1)[0]
    return None


def resolve(value: Any, lookup: dict[str, str]) -> Any:
    """Resolve !Ref / !GetAtt / !Sub against `lookup` (logical id or `X.Attr` → local value)."""
    if isinstance(value, _Tag):
        if value.tag == "Ref":
            return lookup.get(str(value.value), "")
        if value.tag == "GetAtt":
            target = value.value if isinstance(value.value, str) else ".".join(value.value)
            return lookup.get(target, lookup.get(target.split(".", 1)[0], ""))
        if value.tag == "Sub":
            text = value.value if isinstance(value.value, str) else value.value[0]
            return re.sub(r"\$\{([^}]+)\}", lambda m: str(lookup.get(m.group(1), "")), text)
        return ""
    if isinstance(value, dict):
        return {k: resolve(v, lookup) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, lookup) for v in value]
    return value
