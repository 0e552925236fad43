"""Acknowledgments of cdk-nag findings that are inherent to what a construct does.

cdk-nag names each wildcard finding after the resource as it renders it (``<AWS::Region>`` for a
reference), so the acknowledgment is computed from the same value the policy holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations

from constructs import IConstruct


def acknowledge_wildcards(construct: IConstruct, resources: Iterable[str], reason: str) -> None:
    """Acknowledge ``AwsSolutions-IAM5`` for exactly these wildcard resources on ``construct``."""
    stack = Stack.of(construct)
    acks = [
        Acknowledgment(
            id=f"AwsSolutions::AwsSolutions-IAM5[Resource::{_render(stack.resolve(resource))}]",
            reason=reason,
        )
        for resource in resources
    ]
    Validations.of(construct).acknowledge(*acks)


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "<{}.{}>".format(*value["Fn::GetAtt"])
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(_render(part) for part in parts)
    raise ValueError(f"cannot render {value!r} for a cdk-nag acknowledgment")
