"""The deploy simulation of a stack whose AI-job provider serves a job that comes and goes: each construct
the provider serves keeps its grants in a policy of its own, which CloudFormation creates before the
construct's resource and deletes after it. So a job's Delete is allowed when a failed update that added
the job rolls back (by then the role's own policy is the old one again), and when the job leaves the stack
(by then the role's own policy is the new one)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aiperf_fixtures import tarball
from simulation.harness import Simulation, denied_handler_calls, simulate

from cdk_genai_inference import BenchmarkJob, BenchmarkSla, JobWait, S3Location, TokenDistribution, WorkloadConfig
from conftest import REPO
from stacks.config import BenchmarkConfig, ServingConfig
from stacks.serving_stack import ServingStack
from synthesis import ENV

CONTEXT: dict[str, Any] = json.loads((REPO / "cdk.json").read_text())["context"]
ENVIRONMENT = {"account": ENV.account, "region": ENV.region, "stack_name": "Simulated"}
PROFILE = REPO / "tests" / "fixtures" / "aiperf-0.13-mock" / "profile_export_aiperf.json"


def synthesize(outdir: Path, nightly: str | None, *, at: str = "Nightly", job_name_prefix: str | None = None) -> str:
    """The reference serving stack (its gate keeps the provider in the stack), with a second benchmark of
    its endpoint under id ``at``: ``"gated"`` waits for it under the gate's SLA, ``"running"`` leaves it
    running. With a ``job_name_prefix`` it runs as the gate's role, so its job's name does not follow ``at``."""
    app = cdk.App(outdir=str(outdir), context=CONTEXT)
    benchmark = BenchmarkConfig.from_context(app.node)
    stack = ServingStack(app, "Serving", config=ServingConfig.from_context(app.node), benchmark=benchmark, env=ENV)
    if nightly is not None:
        workload = WorkloadConfig(
            stack,
            "NightlyWorkload",
            input_tokens=TokenDistribution(1000),
            output_tokens=TokenDistribution(100),
            concurrency=[4],
            streaming=True,
        )
        BenchmarkJob(
            stack,
            at,
            endpoint=stack.endpoint,
            job_name_prefix=job_name_prefix,
            role=stack.benchmark.role if job_name_prefix else None,
            workload_config=workload,
            output=S3Location.from_uri(benchmark.outputUri),
            sla=BenchmarkSla(min_output_tokens_per_second=benchmark.minOutputTokensPerSecond)
            if nightly == "gated"
            else None,
            wait=JobWait.in_deployment(cdk.Duration.hours(2)) if nightly == "gated" else JobWait.none(),
        )
    app.synth()
    return str(outdir / "Serving.template.json")


@pytest.fixture(scope="module")
def comes_and_goes(tmp_path_factory: pytest.TempPathFactory) -> Simulation:
    """Create the stack; add a gated benchmark whose run breaches the SLA (the update rolls back); add it
    again, left running; then take it out of the stack."""
    work = tmp_path_factory.mktemp("clients")
    first = synthesize(work / "first", None)
    gated = synthesize(work / "gated", "gated")
    running = synthesize(work / "running", "running")
    profile = json.loads(PROFILE.read_text())
    fast = work / "fast.tar.gz"
    fast.write_bytes(tarball({"profile_export_aiperf.json": PROFILE.read_bytes()}))
    profile["output_token_throughput"]["avg"] = 50.0
    slow = work / "slow.tar.gz"
    slow.write_bytes(tarball({"profile_export_aiperf.json": json.dumps(profile).encode()}))
    return simulate(
        work / "first",
        "Serving.template.json",
        # The gate's run, then the nightly one; the running job is described once on its way out.
        {"benchmark_archive": [str(fast), str(slow)], "polls_until_done": 1},
        [
            {"op": "create"},
            {"op": "update", "template": gated, "may_fail": True},
            {"op": "update", "template": running},
            {"op": "update", "template": first},
        ],
        environment=ENVIRONMENT,
        workdir=work,
    )


def nightly_calls(simulation: Simulation, index: int, operation: str) -> list[str]:
    return [
        c["params"]["AIBenchmarkJobName"]
        for c in simulation.calls_of(index)
        if c["operation"] == operation and c["params"]["AIBenchmarkJobName"].startswith("serving-nightly-")
    ]


def test_every_call_is_allowed_by_the_policies_that_exist_when_it_is_made(comes_and_goes: Simulation) -> None:
    assert [step.failed is None for step in comes_and_goes.steps] == [True, False, True, True]
    for index in range(len(comes_and_goes.steps)):
        assert denied_handler_calls(comes_and_goes, index) == [], comes_and_goes.steps[index].op


def test_the_rollback_of_the_update_that_added_a_job_deletes_its_breaching_run(comes_and_goes: Simulation) -> None:
    failure = comes_and_goes.steps[1].failed or ""
    assert "breaches its SLA" in failure and failure.endswith("UPDATE_ROLLBACK_COMPLETE"), failure
    (created,) = nightly_calls(comes_and_goes, 1, "CreateAIBenchmarkJob")
    assert nightly_calls(comes_and_goes, 1, "DeleteAIBenchmarkJob") == [created]


def test_a_running_job_taken_out_of_the_stack_is_stopped_and_deleted(comes_and_goes: Simulation) -> None:
    (started,) = nightly_calls(comes_and_goes, 2, "CreateAIBenchmarkJob")
    assert nightly_calls(comes_and_goes, 3, "StopAIBenchmarkJob") == [started]
    assert nightly_calls(comes_and_goes, 3, "DeleteAIBenchmarkJob") == [started]
    assert f"benchmark/{started}" not in comes_and_goes.last.state["jobs"]


@pytest.fixture(scope="module")
def moved(tmp_path_factory: pytest.TempPathFactory) -> Simulation:
    """Create the stack with a running benchmark named by its job_name_prefix; then move the construct to
    another id: its new resource adopts the running job, and the cleanup deletes the old resource."""
    work = tmp_path_factory.mktemp("moved")
    synthesize(work / "first", "running", job_name_prefix="nightly")
    elsewhere = synthesize(work / "moved", "running", at="NightlyMoved", job_name_prefix="nightly")
    fast = work / "fast.tar.gz"
    fast.write_bytes(tarball({"profile_export_aiperf.json": PROFILE.read_bytes()}))
    return simulate(
        work / "first",
        "Serving.template.json",
        # The nightly run never ends; the stack's resources are listed one a page.
        {"benchmark_archive": [str(fast)], "polls_until_done": [1, 1000], "stack_resources_per_page": 1},
        [{"op": "create"}, {"op": "update", "template": elsewhere}],
        environment=ENVIRONMENT,
        workdir=work,
    )


def test_a_moved_construct_keeps_the_running_job_its_new_resource_adopted(moved: Simulation) -> None:
    assert [step.failed is None for step in moved.steps] == [True, True]
    for index in range(len(moved.steps)):
        assert denied_handler_calls(moved, index) == [], moved.steps[index].op
    (started,) = [
        c["params"]["AIBenchmarkJobName"]
        for c in moved.calls_of(0)
        if c["operation"] == "CreateAIBenchmarkJob" and c["params"]["AIBenchmarkJobName"].startswith("nightly-")
    ]
    operations = [c["operation"] for c in moved.calls_of(1) if c["params"].get("AIBenchmarkJobName") == started]
    assert operations[0] == "CreateAIBenchmarkJob" and "StopAIBenchmarkJob" not in operations, operations
    assert "DeleteAIBenchmarkJob" not in operations, operations
    assert moved.last.state["jobs"][f"benchmark/{started}"]["status"] == "InProgress"
