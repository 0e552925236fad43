"""The reference app: nag-clean, lint-clean, snapshotted, configurable, and synthesized by the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks
from syrupy.extensions.json import JSONSnapshotExtension

from cdk_genai_inference import InstancePool, InstancePoolEndpoint, Model, ValidationError
from conftest import ENV, IMAGE, REPO, lint, mask_volatile, new_stack, synth
from stacks.config import ServingConfig
from stacks.serving_stack import ServingStack

CONTEXT: dict[str, Any] = json.loads((REPO / "cdk.json").read_text())["context"]


def reference_app(**context: Any) -> tuple[cdk.App, ServingStack]:
    app = cdk.App(context={**CONTEXT, **context})
    stack = ServingStack(app, "GenAiServing", config=ServingConfig.from_context(app.node), env=ENV)
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    return app, stack


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    app, _ = reference_app()
    assembly = app.synth()  # raises when cdk-nag reports an unacknowledged finding
    return assembly.get_stack_by_name("GenAiServing").template


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


def test_reference_stack_passes_cfn_lint(reference: dict[str, Any]) -> None:
    assert lint(reference) == []


def test_reference_stack_matches_snapshot(reference: dict[str, Any], snapshot_json) -> None:
    assert mask_volatile(reference) == snapshot_json


def test_minimal_stack_matches_snapshot(snapshot_json) -> None:
    stack = new_stack("Minimal")
    InstancePoolEndpoint(
        stack,
        "Endpoint",
        model=Model(stack, "Model", image_uri=IMAGE),
        instance_pools=[InstancePool("ml.g6.12xlarge")],
    )
    assert mask_volatile(synth(stack).to_json()) == snapshot_json


def test_reference_stack_follows_the_launch_setup(reference: dict[str, Any]) -> None:
    resources = reference["Resources"].values()
    config = next(r for r in resources if r["Type"] == "AWS::SageMaker::EndpointConfig")["Properties"]
    variant = config["ProductionVariants"][0]
    assert variant["InstancePools"] == [
        {"InstanceType": "ml.p5.48xlarge", "Priority": 1},
        {"InstanceType": "ml.g6.48xlarge", "Priority": 2},
    ]
    assert variant["RoutingConfig"]["RoutingStrategy"] == "LEAST_OUTSTANDING_REQUESTS"
    policy = next(r for r in resources if r["Type"] == "AWS::ApplicationAutoScaling::ScalingPolicy")["Properties"]
    assert policy["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 0.7
    endpoint = next(r for r in resources if r["Type"] == "AWS::SageMaker::Endpoint")["Properties"]
    assert "RollingUpdatePolicy" in endpoint["DeploymentConfig"]
    assert len(endpoint["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]) == 3


def test_nag_fails_synthesis_on_an_unacknowledged_finding() -> None:
    """The nag check above can fail: a wildcard policy without a reason stops synthesis."""
    app = cdk.App()
    stack = cdk.Stack(app, "Loose", env=ENV)
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"]))
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    with pytest.raises(Exception, match="AwsSolutions-IAM5"):
        app.synth()


def test_context_values_from_the_command_line_are_parsed() -> None:
    _, stack = reference_app(
        **{
            "serving:pools": '[{"instanceType": "ml.g6e.12xlarge", "maxConcurrency": 16}]',
            "serving:maxCapacity": "6",
        }
    )
    assert stack.endpoint.instance_types == ["ml.g6e.12xlarge"]


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"serving:maxCapacity": "six"}, "context key 'serving:maxCapacity' must be JSON (int), got 'six'"),
        (
            {"serving:targetUtilization": "true"},
            "context key 'serving:targetUtilization' must be float, got True",
        ),
        ({"serving:pools": '[{"type": "ml.g6.xlarge"}]'}, "context serving:pools[0] needs instanceType"),
        (
            {"serving:deployment": "big-bang"},
            "context serving:deployment must be rolling, canary, linear or all-at-once",
        ),
    ],
)
def test_bad_context_fails_with_a_clear_message(context: dict[str, Any], message: str) -> None:
    with pytest.raises(
        ValidationError,
        match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]"),
    ):
        reference_app(**context)


def test_missing_context_key_is_named() -> None:
    app = cdk.App(context={k: v for k, v in CONTEXT.items() if k != "serving:endpointName"})
    with pytest.raises(ValidationError, match="context key 'serving:endpointName' is missing"):
        ServingConfig.from_context(app.node)


def test_the_real_cdk_cli_synthesizes_the_app_and_the_summary_reads_it(tmp_path: Path) -> None:
    """What `./dev synth` runs: the pinned CLI, cdk.json's context, no AWS account."""
    env = {
        **os.environ,
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
    }
    for key in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(key, None)
    cli = REPO / "node_modules" / ".bin" / "cdk"
    out = tmp_path / "cdk.out"
    synth_run = subprocess.run(
        [str(cli), "synth", "--quiet", "--no-notices", "--ci", "--output", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert synth_run.returncode == 0, synth_run.stderr
    assert "end-of-life" not in synth_run.stderr
    summary = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "summarize.py"), str(out)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "GenAiServing:" in summary
    assert "1  ml.p5.48xlarge     max 20" in summary
    assert "2  ml.g6.48xlarge     max 8" in summary
    assert "Scaling: 1-4 instances, target weighted utilization 0.7" in summary
    assert (
        "(FILL(p5_48xlarge_sum,0)/20 + FILL(g6_48xlarge_sum,0)/8) / (FILL(p5_48xlarge_n,0) + FILL(g6_48xlarge_n,0))"
        in summary
    )
    assert "rolls back on 3 alarm(s)" in summary
