"""Every cdk-nag pack a user may choose, run once on the whole reference app (the pipeline's stage stacks
included) beside a stack of a user's own mistakes: nothing the library creates is reported under any pack,
and what the user got wrong is reported under every pack that has the rule, so the library's
acknowledgments never reach past what they explain.

The other tests run AwsSolutions and NIST 800-53 R5 only; this module adds NIST 800-53 R4, HIPAA Security,
PCI DSS 3.2.1 and Serverless, and it is where a rule id of ``NagFinding`` proves to be real.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import cx_api
from cdk_nag import (
    AwsSolutionsChecks,
    HIPAASecurityChecks,
    NIST80053R4Checks,
    NIST80053R5Checks,
    PCIDSS321Checks,
    ServerlessChecks,
)

from cdk_genai_inference import (
    DeploymentPolicy,
    InstancePool,
    InstancePoolEndpoint,
    Model,
    RecommendationJob,
    RecommendedModels,
    S3Location,
    ValidationError,
)
from cdk_genai_inference.scanners import NAG_PACKS, NagFinding, Waiver, acknowledge_wildcards, waive
from conftest import REPO
from constructs import Construct
from stacks.reference_app import build
from synthesis import ENV, IMAGE

CONTEXT: dict[str, Any] = json.loads((REPO / "cdk.json").read_text())["context"]
PACKS = (
    AwsSolutionsChecks,
    NIST80053R4Checks,
    NIST80053R5Checks,
    HIPAASecurityChecks,
    PCIDSS321Checks,
    ServerlessChecks,
)
USER = "UserMistakes"
OWN = f"{USER}/Own/"
"""What the user writes beside the library's constructs lives under this path."""
MISTAKES: dict[NagFinding, str] = {
    NagFinding.INLINE_POLICY: f"{OWN}Role/DefaultPolicy/Resource",
    NagFinding.LAMBDA_WITHOUT_RESERVED_CONCURRENCY: f"{OWN}Function/Resource",
    NagFinding.LAMBDA_WITHOUT_DLQ: f"{OWN}Function/Resource",
    NagFinding.LAMBDA_OUTSIDE_VPC: f"{OWN}Function/Resource",
    NagFinding.LAMBDA_WITHOUT_TRACING: f"{OWN}Function/Resource",
    NagFinding.LAMBDA_DEFAULT_MEMORY: f"{OWN}Function/Resource",
    NagFinding.LAMBDA_RUNTIME_NOT_LATEST: f"{OWN}Function/Resource",
    NagFinding.LOG_GROUP_WITHOUT_KMS_KEY: f"{OWN}Logs/Resource",
    NagFinding.ALARM_WITHOUT_ACTIONS: f"{OWN}Alarm/Resource",
    NagFinding.ENDPOINT_CONFIG_WITHOUT_KMS_KEY: f"{USER}/Ebs/EndpointConfig",
    NagFinding.STATE_MACHINE_WITHOUT_ALL_LOGS: f"{OWN}StateMachine/Resource",
    NagFinding.STATE_MACHINE_WITHOUT_XRAY: f"{OWN}StateMachine/Resource",
    NagFinding.BUCKET_WITHOUT_ACCESS_LOGS: f"{OWN}Bucket/Resource",
    NagFinding.BUCKET_WITHOUT_VERSIONING: f"{OWN}Bucket/Resource",
    NagFinding.BUCKET_WITHOUT_REPLICATION: f"{OWN}Bucket/Resource",
    NagFinding.BUCKET_WITHOUT_OBJECT_LOCK: f"{OWN}Bucket/Resource",
    NagFinding.BUILD_SOURCE_WITHOUT_OAUTH: f"{OWN}Project/Resource",
}
"""Where the user's stack has each finding the library acknowledges on its own resources."""


