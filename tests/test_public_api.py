"""The package root: every public name loads on first use, and the console commands start without the CDK."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import cdk_genai_inference
from conftest import REPO

ROOT = REPO / "constructs" / "cdk_genai_inference" / "__init__.py"


def test_every_public_name_resolves_from_the_root() -> None:
    for name in cdk_genai_inference.__all__:
        assert getattr(cdk_genai_inference, name) is not None, name


def test_the_type_checkers_names_are_the_runtime_names() -> None:
    """The lazy table and the ``TYPE_CHECKING`` imports list the same names from the same modules."""
    tree = ast.parse(ROOT.read_text())
    guard = next(node for node in tree.body if isinstance(node, ast.If))
    typed = {(node.module, alias.name) for node in guard.body for alias in node.names}  # type: ignore[attr-defined]
    runtime = {(module, name) for name, module in cdk_genai_inference._HOME.items()}
    assert typed == runtime


def test_an_unknown_name_is_an_attribute_error() -> None:
    try:
        cdk_genai_inference.NoSuchConstruct  # noqa: B018
    except AttributeError as error:
        assert "NoSuchConstruct" in str(error)
    else:
        raise AssertionError("expected AttributeError")


def test_the_console_commands_import_neither_the_cdk_nor_the_sdk_and_need_no_node() -> None:
    code = (
        "import sys\n"
        "from cdk_genai_inference.console import report\n"
        "loaded = sorted({m.split('.')[0] for m in sys.modules} & {'aws_cdk', 'jsii', 'constructs', 'botocore'})\n"
        "print(loaded)\n"
    )
    env = {**os.environ, "PATH": os.path.dirname(sys.executable)}  # no node anywhere on PATH
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert result.stdout.strip() == "[]", result.stdout + result.stderr
    help_text = subprocess.run(
        [sys.executable, "-m", "cdk_genai_inference.console.report", "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    assert "usage: cdk-genai-benchmark-report" in help_text


def test_constructs_and_their_imported_forms_declare_what_callers_read() -> None:
    """Callers read the ``I*`` protocols' members without probing; a construct or an import missing one fails."""
    from cdk_genai_inference import (
        BenchmarkJob,
        IBenchmarkJob,
        InstancePool,
        InstancePoolEndpoint,
        IRecommendationJob,
        IWorkloadConfig,
        JobWait,
        Model,
        RecommendationGoal,
        RecommendationJob,
        S3Location,
        WorkloadConfig,
    )
    from synthesis import IMAGE, new_stack

    stack = new_stack()
    output = S3Location.from_uri("s3://genai-artifacts-111122223333/jobs/")
    workload = WorkloadConfig(stack, "Workload", concurrency=4)
    endpoint = InstancePoolEndpoint(
        stack, "Endpoint", model=Model(stack, "Model", image_uri=IMAGE), instance_pools=[InstancePool("ml.g6.xlarge")]
    )
    pairs = [
        (IWorkloadConfig, workload),
        (IWorkloadConfig, WorkloadConfig.from_workload_config_name(stack, "W", "w")),
        (
            IRecommendationJob,
            RecommendationJob(
                stack,
                "Job",
                model_source=S3Location.from_uri("s3://models/qwen/"),
                workload_config=workload,
                goal=RecommendationGoal.COST,
                output=output,
                wait=JobWait.none(),
            ),
        ),
        (IRecommendationJob, RecommendationJob.from_job_name(stack, "R", "r")),
        (IBenchmarkJob, BenchmarkJob(stack, "Bench", endpoint=endpoint, workload_config=workload, output=output)),
        (IBenchmarkJob, BenchmarkJob.from_job_name(stack, "B", "b", output=output)),
    ]
    for protocol, value in pairs:
        members = [name for name in vars(protocol) if not name.startswith("_") and not hasattr(value, name)]
        assert members == [], f"{type(value).__name__} lacks {members} of {protocol.__name__}"
