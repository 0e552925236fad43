"""WorkloadConfig(repeated_runs=...): AIPerf's multi-run and convergence options, rendered and validated."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk.assertions import Annotations, Match

from cdk_genai_inference import Convergence, ConvergenceMode, RepeatedRuns, ValidationError, WorkloadConfig
from cdk_genai_inference.jobs.repeated_runs import UNDOCUMENTED_PARAMETERS
from synthesis import new_stack, synth


def spec(**kwargs: Any) -> tuple[dict[str, Any], Any]:
    stack = new_stack("Repeated")
    workload = WorkloadConfig(stack, "Workload", streaming=True, **kwargs)
    template = synth(stack)
    (props,) = [
        r["Properties"]
        for r in template.to_json()["Resources"].values()
        if r["Type"] == "AWS::SageMaker::AIWorkloadConfig"
    ]
    return json.loads(props["AIWorkloadConfigs"]["WorkloadSpec"]["Inline"]), (stack, workload)


def test_every_option_renders_as_the_snake_case_of_its_aiperf_flag() -> None:
    rendered, (stack, _) = spec(
        repeated_runs=RepeatedRuns(
            count=5,
            confidence_level=0.9,
            cooldown=Duration.seconds(30),
            warmup_first_run_only=False,
            convergence=Convergence("time_to_first_token", ConvergenceMode.CI_WIDTH, threshold=0.1, statistic="p90"),
        ),
        tooling_version="0.13.0",
    )
    assert rendered["parameters"] == {
        "streaming": True,
        "num_profile_runs": 5,  # --num-profile-runs
        "confidence_level": 0.9,  # --confidence-level
        "profile_run_cooldown_seconds": 30,  # --profile-run-cooldown-seconds
        "profile_run_disable_warmup_after_first": False,  # --profile-run-disable-warmup-after-first
        "convergence_metric": "time_to_first_token",  # --convergence-metric
        "convergence_mode": "ci_width",  # --convergence-mode (aiperf 0.13.0 accepts this spelling)
        "convergence_threshold": 0.1,  # --convergence-threshold
        "convergence_stat": "p90",  # --convergence-stat
    }
    assert set(rendered["parameters"]) - {"streaming"} == UNDOCUMENTED_PARAMETERS
    warnings = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("SageMaker documentation does not list")
    )
    assert len(warnings) == 1 and "num_profile_runs" in warnings[0].entry.data


def test_repeated_runs_without_a_pinned_aiperf_warn_that_the_default_may_not_know_them() -> None:
    def unpinned(**kwargs: Any) -> list[Any]:
        _, (stack, _) = spec(repeated_runs=RepeatedRuns(3), **kwargs)
        return Annotations.from_stack(stack).find_warning(  # type: ignore[no-any-return]
            "*", Match.string_like_regexp("without tooling_version the job runs the service's default AIPerf")
        )

    assert len(unpinned()) == 1
    assert unpinned(tooling_version="0.13.0") == []


def test_only_what_is_set_is_rendered() -> None:
    rendered, _ = spec(repeated_runs=RepeatedRuns(3))
    assert rendered["parameters"] == {"streaming": True, "num_profile_runs": 3}
    plain, (stack, _) = spec()
    assert "num_profile_runs" not in plain["parameters"]
    assert not Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("does not list"))


def test_the_parameters_are_owned_by_repeated_runs() -> None:
    with pytest.raises(
        ValidationError, match=re.escape("parameters['num_profile_runs'] is set through the repeated_runs argument")
    ):
        WorkloadConfig(new_stack(), "Workload", parameters={"num_profile_runs": 3})


ERRORS = [
    (RepeatedRuns(1), {}, "repeated_runs.count must be between 2 and 10, got 1"),
    (RepeatedRuns(11), {}, "repeated_runs.count must be between 2 and 10, got 11"),
    (
        RepeatedRuns(3, confidence_level=1),
        {},
        "repeated_runs.confidence_level must be between 0 and 1 (exclusive), e.g. 0.95, got 1",
    ),
    (RepeatedRuns(3, confidence_level=0), {}, "repeated_runs.confidence_level must be between 0 and 1 (exclusive)"),
    (RepeatedRuns(3, cooldown=Duration.millis(1500)), {}, "repeated_runs.cooldown must be a whole number of seconds"),
    (
        RepeatedRuns(3, convergence=Convergence("Time To First Token")),
        {},
        "repeated_runs.convergence.metric must be an AIPerf metric tag such as time_to_first_token or request_latency, "
        "got 'Time To First Token'",
    ),
    (
        RepeatedRuns(3, convergence=Convergence("inter_token_latency")),
        {"streaming": False},
        "repeated_runs.convergence.metric 'inter_token_latency' needs streaming responses; streaming is False",
    ),
    (
        RepeatedRuns(3, convergence=Convergence("request_latency", "cv")),  # type: ignore[arg-type]
        {},
        "repeated_runs.convergence.mode must be a ConvergenceMode (CI_WIDTH, CV, DISTRIBUTION), got 'cv'",
    ),
    (
        RepeatedRuns(3, convergence=Convergence("request_latency", ConvergenceMode.CV, threshold=0)),
        {},
        "repeated_runs.convergence.threshold must be positive (a fraction of the mean), got 0",
    ),
    (
        RepeatedRuns(3, convergence=Convergence("request_latency", ConvergenceMode.DISTRIBUTION, threshold=1.5)),
        {},
        "repeated_runs.convergence.threshold is a p-value in distribution mode, between 0 and 1 (exclusive), got 1.5",
    ),
    (
        RepeatedRuns(3, convergence=Convergence("request_latency", ConvergenceMode.DISTRIBUTION, statistic="p99")),
        {},
        "repeated_runs.convergence.statistic applies to the ci_width and cv modes",
    ),
    (
        RepeatedRuns(3, convergence=Convergence("request_latency", statistic="p75")),
        {},
        "repeated_runs.convergence.statistic got 'p75', which is not a valid statistic; allowed: avg, max, min, p50",
    ),
    (RepeatedRuns(3), {"tooling_version": "0.8.0"}, "repeated_runs needs AIPerf 0.13 or later"),
    (
        RepeatedRuns(3, convergence=Convergence("request_latency", ConvergenceMode.DISTRIBUTION)),
        {"tooling_version": "0.13.0"},
        "repeated_runs.convergence.mode DISTRIBUTION does not run on AIPerf 0.13.0",
    ),
]


@pytest.mark.parametrize(("runs", "extra", "message"), ERRORS, ids=[m[:60] for _, _, m in ERRORS])
def test_rejects(runs: RepeatedRuns, extra: dict[str, Any], message: str) -> None:
    stack = new_stack()
    with pytest.raises(ValidationError, match=re.escape(message)):
        WorkloadConfig(stack, "Workload", repeated_runs=runs, **extra)
    assert stack.node.try_find_child("Workload") is None


def test_deploy_time_values_pass_to_cloudformation() -> None:
    from aws_cdk import CfnParameter

    stack = new_stack()
    level = CfnParameter(stack, "Level", type="Number").value_as_number
    WorkloadConfig(stack, "Workload", repeated_runs=RepeatedRuns(3, confidence_level=level))
