"""The reference app: clean under cdk-nag (AwsSolutions, NIST 800-53 R5), checkov and cfn-lint,
snapshotted, configurable, and synthesized by the real CLI."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_iam as iam
from aws_cdk import cx_api
from syrupy.extensions.json import JSONSnapshotExtension

from cdk_genai_inference import DeploymentPolicy, InstancePool, InstancePoolEndpoint, Model, ValidationError
from cdk_genai_inference.testing import mask_volatile
from conftest import REPO
from stacks.config import ServingConfig
from stacks.reference_app import build
from synthesis import ENV, IMAGE, api_findings, check_with_nag, lint, new_stack, of_type, synth

CONTEXT: dict[str, Any] = json.loads((REPO / "cdk.json").read_text())["context"]
STACKS = ["GenAiServing", "GenAiRecommendToServe", "GenAiRecommendation", "GenAiRecommendedServing"]


def reference_app(**context: Any) -> tuple[cdk.App, dict[str, cdk.Stack]]:
    app = cdk.App(context={**CONTEXT, **context})
    stacks = build(app, env=ENV)
    check_with_nag(app)
    return app, stacks


@pytest.fixture(scope="module")
def assembly() -> cx_api.CloudAssembly:
    app, _ = reference_app()
    return app.synth()  # raises when cdk-nag reports an unacknowledged finding


@pytest.fixture(scope="module")
def templates(assembly: cx_api.CloudAssembly) -> dict[str, dict[str, Any]]:
    return {name: assembly.get_stack_by_name(name).template for name in STACKS}


@pytest.fixture
def snapshot_json(snapshot):
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("name", STACKS)
def test_every_reference_stack_passes_cfn_lint(templates: dict[str, dict[str, Any]], name: str) -> None:
    assert lint(templates[name]) == []


def test_serving_stack_matches_snapshot(templates: dict[str, dict[str, Any]], snapshot_json) -> None:
    assert mask_volatile(templates["GenAiServing"]) == snapshot_json


@pytest.mark.parametrize("name", ["GenAiRecommendToServe", "GenAiRecommendation", "GenAiRecommendedServing"])
def test_recommendation_stacks_match_snapshots(templates: dict[str, dict[str, Any]], name: str, snapshot_json) -> None:
    assert mask_volatile(templates[name]) == snapshot_json


def test_minimal_stack_matches_snapshot(snapshot_json) -> None:
    stack = new_stack("Minimal")
    InstancePoolEndpoint(
        stack, "Endpoint", model=Model(stack, "Model", image_uri=IMAGE), instance_pools=[InstancePool("ml.g6.12xlarge")]
    )
    assert mask_volatile(synth(stack).to_json()) == snapshot_json


def test_serving_stack_follows_the_launch_setup(templates: dict[str, dict[str, Any]]) -> None:
    template = templates["GenAiServing"]
    (config,) = of_type(template, "AWS::SageMaker::EndpointConfig")
    variant = config["Properties"]["ProductionVariants"][0]
    assert variant["InstancePools"] == [
        {"InstanceType": "ml.p5.48xlarge", "Priority": 1},
        {"InstanceType": "ml.g6.48xlarge", "Priority": 2},
    ]
    assert variant["RoutingConfig"]["RoutingStrategy"] == "LEAST_OUTSTANDING_REQUESTS"
    (policy,) = of_type(template, "AWS::ApplicationAutoScaling::ScalingPolicy")
    assert policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 0.7
    (endpoint,) = of_type(template, "AWS::SageMaker::Endpoint")
    deployment = endpoint["Properties"]["DeploymentConfig"]
    assert "RollingUpdatePolicy" in deployment
    assert len(deployment["AutoRollbackConfiguration"]["Alarms"]) == 3


def test_one_deployment_waits_for_the_launch_example_job(templates: dict[str, dict[str, Any]]) -> None:
    template = templates["GenAiRecommendToServe"]
    (workload,) = of_type(template, "AWS::SageMaker::AIWorkloadConfig")
    spec = json.loads(workload["Properties"]["AIWorkloadConfigs"]["WorkloadSpec"]["Inline"])
    assert (spec["parameters"]["prompt_input_tokens_mean"], spec["parameters"]["output_tokens_mean"]) == (3500, 200)
    (job,) = of_type(template, "Custom::AIRecommendationJob")
    assert job["Properties"]["Request"]["PerformanceTarget"] == {"Constraints": [{"Metric": "throughput"}]}
    assert len(job["Properties"]["Request"]["ComputeSpec"]["InstanceTypes"]) == 3
    (condition,) = of_type(template, "AWS::CloudFormation::WaitCondition")
    assert condition["Properties"]["Timeout"] == "43200"
    assert len(of_type(template, "AWS::SageMaker::Model")) == 3


def test_the_pipeline_stages_share_the_job_by_name(templates: dict[str, dict[str, Any]]) -> None:
    (job,) = of_type(templates["GenAiRecommendation"], "Custom::AIRecommendationJob")
    (resolution,) = of_type(templates["GenAiRecommendedServing"], "Custom::RecommendedModels")
    assert resolution["Properties"]["JobName"] == job["Properties"]["Request"]["AIRecommendationJobName"]
    assert "Wait" not in job["Properties"]
    assert not of_type(templates["GenAiRecommendation"], "AWS::CloudFormation::WaitCondition")


def test_nag_fails_synthesis_on_an_unacknowledged_finding() -> None:
    """The nag check above can fail, under either pack, and the library's acknowledgments stay on
    what they explain: a user's alarm without actions is reported beside the rollback alarms, and an
    EBS-backed endpoint without a KMS key beside one on hardware-encrypted NVMe."""
    app = cdk.App()
    stack = cdk.Stack(app, "Loose", env=ENV)
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"]))
    model = Model(stack, "Model", image_uri=IMAGE)
    for id, instance_type in (("Nvme", "ml.p5.48xlarge"), ("Ebs", "ml.inf2.48xlarge")):
        served = InstancePoolEndpoint(
            stack,
            id,
            model=model,
            instance_pools=[InstancePool(instance_type)],
            deployment=DeploymentPolicy.rolling(),
            dashboard=False,
        )
    cw.Alarm(stack, "Unwatched", metric=served.metric_invocations(), threshold=1, evaluation_periods=1)
    check_with_nag(app)
    with pytest.raises(Exception, match="AwsSolutions-IAM5") as raised:
        app.synth()
    findings = re.findall(
        r"^   (\S+) aws-cdk-lib\.aws_\w+\.Cfn(Alarm|EndpointConfig)$", str(raised.value), re.MULTILINE
    )
    assert findings == [("Loose/Ebs/EndpointConfig", "EndpointConfig"), ("Loose/Unwatched/Resource", "Alarm")]


CANARY = {"Resources": {"Logs": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 7}}}}
"""A template checkov must fail (CKV_AWS_158, no KMS key), proving the scan below can fail."""


SCAN_OPTIONS = ("--framework", "cloudformation", "--skip-download")
"""checkov's own arguments besides the directory."""


