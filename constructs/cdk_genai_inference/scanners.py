"""Acknowledgments of scanner findings that are inherent to what a construct does.

Two scanners read them. cdk-nag reads CDK's validation acknowledgments, which cover a construct and its
children; checkov reads each CloudFormation resource's ``Metadata.checkov.skip``, so the reasons travel
with the template to a user's own scan.

cdk-nag's packs (AwsSolutions, NIST 800-53 R4 and R5, HIPAA Security, PCI DSS 3.2.1, Serverless) share
many rules, each under its own id. :class:`NagFinding` names such a finding once and lists its id in every
pack that has the rule, so a :class:`Waiver` written for one finding holds under whichever packs a user
runs.

cdk-nag names each wildcard finding after the resource as it renders it (``<AWS::Region>`` for a
reference), so the acknowledgment is computed from the same value the policy holds.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aws_cdk import Acknowledgment, CfnResource, Stack, Validations

from constructs import IConstruct

from .errors import ValidationError

NAG_PACKS = ("AwsSolutions", "NIST.800.53.R4", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321", "Serverless")
"""The name of every cdk-nag pack, as it starts the pack's rule ids."""


class NagFinding(enum.Enum):
    """A finding that cdk-nag's packs report, with its rule id in each pack that has the rule.

    The ids are those of cdk-nag 3; a test runs every pack and checks that each id is reported.
    """

    INLINE_POLICY = (
        "NIST.800.53.R4-IAMNoInlinePolicy",
        "NIST.800.53.R5-IAMNoInlinePolicy",
        "HIPAA.Security-IAMNoInlinePolicy",
        "PCI.DSS.321-IAMNoInlinePolicy",
    )
    LAMBDA_WITHOUT_RESERVED_CONCURRENCY = (
        "NIST.800.53.R5-LambdaConcurrency",
        "HIPAA.Security-LambdaConcurrency",
    )
    LAMBDA_WITHOUT_DLQ = (
        "NIST.800.53.R5-LambdaDLQ",
        "HIPAA.Security-LambdaDLQ",
        "Serverless-LambdaDLQ",
    )
    LAMBDA_OUTSIDE_VPC = (
        "NIST.800.53.R4-LambdaInsideVPC",
        "NIST.800.53.R5-LambdaInsideVPC",
        "HIPAA.Security-LambdaInsideVPC",
        "PCI.DSS.321-LambdaInsideVPC",
    )
    LAMBDA_WITHOUT_TRACING = ("Serverless-LambdaTracing",)
    LAMBDA_DEFAULT_MEMORY = ("Serverless-LambdaDefaultMemorySize",)
    LAMBDA_RUNTIME_NOT_LATEST = (
        "AwsSolutions-L1",
        "Serverless-LambdaLatestVersion",
    )
    LOG_GROUP_WITHOUT_KMS_KEY = (
        "NIST.800.53.R4-CloudWatchLogGroupEncrypted",
        "NIST.800.53.R5-CloudWatchLogGroupEncrypted",
        "HIPAA.Security-CloudWatchLogGroupEncrypted",
        "PCI.DSS.321-CloudWatchLogGroupEncrypted",
    )
    ALARM_WITHOUT_ACTIONS = (
        "NIST.800.53.R4-CloudWatchAlarmAction",
        "NIST.800.53.R5-CloudWatchAlarmAction",
        "HIPAA.Security-CloudWatchAlarmAction",
    )
    ENDPOINT_CONFIG_WITHOUT_KMS_KEY = (
        "NIST.800.53.R4-SageMakerEndpointConfigurationKMSKeyConfigured",
        "NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured",
        "HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured",
        "PCI.DSS.321-SageMakerEndpointConfigurationKMSKeyConfigured",
    )
    STATE_MACHINE_WITHOUT_ALL_LOGS = ("AwsSolutions-SF1",)
    STATE_MACHINE_WITHOUT_XRAY = (
        "AwsSolutions-SF2",
        "Serverless-StepFunctionStateMachineXray",
    )
    BUCKET_WITHOUT_ACCESS_LOGS = (
        "AwsSolutions-S1",
        "NIST.800.53.R4-S3BucketLoggingEnabled",
        "NIST.800.53.R5-S3BucketLoggingEnabled",
        "HIPAA.Security-S3BucketLoggingEnabled",
        "PCI.DSS.321-S3BucketLoggingEnabled",
    )
    BUCKET_WITHOUT_VERSIONING = (
        "NIST.800.53.R4-S3BucketVersioningEnabled",
        "NIST.800.53.R5-S3BucketVersioningEnabled",
        "HIPAA.Security-S3BucketVersioningEnabled",
        "PCI.DSS.321-S3BucketVersioningEnabled",
    )
    BUCKET_WITHOUT_REPLICATION = (
        "NIST.800.53.R4-S3BucketReplicationEnabled",
        "NIST.800.53.R5-S3BucketReplicationEnabled",
        "HIPAA.Security-S3BucketReplicationEnabled",
        "PCI.DSS.321-S3BucketReplicationEnabled",
    )
    BUCKET_WITHOUT_OBJECT_LOCK = ("NIST.800.53.R4-S3BucketDefaultLockEnabled",)
    BUILD_SOURCE_WITHOUT_OAUTH = (
        "NIST.800.53.R4-CodeBuildProjectSourceRepoUrl",
        "HIPAA.Security-CodeBuildProjectSourceRepoUrl",
        "PCI.DSS.321-CodeBuildProjectSourceRepoUrl",
    )

    @property
    def rules(self) -> tuple[str, ...]:
        """The finding's rule id (``<pack>-<rule>``) in each pack that has the rule."""
        return self.value


