"""CloudFormation's intrinsic functions, resolved as CloudFormation resolves them at deploy time: references
and attributes from what the simulated deployment produced, pseudo parameters from the stack's environment."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Unresolved(Exception):
    """A value the simulation does not know (a resource it did not create, an attribute nobody returned)."""


@dataclass
class Environment:
    """What intrinsics resolve against: pseudo parameters, each resource's Ref and attributes."""

    account: str = "111122223333"
    region: str = "us-west-2"
    partition: str = "aws"
    stack_name: str = "Stack"
    refs: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)
    placeholders: bool = False
    """Render what is unknown as ``<LogicalId>`` / ``<LogicalId.Attribute>`` instead of failing."""

    @property
    def stack_id(self) -> str:
        """The stack's ARN, ending in a UUID as CloudFormation's do (a fixed one per account, region and name)."""
        key = uuid.uuid5(uuid.NAMESPACE_URL, f"{self.account}/{self.region}/{self.stack_name}")
        return f"arn:{self.partition}:cloudformation:{self.region}:{self.account}:stack/{self.stack_name}/{key}"

    def pseudo(self, name: str) -> Any:
        values = {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": self.stack_name,
            "AWS::StackId": self.stack_id,
            "AWS::NoValue": None,
        }
        if name not in values:
            raise Unresolved(f"pseudo parameter {name}")
        return values[name]


def resolve(value: Any, env: Environment) -> Any:
    """``value`` with every intrinsic replaced by its deploy-time value; raises ``Unresolved`` naming what is missing."""
    if isinstance(value, list):
        return [resolve(item, env) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((name, argument),) = value.items()
        if name == "Ref":
            if argument.startswith("AWS::"):
                return env.pseudo(argument)
            if argument not in env.refs:
                if env.placeholders:
                    return f"<{argument}>"
                raise Unresolved(f"Ref {argument}")
            return env.refs[argument]
        if name == "Fn::GetAtt":
            logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
            if attribute not in env.attributes.get(logical_id, {}):
                if env.placeholders:
                    return f"<{logical_id}.{attribute}>"
                raise Unresolved(f"Fn::GetAtt {logical_id}.{attribute}")
            return env.attributes[logical_id][attribute]
        if name == "Fn::Join":
            separator, parts = argument
            return separator.join(_text(resolve(part, env)) for part in resolve(parts, env))
        if name == "Fn::Sub":
            template, variables = (argument, {}) if isinstance(argument, str) else argument
            names = {k: resolve(v, env) for k, v in variables.items()}
            return re.sub(r"\$\{([^}!]+)\}", lambda m: _text(_sub(m.group(1), names, env)), template)
        if name == "Fn::Select":
            index, items = argument
            return resolve(items, env)[int(resolve(index, env))]
        if name == "Fn::Split":
            separator, text = argument
            return str(resolve(text, env)).split(separator)
        if name == "Fn::If" or name.startswith("Fn::Equals"):
            raise Unresolved(f"{name} (conditions are not simulated)")
        if name.startswith("Fn::"):
            raise Unresolved(name)
    return {k: resolve(v, env) for k, v in value.items()}


def _sub(name: str, variables: Mapping[str, Any], env: Environment) -> Any:
    if name in variables:
        return variables[name]
    if name.startswith("AWS::"):
        return env.pseudo(name)
    if "." in name:
        logical_id, attribute = name.split(".", 1)
        return resolve({"Fn::GetAtt": [logical_id, attribute]}, env)
    return resolve({"Ref": name}, env)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)