def test_checkov_finds_nothing_unexplained(assembly: cx_api.CloudAssembly, tmp_path: Path) -> None:
    """checkov scans every template the reference app synthesizes, the pipeline's stages included:
    nothing fails, every skip carries the reason a construct wrote into the resource's metadata, and
    every skip is needed (the same templates without the skips fail exactly those checks)."""
    interpreter = _checkov_interpreter()
    stacks = assembly.stacks_recursively
    # Short, low-entropy file names: checkov's secret check reads the file path too, and a long
    # random-looking one (a stage stack's hashed name under some folders) passes for a secret.
    for folder, render in (("as-synthesized", lambda t: t), ("without-skips", _without_checkov_skips)):
        (tmp_path / folder).mkdir()
        for index, stack in enumerate(stacks):
            (tmp_path / folder / f"{index}.json").write_text(json.dumps(render(stack.template)))
    (tmp_path / "canary.json").write_text(json.dumps(CANARY))
    scan = subprocess.run(
        [*interpreter, str(Path(__file__).with_name("checkov_scan.py")), "--directory", str(tmp_path), *SCAN_OPTIONS],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"},
    )
    assert scan.returncode == 0, f"{' '.join(interpreter)} checkov_scan.py: {scan.stderr[-2000:]}"
    [report] = json.loads(scan.stdout)
    assert report["check_type"] == "cloudformation"
    assert report["summary"]["parsing_errors"] == 0
    assert report["summary"]["resource_count"] == 1 + 2 * sum(len(s.template["Resources"]) for s in stacks)

    def findings(kind: str, folder: str) -> set[tuple[str, str, str]]:
        return {
            (stacks[int(Path(f["file_path"]).stem)].stack_name, f["resource"], f["check_id"])
            for f in report[kind]
            if f["file_path"].startswith(f"/{folder}/")
        }

    assert findings("failed_checks", "as-synthesized") == set()
    canary = [(f["file_path"], f["check_id"]) for f in report["failed_checks"] if "canary" in f["file_path"]]
    assert canary == [("/canary.json", "CKV_AWS_158")]
    skipped = findings("skipped_checks", "as-synthesized")
    assert skipped, "the library's waivers reach the templates"
    assert skipped == findings("failed_checks", "without-skips")
    assert all(len(s["suppress_comment"]) > 40 for s in report["skipped_checks"])