@dataclass(frozen=True)
class Waiver:
    """One reason, acknowledged under every id the scanners give the same finding.

    Args:
        reason: Why the finding does not apply, as a reviewer of the scan should read it.
        nag: The cdk-nag findings; each is acknowledged under its id in every pack. Default: - none
        checkov: checkov check ids (``CKV_AWS_...``). Default: - none
    """

    reason: str
    nag: tuple[NagFinding, ...] = ()
    checkov: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.reason.strip():
            raise ValidationError("Waiver needs a reason, got an empty one")
        for index, finding in enumerate(self.nag):
            if not isinstance(finding, NagFinding):
                raise ValidationError(
                    f"Waiver nag[{index}] must be a NagFinding, got {finding!r}; "
                    "acknowledge a rule of another pack with scanners.acknowledge"
                )

    @property
    def nag_rules(self) -> tuple[str, ...]:
        """Every cdk-nag rule id the waiver acknowledges."""
        return tuple(rule for finding in self.nag for rule in finding.rules)

    def apply(self, construct: IConstruct, *, cloudformation_type: str | None = None) -> None:
        """Waive on ``construct`` and its children.

        Args:
            construct: Where the waiver holds: this construct and everything under it.
            cloudformation_type: Limits the checkov skips to resources of this type (cdk-nag
                acknowledgments cover every child). Default: - every resource
        """
        waive(construct, self, cloudformation_type=cloudformation_type)


def waive(construct: IConstruct, *waivers: Waiver, cloudformation_type: str | None = None) -> None:
    """Apply ``waivers`` on ``construct`` and its children, as ``Waiver.apply`` of each in turn would,
    with one acknowledgment call and one walk of the tree (each call and each resource read is a round
    trip to the jsii runtime).

    Args:
        construct: Where the waivers hold: this construct and everything under it.
        waivers: The waivers, in the order their checkov skips are listed.
        cloudformation_type: Limits the checkov skips to resources of this type (cdk-nag
            acknowledgments cover every child). Default: - every resource
    """
    acknowledgments = [_acknowledgment(rule, w.reason) for w in waivers for rule in w.nag_rules]
    if acknowledgments:
        Validations.of(construct).acknowledge(*acknowledgments)
    skips = [(check, w.reason) for w in waivers for check in w.checkov]
    if skips:
        _skip_checkov(construct, skips, cloudformation_type)


