"""Acknowledgments of cdk-nag findings that are inherent to what a construct does.

cdk-nag names each wildcard finding after the resource as it renders it (``<AWS::Region>`` for a
reference), so the acknowledgment is computed from the same value the policy holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations

from constructs import IConstruct


def acknowledge(
    construct: IConstruct,
    rule: str,
    reason: str,
    *,
    resource: str | None = None,
    action: str | None = None,
    policy: str | None = None,
) -> None:
    """Acknowledge AwsSolutions ``rule`` on ``construct`` and its children: the whole rule, or one
    finding of it (a wildcard ``resource`` or ``action``, or a managed ``policy``)."""
    finding = next(
        (
            f"[{kind}::{value}]"
            for kind, value in (("Resource", resource), ("Action", action), ("Policy", policy))
            if value
        ),
        "",
    )
    Validations.of(construct).acknowledge(Acknowledgment(id=f"AwsSolutions::{rule}{finding}", reason=reason))


def acknowledge_wildcards(construct: IConstruct, resources: Iterable[str], reason: str) -> None:
    """Acknowledge ``AwsSolutions-IAM5`` for exactly these wildcard resources on ``construct``."""
    stack = Stack.of(construct)
    for resource in resources:
        acknowledge(construct, "AwsSolutions-IAM5", reason, resource=render(stack.resolve(resource)))


def render(value: Any) -> str:
    """A resolved CloudFormation value as cdk-nag prints it in a finding id."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        return re.sub(r"\$\{([^}]+)\}", r"<\1>", value["Fn::Sub"])
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(render(part) for part in parts)
    raise ValueError(f"cannot render {value!r} for a cdk-nag acknowledgment")
