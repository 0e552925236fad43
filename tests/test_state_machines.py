"""Every Step Functions definition the library synthesizes (the AI-job waiter, and aws-cdk's provider
framework behind the job resources) is valid Amazon States Language, as asl-validator reads it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cdk_genai_inference import (
    BenchmarkJob,
    InstancePool,
    InstancePoolEndpoint,
    JobWait,
    Model,
    RecommendationGoal,
    RecommendationJob,
    RecommendedModels,
    S3Location,
    WorkloadConfig,
)
from state_machines import asl_errors, state_machines
from synthesis import IMAGE, MODEL_DATA, new_stack, synth

Definitions = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    stack = new_stack("Jobs")
    workload = WorkloadConfig(stack, "Workload")
    job = RecommendationJob(
        stack,
        "Job",
        model_source=S3Location.from_uri(MODEL_DATA),
        workload_config=workload,
        goal=RecommendationGoal.COST,
        output=S3Location.from_uri("s3://artifacts-111122223333/recommendations/"),
        wait=JobWait.in_deployment(),
    )
    RecommendedModels(stack, "Models", job=job, instance_types=["ml.g6.12xlarge"])
    endpoint = InstancePoolEndpoint(
        stack,
        "Endpoint",
        model=Model(stack, "Model", image_uri=IMAGE),
        instance_pools=[InstancePool("ml.g6.12xlarge")],
        dashboard=False,
    )
    BenchmarkJob(
        stack,
        "Benchmark",
        endpoint=endpoint,
        workload_config=workload,
        output=S3Location.from_uri("s3://artifacts-111122223333/benchmarks/"),
    )
    return synth(stack).to_json()


def _broken(definitions: Definitions) -> Definitions:
    """The waiter with a Choice that leads nowhere, and one with no StartAt."""
    (waiter,) = (d for name, d in definitions.items() if "Waiter" in name)
    dangling = copy.deepcopy(waiter)
    dangling["States"]["JobDone"]["Default"] = "NoSuchState"
    headless = copy.deepcopy(waiter)
    del headless["StartAt"]
    return {"planted-dangling": dangling, "planted-headless": headless}


@pytest.fixture(scope="module")
def results(template: dict[str, Any]) -> tuple[Definitions, dict[str, list[str]]]:
    """Every definition of the template and two planted invalid ones, through one asl-validator run."""
    definitions = state_machines(template)
    return definitions, asl_errors({**definitions, **_broken(definitions)})


def test_the_waiter_and_the_provider_framework_are_valid(results: tuple[Definitions, dict[str, list[str]]]) -> None:
    definitions, errors = results
    assert sorted(n for n in definitions if "Waiter" in n or "waiterstatemachine" in n) == sorted(definitions)
    assert len(definitions) == 2
    assert {name: errors[name] for name in definitions} == {name: [] for name in definitions}


def test_the_definitions_resolve_their_references_to_arns(results: tuple[Definitions, dict[str, list[str]]]) -> None:
    definitions, _ = results
    resources = [s["Resource"] for d in definitions.values() for s in d["States"].values() if "Resource" in s]
    assert resources and all(r.startswith("arn:aws:lambda:us-west-2:111122223333:function:") for r in resources)


def test_a_planted_invalid_definition_fails(results: tuple[Definitions, dict[str, list[str]]]) -> None:
    _, errors = results
    assert errors["planted-dangling"] == [
        "MISSING_TRANSITION_TARGET: State WaitBeforeNextPoll is not reachable",
        "MISSING_TRANSITION_TARGET: Missing 'StartAt'|'Next'|'Default' target: NoSuchState",
    ]
    assert errors["planted-headless"] == [
        "SCHEMA_VALIDATION_FAILED:  is invalid. must have required property 'StartAt'"
    ]
