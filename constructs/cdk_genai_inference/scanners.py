"""Acknowledgments of scanner findings that are inherent to what a construct does.

Two scanners read them. cdk-nag (the AwsSolutions and NIST 800-53 R5 packs) reads CDK's validation
acknowledgments, which cover a construct and its children. checkov reads each CloudFormation
resource's ``Metadata.checkov.skip``, so the reasons travel with the template to a user's own scan.

cdk-nag names each wildcard finding after the resource as it renders it (``<AWS::Region>`` for a
reference), so the acknowledgment is computed from the same value the policy holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations

from constructs import IConstruct


@dataclass(frozen=True)
class Waiver:
    """One reason, acknowledged under every id the scanners give the same finding."""

    reason: str
    nag: tuple[str, ...] = ()
    checkov: tuple[str, ...] = ()

    def apply(self, construct: IConstruct, *, cloudformation_type: str | None = None) -> None:
        """Waive on ``construct`` and its children (checkov: only resources of ``cloudformation_type``)."""
        for rule in self.nag:
            acknowledge(construct, rule, self.reason)
        for check in self.checkov:
            skip_checkov(construct, check, self.reason, cloudformation_type=cloudformation_type)


INLINE_POLICY_WAIVER = Waiver(
    "CDK grants write this policy for this role alone, scoped to what the construct uses (and what its "
    "user grants the role); inline, it is created and deleted with the role and cannot be attached to "
    "another principal.",
    nag=("NIST.800.53.R5-IAMNoInlinePolicy",),
)


def acknowledge(
    construct: IConstruct,
    rule: str,
    reason: str,
    *,
    resource: str | None = None,
    action: str | None = None,
    policy: str | None = None,
) -> None:
    """Acknowledge cdk-nag ``rule`` (``<pack>-<rule>``) on ``construct`` and its children: the whole
    rule, or one finding of it (a wildcard ``resource`` or ``action``, or a managed ``policy``)."""
    finding = next(
        (
            f"[{kind}::{value}]"
            for kind, value in (("Resource", resource), ("Action", action), ("Policy", policy))
            if value
        ),
        "",
    )
    pack = rule.split("-", 1)[0]
    Validations.of(construct).acknowledge(Acknowledgment(id=f"{pack}::{rule}{finding}", reason=reason))


def skip_checkov(construct: IConstruct, check: str, reason: str, *, cloudformation_type: str | None = None) -> None:
    """Record in the metadata of every CloudFormation resource under ``construct`` (of one type, if
    given) that checkov's ``check`` does not apply, and why."""
    for node in construct.node.find_all():
        if isinstance(node, CfnResource) and cloudformation_type in (None, node.cfn_resource_type):
            metadata = node.get_metadata("checkov") or {}
            skips = [s for s in metadata.get("skip", []) if s["id"] != check]
            node.add_metadata("checkov", {**metadata, "skip": [*skips, {"id": check, "comment": reason}]})


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