def _checkov_interpreter() -> list[str]:
    """The command line of the Python checkov is installed in (``./dev`` gives it a venv of its own):
    what its console script's shebang runs, else the ``python`` beside it."""
    name = os.environ.get("CHECKOV") or "checkov"
    found = shutil.which(name)
    if not found:
        pytest.fail(f"checkov ({name}) is not installed; ./dev test installs it into .venv/checkov")
    script = Path(found).resolve()
    first = (script.read_text(errors="replace").splitlines() or [""])[0]
    if first.startswith("#!") and "python" in first:
        return shlex.split(first[2:])  # also '/usr/bin/env python3' and interpreter flags
    beside = script.with_name("python")  # a shell trampoline, as pip writes for a long interpreter path
    if beside.exists():
        return [str(beside)]
    pytest.fail(f"{script} is not a Python console script (first line {first!r}), and no python is beside it")


def _without_checkov_skips(template: dict[str, Any]) -> dict[str, Any]:
    resources = {
        name: {**resource, "Metadata": {k: v for k, v in resource.get("Metadata", {}).items() if k != "checkov"}}
        for name, resource in template["Resources"].items()
    }
    return {**template, "Resources": resources}


@pytest.mark.parametrize(
    ("first_line", "expected"),
    [
        ("#!/opt/checkov/bin/python3.11", ["/opt/checkov/bin/python3.11"]),
        ("#!/usr/bin/env python3", ["/usr/bin/env", "python3"]),
        ("#!/opt/checkov/bin/python -I", ["/opt/checkov/bin/python", "-I"]),
        ("#!/bin/sh", ["{folder}/python"]),  # pip's trampoline for a long interpreter path
    ],
)
def test_checkov_runs_in_the_python_its_console_script_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_line: str, expected: list[str]
) -> None:
    folder = tmp_path / "venv" / "bin"
    folder.mkdir(parents=True)
    script = folder / "checkov"
    script.write_text(f"{first_line}\nfrom checkov.main import Checkov\n")
    script.chmod(0o755)
    (folder / "python").symlink_to(sys.executable)
    link = tmp_path / "on-path"
    link.symlink_to(script)  # a console script linked onto PATH is read where it lives
    monkeypatch.setenv("CHECKOV", str(link))
    assert _checkov_interpreter() == [part.format(folder=folder.resolve()) for part in expected]


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (None, "is not installed"),
        ("#!/bin/sh\necho checkov\n", "is not a Python console script (first line '#!/bin/sh')"),
        ("", "is not a Python console script (first line '')"),
    ],
)
def test_checkov_that_is_missing_or_not_python_fails_the_test_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, script: str | None, message: str
) -> None:
    path = tmp_path / "checkov"
    if script is not None:
        path.write_text(script)
        path.chmod(0o755)
    monkeypatch.setenv("CHECKOV", str(path))
    with pytest.raises(pytest.fail.Exception, match=re.escape(message)):
        _checkov_interpreter()