def user_mistakes(app: cdk.App) -> None:
    """A user's stack: the library's constructs (an NVMe endpoint, an EBS-only one without a key, a
    resolver that brings the AI-job provider), and beside them what the user wrote, each with a finding."""
    stack = cdk.Stack(app, USER, env=ENV)
    model = Model(stack, "Model", image_uri=IMAGE)
    for id, instance_type in (("Nvme", "ml.p5.48xlarge"), ("Ebs", "ml.inf2.48xlarge")):
        endpoint = InstancePoolEndpoint(
            stack,
            id,
            model=model,
            instance_pools=[InstancePool(instance_type)],
            deployment=DeploymentPolicy.rolling(),
            dashboard=False,
        )
    RecommendedModels(
        stack,
        "Resolved",
        job=RecommendationJob.from_job_name(stack, "Job", "llama-8b-sizing"),
        instance_types=["ml.g6.12xlarge"],
        model_data=[S3Location.from_uri("s3://genai-artifacts-111122223333/recommendations/")],
    )
    own = Construct(stack, "Own")
    cw.Alarm(own, "Alarm", metric=endpoint.metric_invocations(), threshold=1, evaluation_periods=1)
    role = iam.Role(own, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::user-data/*"]))
    lambda_.Function(
        own,
        "Function",
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
    )
    logs.LogGroup(own, "Logs", retention=logs.RetentionDays.ONE_MONTH)
    sfn.StateMachine(own, "StateMachine", definition_body=sfn.DefinitionBody.from_chainable(sfn.Pass(own, "Pass")))
    s3.Bucket(own, "Bucket")
    codebuild.PipelineProject(own, "Project")


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> cx_api.CloudAssembly:
    # The report instead of an exception: the tests below read each pack's findings from it.
    context = {**CONTEXT, "@aws-cdk/core:failSynthOnValidationErrors": False}
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("all-packs")), context=context)
    build(app, env=ENV)
    user_mistakes(app)
    cdk.Validations.of(app).add_plugins(*(pack(app) for pack in PACKS))
    return app.synth()


@pytest.fixture(scope="module")
def reports(assembly: cx_api.CloudAssembly) -> dict[str, dict[str, Any]]:
    report = json.loads((Path(assembly.directory) / "validation-report.json").read_text())
    return {plugin["pluginName"]: plugin for plugin in report["pluginReports"]}


def findings(reports: dict[str, dict[str, Any]], kind: str) -> set[tuple[str, str, str]]:
    """(pack, rule id, construct path) of every finding of ``kind`` (``violations``, ``suppressedViolations``)."""
    return {
        (pack, violation["ruleName"], construct["constructPath"])
        for pack, plugin in reports.items()
        for violation in plugin.get(kind, [])
        for construct in violation["violatingConstructs"]
    }


def users_own(path: str) -> bool:
    return path.startswith(OWN) or path in MISTAKES.values()


def test_every_pack_scanned_every_stack(assembly: cx_api.CloudAssembly, reports: dict[str, dict[str, Any]]) -> None:
    """Each pack ran, and each stack of the assembly (the pipeline's stage stacks too) has findings the
    library acknowledged: the scan reached it."""
    assert set(reports) == set(NAG_PACKS)
    acknowledged = {path for _, _, path in findings(reports, "suppressedViolations")}
    stacks = [stack.hierarchical_id for stack in assembly.stacks_recursively]
    assert len(stacks) == 10  # 5 app stacks, the pipeline's 4 stage stacks and the user's stack
    unscanned = [s for s in stacks if not any(path.startswith(f"{s}/") for path in acknowledged)]
    assert unscanned == []


def test_nothing_the_library_creates_is_reported_under_any_pack(reports: dict[str, dict[str, Any]]) -> None:
    open_findings = sorted(f for f in findings(reports, "violations") if not users_own(f[2]))
    assert open_findings == [], "\n".join(f"{pack}: {rule} on {path}" for pack, rule, path in open_findings)


@pytest.mark.parametrize("finding", list(NagFinding), ids=lambda f: f.name)
def test_a_users_own_mistake_is_reported_under_every_pack_that_has_the_rule(
    reports: dict[str, dict[str, Any]], finding: NagFinding
) -> None:
    """Every rule id of every ``NagFinding`` is one that its pack really reports, and the library's
    acknowledgment of it stays on the library's resources: the user's resource beside them is reported."""
    path = MISTAKES[finding]
    reported = {rule for _, rule, where in findings(reports, "violations") if where == path}
    assert set(finding.rules) <= reported, f"not reported on {path}: {sorted(set(finding.rules) - reported)}"


def test_every_rule_id_names_its_pack() -> None:
    for finding in NagFinding:
        packs = [rule.split("-", 1)[0] for rule in finding.rules]
        assert set(packs) <= set(NAG_PACKS), finding
        assert len(packs) == len(set(packs)), f"{finding.name} lists a pack twice"


def test_every_acknowledgment_carries_a_written_reason(reports: dict[str, dict[str, Any]]) -> None:
    suppressed = [v for plugin in reports.values() for v in plugin.get("suppressedViolations", [])]
    assert suppressed
    assert [v["acknowledgedId"] for v in suppressed if len(v.get("reason") or "") < 40] == []


def test_a_waiver_names_findings_and_gives_a_reason() -> None:
    with pytest.raises(ValidationError, match=r"Waiver nag\[0\] must be a NagFinding, got 'HIPAA.Security-LambdaDLQ'"):
        Waiver("A reason long enough to read.", nag=("HIPAA.Security-LambdaDLQ",))  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="Waiver needs a reason, got an empty one"):
        Waiver(" ", nag=(NagFinding.LAMBDA_WITHOUT_DLQ,))
    waiver = Waiver("Why.", nag=(NagFinding.LAMBDA_WITHOUT_DLQ, NagFinding.STATE_MACHINE_WITHOUT_XRAY))
    assert waiver.nag_rules == (
        "NIST.800.53.R5-LambdaDLQ",
        "HIPAA.Security-LambdaDLQ",
        "Serverless-LambdaDLQ",
        "AwsSolutions-SF2",
        "Serverless-StepFunctionStateMachineXray",
    )


def test_waivers_applied_together_record_what_each_applied_in_turn_records() -> None:
    """``waive`` walks the tree once for several waivers: the acknowledgments and the checkov skips it
    writes are those of ``Waiver.apply`` called for each in turn: existing skips of other checks kept,
    a check skipped again replaced (also within one call)."""
    first = Waiver("Reason one, long enough.", nag=(NagFinding.LAMBDA_WITHOUT_DLQ,), checkov=("CKV_AWS_116",))
    second = Waiver("Reason two, long enough.", nag=(NagFinding.LAMBDA_OUTSIDE_VPC,), checkov=("CKV_AWS_117",))
    repeated = Waiver("Reason three, replacing.", checkov=("CKV_AWS_1",))
    again = Waiver("Reason four, replacing one's.", checkov=("CKV_AWS_116",))

    def recorded(apply: Any) -> list[Any]:
        stack = cdk.Stack(cdk.App(), "Waived")
        scope = Construct(stack, "Scope")
        topics = [cdk.CfnResource(scope, name, type="AWS::SNS::Topic") for name in ("A", "B")]
        queue = cdk.CfnResource(scope, "Queue", type="AWS::SQS::Queue")
        topics[0].add_metadata(
            "checkov", {"skip": [{"id": "CKV_AWS_1", "comment": "old"}, {"id": "X", "comment": "y"}]}
        )
        apply(scope)
        return [
            [(entry.type, entry.data) for entry in scope.node.metadata],
            *(node.get_metadata("checkov") for node in (*topics, queue)),
        ]

    def in_turn(scope: Any) -> None:
        for waiver in (first, second, repeated, again):
            waiver.apply(scope, cloudformation_type="AWS::SNS::Topic")

    together = recorded(
        lambda scope: waive(scope, first, second, repeated, again, cloudformation_type="AWS::SNS::Topic")
    )
    assert together == recorded(in_turn)
    assert together[1]["skip"] == [
        {"id": "X", "comment": "y"},
        {"id": "CKV_AWS_117", "comment": "Reason two, long enough."},
        {"id": "CKV_AWS_1", "comment": "Reason three, replacing."},
        {"id": "CKV_AWS_116", "comment": "Reason four, replacing one's."},
    ]
    assert together[3] is None  # the queue is not of the type


def test_a_skip_by_type_finds_typed_l1s_and_each_resource_of_a_class_of_its_own() -> None:
    """The type of a typed L1 is read from its class, once per class; a class of one's own above
    ``CfnResource`` may make resources of several types, and each is read on its own."""

    class Generic(cdk.CfnResource):
        pass

    stack = cdk.Stack(cdk.App(), "Typed")
    scope = Construct(stack, "Scope")
    logs_ = [logs.CfnLogGroup(scope, f"Logs{index}") for index in range(2)]
    generic = [Generic(scope, kind, type=f"AWS::{kind}::Thing") for kind in ("A", "B")]
    untyped = cdk.CfnResource(scope, "Untyped", type="AWS::Logs::LogGroup")
    skip = Waiver("Reason, long enough.", checkov=("CKV_AWS_1",))
    skip.apply(scope, cloudformation_type="AWS::Logs::LogGroup")
    Waiver("Another reason, long enough.", checkov=("CKV_AWS_2",)).apply(scope, cloudformation_type="AWS::B::Thing")
    skipped = {node.node.id: node.get_metadata("checkov") for node in (*logs_, *generic, untyped)}
    assert skipped == {
        "Logs0": {"skip": [{"id": "CKV_AWS_1", "comment": "Reason, long enough."}]},
        "Logs1": {"skip": [{"id": "CKV_AWS_1", "comment": "Reason, long enough."}]},
        "A": None,
        "B": {"skip": [{"id": "CKV_AWS_2", "comment": "Another reason, long enough."}]},
        "Untyped": {"skip": [{"id": "CKV_AWS_1", "comment": "Reason, long enough."}]},
    }


def test_a_wildcard_is_acknowledged_as_cdk_nag_names_it_whatever_its_intrinsics() -> None:
    """cdk-nag itself decides: a resource rendered unlike its finding id would stay unacknowledged."""
    app = cdk.App()
    stack = cdk.Stack(app, "Wildcards", env=ENV)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    wildcards = [
        "arn:aws:s3:::genai-models/*",
        f"arn:aws:s3:::{cdk.Fn.import_value('ModelBucket')}/*",
        cdk.Fn.sub("arn:${AWS::Partition}:s3:::genai-${AWS::AccountId}/*"),
        f"{cdk.Fn.select(0, cdk.Fn.split(',', cdk.Fn.import_value('Prefixes')))}/*",
    ]
    role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=wildcards))
    acknowledge_wildcards(role, wildcards, "Each prefix is one model's weights, read whole.")
    app.synth()  # raises on an unacknowledged finding
