"""The reference delivery pipeline: recommend -> serve -> benchmark gate -> production, synthesized
with no AWS account and no context lookups, byte for byte the same every time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from cdk_genai_inference import RecommendationJob
from conftest import REPO
from stacks.reference_app import build
from state_machines import asl_errors, state_machines
from synthesis import check_with_nag, lint, of_type

CONTEXT: dict[str, Any] = json.loads((REPO / "cdk.json").read_text())["context"]


def synthesize(outdir: Path) -> Path:
    app = cdk.App(outdir=str(outdir), context=CONTEXT)
    build(app)
    check_with_nag(app)  # raises on a finding
    app.synth()
    return outdir


@pytest.fixture(scope="module")
def assemblies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return synthesize(tmp_path_factory.mktemp("first")), synthesize(tmp_path_factory.mktemp("second"))


def templates(assembly: Path) -> dict[str, bytes]:
    return {str(p.relative_to(assembly)): p.read_bytes() for p in sorted(assembly.rglob("*.template.json"))}


def stage_template(assembly: Path, stage: str) -> Any:
    """The template of the pipeline stage ``stage`` (each stage has one stack)."""
    return json.loads(next((assembly / f"assembly-GenAiPipeline-{stage}").glob("*.template.json")).read_text())


def test_two_synths_are_byte_identical(assemblies: tuple[Path, Path]) -> None:
    first, second = (templates(a) for a in assemblies)
    assert len(first) >= 9  # 5 app stacks and the 4 stages' stacks
    assert first == second


def test_no_context_lookups_and_no_account(assemblies: tuple[Path, Path]) -> None:
    for manifest in assemblies[0].rglob("manifest.json"):
        assert "missing" not in json.loads(manifest.read_text()), manifest
    assert not (REPO / "cdk.context.json").exists()


def test_stages_run_in_order_and_the_gate_precedes_promotion(assemblies: tuple[Path, Path]) -> None:
    pipeline = json.loads((assemblies[0] / "GenAiPipeline.template.json").read_text())
    (definition,) = of_type(pipeline, "AWS::CodePipeline::Pipeline")
    stages = [s["Name"] for s in definition["Properties"]["Stages"]]
    assert stages[-4:] == ["Recommend", "Serve", "BenchmarkGate", "Production"]
    source = definition["Properties"]["Stages"][0]["Actions"][0]["Configuration"]
    assert source["ConnectionArn"] == CONTEXT["pipeline:connectionArn"]
    assert source["FullRepositoryId"] == CONTEXT["pipeline:repository"]


def test_the_gate_benchmarks_the_served_endpoint_with_the_sla(assemblies: tuple[Path, Path]) -> None:
    gate = stage_template(assemblies[0], "BenchmarkGate")
    (job,) = of_type(gate, "Custom::AIBenchmarkJob")
    assert (
        job["Properties"]["Request"]["BenchmarkTarget"]["Endpoint"]["Identifier"]
        == CONTEXT["serving:endpointName"] + "-staged"
    )
    serve = stage_template(assemblies[0], "Serve")
    (component,) = of_type(serve, "AWS::SageMaker::InferenceComponent")
    # "If the endpoint uses inference components you must list them", or the job fails.
    assert job["Properties"]["Request"]["BenchmarkTarget"]["Endpoint"]["InferenceComponents"] == [
        {"Identifier": component["Properties"]["InferenceComponentName"]}
    ]
    (results,) = of_type(gate, "Custom::AIBenchmarkResults")
    assert {t["Metric"] for t in results["Properties"]["Thresholds"]} == {
        "RequestLatencyP99",
        "TimeToFirstTokenP90",
        "OutputTokenThroughput",
        "ErrorRate",
    }


def gate_job_name(**context: Any) -> str:
    """The gate's job name, the pipeline built (not synthesized) with ``context`` over the reference's."""
    app = cdk.App(context={**CONTEXT, **context})
    build(app)
    return (
        app.node.find_child("GenAiPipeline")
        .node.find_child("BenchmarkGate")
        .node.find_child("Gate")
        .node.find_child("Benchmark")
        .job_name
    )


def test_the_gate_runs_again_when_what_staging_serves_changes(assemblies: tuple[Path, Path]) -> None:
    """The gate imports the endpoint from another stage: without the served definition its job would keep its
    name (and CloudFormation would not run it) for a new recommendation, and promotion would show old figures.
    The reference is the synthesized gate's (the same on every synth: ``test_two_synths_are_byte_identical``)."""
    gate = stage_template(assemblies[0], "BenchmarkGate")
    (job,) = of_type(gate, "Custom::AIBenchmarkJob")
    reference = job["Properties"]["Request"]["AIBenchmarkJobName"]
    assert gate_job_name(**{"recommendation:goal": "latency"}) != reference  # a new job, so new packages
    assert gate_job_name(**{"serving:provisioningTimeoutSeconds": 900}) != reference  # the same packages, served anew
    # Scaling is not what the endpoint serves; and the name built equals the name synthesized.
    assert gate_job_name(**{"serving:maxCapacity": 8}) == reference


def test_every_template_passes_cfn_lint(assemblies: tuple[Path, Path]) -> None:
    for name, body in templates(assemblies[0]).items():
        assert lint(json.loads(body)) == [], name


def test_every_state_machine_of_every_template_is_valid_asl(assemblies: tuple[Path, Path]) -> None:
    """The waiter and provider-framework state machines of every stack and stage, in one asl-validator run."""
    definitions = {
        f"{name}/{machine}": definition
        for name, body in templates(assemblies[0]).items()
        for machine, definition in state_machines(json.loads(body)).items()
    }
    assert len(definitions) >= 10
    assert {k: v for k, v in asl_errors(definitions).items() if v} == {}


def test_a_new_recommendation_run_token_starts_a_new_job_of_the_same_definition(assemblies: tuple[Path, Path]) -> None:
    """The first run's job starts before the checkpoint is uploaded and fails; releasing the same definition
    again keeps that job, so the README's first-run steps set a new token."""

    def job_name(**context: Any) -> str:
        app = cdk.App(context={**CONTEXT, **context})
        build(app)
        stage = app.node.find_child("GenAiPipeline").node.find_child("Recommend")
        return str(next(c for c in stage.node.find_all() if isinstance(c, RecommendationJob)).job_name)

    (job,) = of_type(stage_template(assemblies[0], "Recommend"), "Custom::AIRecommendationJob")
    reference = job["Properties"]["Request"]["AIRecommendationJobName"]
    assert job_name() == reference
    assert job_name(**{"recommendation:runToken": "2"}) != reference