INLINE_POLICY_WAIVER = Waiver(
    "CDK grants write this policy for this role alone, scoped to what the construct uses (and what its "
    "user grants the role); inline, it is created and deleted with the role and cannot be attached to "
    "another principal.",
    nag=(NagFinding.INLINE_POLICY,),
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
    """Acknowledge one cdk-nag rule on ``construct`` and its children.

    Args:
        construct: Where the acknowledgment holds: this construct and everything under it.
        rule: The rule id, ``<pack>-<rule>`` (``AwsSolutions-IAM5``).
        reason: Why the finding does not apply.
        resource: Only the finding for this wildcard resource. Default: - the whole rule
        action: Only the finding for this wildcard action. Default: - the whole rule
        policy: Only the finding for this managed policy. Default: - the whole rule
    """
    Validations.of(construct).acknowledge(
        _acknowledgment(rule, reason, resource=resource, action=action, policy=policy)
    )


def _acknowledgment(
    rule: str, reason: str, *, resource: str | None = None, action: str | None = None, policy: str | None = None
) -> Acknowledgment:
    finding = next(
        (
            f"[{kind}::{value}]"
            for kind, value in (("Resource", resource), ("Action", action), ("Policy", policy))
            if value
        ),
        "",
    )
    pack = rule.split("-", 1)[0]
    return Acknowledgment(id=f"{pack}::{rule}{finding}", reason=reason)


def skip_checkov(construct: IConstruct, check: str, reason: str, *, cloudformation_type: str | None = None) -> None:
    """Record in the metadata of CloudFormation resources that a checkov check does not apply.

    Args:
        construct: Every resource under this construct gets the skip.
        check: The checkov check id (``CKV_AWS_158``).
        reason: Why the check does not apply; checkov prints it beside the skip.
        cloudformation_type: Only resources of this type. Default: - every resource
    """
    _skip_checkov(construct, [(check, reason)], cloudformation_type)


def _skip_checkov(construct: IConstruct, checks: list[tuple[str, str]], cloudformation_type: str | None) -> None:
    """``skip_checkov`` of each ``(check, reason)`` in turn, reading and writing each resource's metadata once
    (and the type of each class of typed L1 once: each read is a round trip to the jsii runtime)."""
    typed: dict[type, str | None] = {}
    for node in construct.node.find_all():
        if isinstance(node, CfnResource) and (
            cloudformation_type is None or _resource_type(node, typed) == cloudformation_type
        ):
            metadata = node.get_metadata("checkov") or {}
            skips = metadata.get("skip", [])
            for check, reason in checks:  # a check skipped again moves to the end with its new reason
                skips = [*(s for s in skips if s["id"] != check), {"id": check, "comment": reason}]
            node.add_metadata("checkov", {**metadata, "skip": skips})


def _resource_type(resource: CfnResource, typed: dict[type, str | None]) -> str:
    """The resource's CloudFormation type: a typed L1's from its class (``CFN_RESOURCE_TYPE_NAME``, kept in
    ``typed``), a ``CfnResource``'s own."""
    kind = type(resource)
    if kind is CfnResource:
        return resource.cfn_resource_type
    if kind not in typed:
        typed[kind] = getattr(kind, "CFN_RESOURCE_TYPE_NAME", None)
    return typed[kind] or resource.cfn_resource_type  # a class of its own above CfnResource: each its own type


def acknowledge_wildcards(construct: IConstruct, resources: Iterable[str], reason: str) -> None:
    """Acknowledge ``AwsSolutions-IAM5`` for exactly these wildcard resources on ``construct``.

    Args:
        construct: Where the acknowledgment holds (a role, or a construct above it).
        resources: The wildcard resources, as the policy holds them (tokens allowed).
        reason: Why each wildcard is as narrow as it can be.
    """
    wildcards = list(resources)
    if not wildcards:
        return
    resolved = Stack.of(construct).resolve(wildcards)  # one round trip to the jsii runtime for all
    Validations.of(construct).acknowledge(
        *(_acknowledgment("AwsSolutions-IAM5", reason, resource=render(value)) for value in resolved)
    )


def render(value: Any) -> str:
    """A resolved CloudFormation value as cdk-nag prints it in a finding id (its ``flattenCfnReference``):
    ``${x}`` and ``Ref`` become ``<x>``, ``Fn::GetAtt`` ``<resource.attribute>``, ``Fn::ImportValue`` its
    export's name, ``Fn::Join`` its parts joined, and any other value its JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if value.get("Fn::Join"):
            separator, parts = value["Fn::Join"]
            return separator.join(render(part) for part in parts)
        if value.get("Fn::Sub"):
            return render(value["Fn::Sub"])
        if value.get("Fn::GetAtt"):
            resource, attribute = value["Fn::GetAtt"]
            return f"<{render(resource)}.{render(attribute)}>"
        if value.get("Fn::ImportValue"):
            return render(value["Fn::ImportValue"])
        if value.get("Ref"):
            return f"<{render(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