def test_context_values_from_the_command_line_are_parsed() -> None:
    pools = '[{"instanceType": "ml.g6e.12xlarge", "maxConcurrency": 16}]'
    _, stacks = reference_app(**{"serving:pools": pools, "serving:maxCapacity": "6"})
    assert stacks["GenAiServing"].endpoint.instance_types == ["ml.g6e.12xlarge"]


@pytest.mark.parametrize(
    ("context", "message"),
    [
        ({"serving:maxCapacity": "six"}, "context key 'serving:maxCapacity' must be JSON (int), got 'six'"),
        ({"serving:targetUtilization": "true"}, "context key 'serving:targetUtilization' must be float, got True"),
        ({"serving:pools": '[{"type": "ml.g6.xlarge"}]'}, "context serving:pools[0] needs instanceType"),
        (
            {"serving:deployment": "big-bang"},
            "context serving:deployment must be rolling, canary, linear or all-at-once",
        ),
        (
            {"recommendation:goal": "speed"},
            "context recommendation:goal must be one of cost, latency, throughput, got 'speed'",
        ),
        ({"recommendation:instanceTypes": '["ml.m5.large"]'}, "instance_types[0] got 'ml.m5.large'"),
    ],
)
def test_bad_context_fails_with_a_clear_message(context: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        reference_app(**context)


def test_missing_context_key_is_named() -> None:
    app = cdk.App(context={k: v for k, v in CONTEXT.items() if k != "serving:endpointName"})
    with pytest.raises(ValidationError, match="context key 'serving:endpointName' is missing"):
        ServingConfig.from_context(app.node)


def test_the_real_cdk_cli_synthesizes_the_app_and_the_summary_reads_it(tmp_path: Path) -> None:
    """What `./dev synth` runs: the pinned CLI, cdk.json's context, no AWS account."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"CDK_DISABLE_CLI_TELEMETRY": "true", "PATH": path})
    out = tmp_path / "cdk.out"
    synth_run = subprocess.run(
        [str(REPO / "node_modules" / ".bin" / "cdk"), "synth", "--quiet", "--no-notices", "--ci", "--output", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert synth_run.returncode == 0, synth_run.stderr
    assert "end-of-life" not in synth_run.stderr
    for template in out.rglob("*.template.json"):
        assert api_findings(json.loads(template.read_text())) == [], template.name
    summary = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "summarize.py"), str(out)], capture_output=True, text=True, check=True
    ).stdout
    for expected in (
        "Synthesized 5 stack(s)",
        "1  ml.p5.48xlarge     max 20",
        "2  ml.g6.48xlarge     max 8",
        "Scaling: 1-4 instances, target weighted utilization 0.7",
        "(FILL(p5_48xlarge_sum,0)/20 + FILL(g6_48xlarge_sum,0)/8) / (FILL(p5_48xlarge_n,0) + FILL(g6_48xlarge_n,0))",
        "rolls back on 3 alarm(s)",
        "the deployment waits up to 12 h for it (checks every 5 min)",
        "the deployment starts it and moves on",
        "1  ml.g6e.12xlarge    max <Pool1.MaxConcurrencyPerCopy>",
        "Pipeline stages: Source -> Build -> UpdatePipeline -> Assets -> Recommend -> Serve -> BenchmarkGate -> Production",
    ):
        assert expected in summary, expected
