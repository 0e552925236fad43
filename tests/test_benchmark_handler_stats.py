"""Repeated runs through the results handler, on real AIPerf 0.13.0 output: interval attributes, the gate
on bounds, and the baseline's lifecycle in SSM (first run, pass, regression, rollback, replacement), with
Stubber validating every call against the real service models."""

from __future__ import annotations

import json
from typing import Any

import aiperf_results
import aws_calls
import benchmark_logic
import pytest
from aiperf_fixtures import MULTIRUN, SHARED, files_of, real_profile, tarball
from botocore.stub import ANY
from test_benchmark_handler import JOB, clients, described, no_backoff, run, stub_output  # noqa: F401

PARAMETER = "/cdk-genai-inference/baselines/genai-serving"
TOLERANCES = {"RequestLatencyP90": "0.1", "OutputTokenThroughput": "0.05"}  # as CloudFormation sends them
BASELINE = {"ParameterName": PARAMETER, "Tolerances": TOLERANCES}
MULTI = tarball(files_of(MULTIRUN))


@pytest.fixture
def stubbed(clients):  # noqa: F811 (the fixture imported above)
    """The handler tests' stubbed clients."""
    return clients


SINGLE = tarball({"profile_export_aiperf.json": real_profile()})
ACCEPTED = "2026-11-21 00:00:00+00:00"


def estimates(folder) -> dict[str, aiperf_results.Estimate | None]:
    return aiperf_results.load_path(folder).primary_level().estimates()


def stored(baseline: aiperf_results.Baseline) -> dict[str, Any]:
    return {"Parameter": {"Name": PARAMETER, "Value": baseline.dumps(), "Type": "String"}}


def completed(stubs, archive: bytes = MULTI) -> None:
    stubs["sagemaker"].add_response("describe_ai_benchmark_job", described("Completed"), {"AIBenchmarkJobName": JOB})
    stub_output(stubs, archive)


def expect_put(stubs) -> dict[str, Any]:
    """Expect the baseline's put; the returned dict receives the value written."""
    captured: dict[str, Any] = {}

    class Capture:  # Stubber compares expected params with ==: record the value and accept it
        def __eq__(self, other: object) -> bool:
            captured["value"] = other
            return True

    stubs["ssm"].add_response(
        "put_parameter",
        {"Version": 2},
        {"Name": PARAMETER, "Value": Capture(), "Type": "String", "Overwrite": True},
    )
    return captured


def test_repeated_runs_give_means_intervals_run_count_and_confidence(stubbed) -> None:
    _, stubs = stubbed
    completed(stubs)
    response = run(stubbed)
    data = response["Data"]
    raw = json.loads((MULTIRUN / "aggregate" / "profile_export_aiperf_aggregate.json").read_text())["metrics"]
    ttft = raw["time_to_first_token_p99"]
    assert data["TimeToFirstTokenP99"] == f"{ttft['mean']:.6g}"
    assert (data["TimeToFirstTokenP99CiLow"], data["TimeToFirstTokenP99CiHigh"]) == (
        f"{ttft['ci_low']:.6g}",
        f"{ttft['ci_high']:.6g}",
    )
    assert (data["ProfileRuns"], data["ConfidenceLevel"], data["Runs"], data["Concurrency"]) == ("3", "0.95", "3", "4")
    assert data["ErrorCountCiLow"] == "n/a"  # AIPerf aggregated no error count (there were none)
    assert data["BaselineJob"] == "none"
    size = len(json.dumps(response).encode())
    assert size < 4096, size  # CloudFormation's limit on a custom resource's response


def test_a_single_run_says_it_has_no_interval(stubbed) -> None:
    _, stubs = stubbed
    completed(stubs, SINGLE)
    data = run(stubbed)["Data"]
    assert (data["ProfileRuns"], data["ConfidenceLevel"], data["RequestLatencyP99CiHigh"]) == ("1", "n/a", "n/a")


def test_the_gate_on_the_bound_fails_with_mean_interval_confidence_and_runs(stubbed) -> None:
    _, stubs = stubbed
    completed(stubs)
    thresholds = [{"Metric": "TimeToFirstTokenP99", "Limit": "100", "AtMost": "true", "OnBound": "true"}]
    with pytest.raises(aws_calls.JobError) as failure:
        run(stubbed, Thresholds=thresholds)
    assert str(failure.value) == (
        f"AI benchmark job {JOB} breaches its SLA: TimeToFirstTokenP99 upper bound 108.3 (mean 72.86, "
        "95 % interval 37.45 to 108.3 over 3 runs), threshold TimeToFirstTokenP99 <= 100 on the upper bound"
    )


def test_the_gate_on_the_bound_of_a_single_run_fails_instead_of_pretending(stubbed) -> None:
    _, stubs = stubbed
    completed(stubs, SINGLE)
    thresholds = [{"Metric": "TimeToFirstTokenP99", "Limit": "100000", "AtMost": "true", "OnBound": "true"}]
    with pytest.raises(
        aws_calls.JobError, match="TimeToFirstTokenP99 has no confidence interval \\(no interval: 1 run"
    ):
        run(stubbed, Thresholds=thresholds)


def test_the_first_run_establishes_the_baseline(stubbed) -> None:
    _, stubs = stubbed
    completed(stubs)
    stubs["ssm"].add_client_error("get_parameter", "ParameterNotFound", "none yet", expected_params={"Name": PARAMETER})
    put = expect_put(stubs)
    data = run(stubbed, Publish={"Baseline": BASELINE})["Data"]
    assert data["BaselineJob"] == "none"
    document = json.loads(put["value"])
    assert (document["job"], document["workload"], document["accepted"], "previous" in document) == (
        JOB,
        "chat-3500-200",
        ACCEPTED,
        False,
    )
    assert document["figures"]["RequestLatencyP90"]["runs"] == 3 and "high" in document["figures"]["RequestLatencyP90"]


def test_a_run_within_tolerance_passes_and_becomes_the_baseline_keeping_the_one_before(stubbed) -> None:
    _, stubs = stubbed
    completed(stubs)
    before = aiperf_results.accept("nightly-bench-0000000000", estimates(MULTIRUN), "chat-3500-200", "2026-11-20")
    stubs["ssm"].add_response("get_parameter", stored(before), {"Name": PARAMETER})
    put = expect_put(stubs)
    data = run(stubbed, Publish={"Baseline": BASELINE})["Data"]
    assert data["BaselineJob"] == "nightly-bench-0000000000"
    document = json.loads(put["value"])
    assert document["job"] == JOB and document["previous"]["job"] == "nightly-bench-0000000000"


def test_a_regression_fails_the_deployment_naming_both_figures_and_keeps_the_baseline(stubbed) -> None:
    _, stubs = stubbed
    completed(stubs)
    faster = dict(estimates(MULTIRUN))
    faster["RequestLatencyP90"] = faster["RequestLatencyP90"].scaled(0.6)  # type: ignore[union-attr]
    before = aiperf_results.accept("nightly-bench-0000000000", faster, "chat-3500-200", "2026-11-20")
    stubs["ssm"].add_response("get_parameter", stored(before), {"Name": PARAMETER})
    with pytest.raises(aws_calls.JobError) as failure:  # and no put_parameter: the stubber would say so
        run(stubbed, Publish={"Baseline": BASELINE})
    message = str(failure.value)
    assert message.startswith(f"AI benchmark job {JOB} regressed against its baseline: RequestLatencyP90 regressed: ")
    assert (
        "its lower bound 280.7 lies above the baseline's upper bound 216.8 by more than 10 % (limit 238.5)" in message
    )
    assert "now mean 321 (95 % interval 280.7 to 361.3 over 3 runs), baseline mean 192.6" in message
    assert message.endswith("from job nightly-bench-0000000000")


def test_a_baseline_from_another_workload_is_not_compared_and_is_replaced(stubbed) -> None:
    _, stubs = stubbed
    completed(stubs)
    slow = {k: (v.scaled(0.1) if v else v) for k, v in estimates(MULTIRUN).items()}
    before = aiperf_results.accept("nightly-bench-0000000000", slow, "chat-550-150", "2026-11-20")
    stubs["ssm"].add_response("get_parameter", stored(before), {"Name": PARAMETER})
    expect_put(stubs)
    assert run(stubbed, Publish={"Baseline": BASELINE})["Data"]["BaselineJob"] == "none"


def test_rolling_back_the_accepting_deployment_restores_the_baseline_before(stubbed) -> None:
    made, stubs = stubbed
    older = aiperf_results.accept("nightly-bench-0000000000", estimates(SHARED), "chat-3500-200", "2026-11-20")
    current = older.succeeded_by(JOB, estimates(MULTIRUN), "chat-3500-200", ACCEPTED)
    stubs["ssm"].add_response("get_parameter", stored(current), {"Name": PARAMETER})
    stubs["ssm"].add_response(
        "put_parameter",
        {"Version": 3},
        {"Name": PARAMETER, "Value": older.flat().dumps(), "Type": "String", "Overwrite": True},
    )
    benchmark_logic.unpublish(made["ssm"], {"Baseline": BASELINE}, JOB)


def test_rolling_back_reads_the_replaced_run_again_without_comparing_or_writing(stubbed) -> None:
    """The deployment that accepted a faster run rolls back: CloudFormation first updates the results
    back to the replaced run's job, which the faster baseline would fail, and would leave the rollback
    failed. It is read without a comparison and without a write (the stubber refuses a put); deleting
    the faster run's results then restores it (the test above)."""
    _, stubs = stubbed
    completed(stubs)
    replaced = aiperf_results.accept(JOB, estimates(MULTIRUN), "chat-3500-200", "2026-11-20")
    faster = dict(estimates(MULTIRUN))
    faster["RequestLatencyP90"] = faster["RequestLatencyP90"].scaled(0.6)  # type: ignore[union-attr]
    current = replaced.succeeded_by("nightly-bench-9999999999", faster, "chat-3500-200", ACCEPTED)
    stubs["ssm"].add_response("get_parameter", stored(current), {"Name": PARAMETER})
    assert run(stubbed, Publish={"Baseline": BASELINE})["Data"]["BaselineJob"] == "none"


def test_rolling_back_a_first_run_removes_the_baseline(stubbed) -> None:
    made, stubs = stubbed
    first = aiperf_results.accept(JOB, estimates(MULTIRUN), "chat-3500-200", ACCEPTED)
    stubs["ssm"].add_response("get_parameter", stored(first), {"Name": PARAMETER})
    stubs["ssm"].add_response("delete_parameter", {}, {"Name": PARAMETER})
    benchmark_logic.unpublish(made["ssm"], {"Baseline": BASELINE}, JOB)


def test_deleting_a_replaced_runs_results_leaves_the_newer_baseline(stubbed) -> None:
    made, stubs = stubbed
    newer = aiperf_results.accept("nightly-bench-9999999999", estimates(MULTIRUN), "chat-3500-200", ACCEPTED)
    stubs["ssm"].add_response("get_parameter", stored(newer), {"Name": PARAMETER})
    benchmark_logic.unpublish(made["ssm"], {"Baseline": BASELINE}, JOB)  # no put, no delete
    stubs["ssm"].add_client_error("get_parameter", "ParameterNotFound", "gone", expected_params={"Name": ANY})
    benchmark_logic.unpublish(made["ssm"], {"Baseline": BASELINE}, JOB)  # nothing to restore


def test_a_re_read_of_the_baseline_job_compares_with_the_one_before(stubbed) -> None:
    """An in-place update (say, a changed threshold) reads the same job again: it is not its own baseline."""
    _, stubs = stubbed
    completed(stubs)
    older = aiperf_results.accept("nightly-bench-0000000000", estimates(MULTIRUN), "chat-3500-200", "2026-11-20")
    current = older.succeeded_by(JOB, estimates(MULTIRUN), "chat-3500-200", ACCEPTED)
    stubs["ssm"].add_response("get_parameter", stored(current), {"Name": PARAMETER})
    put = expect_put(stubs)
    assert run(stubbed, Publish={"Baseline": BASELINE})["Data"]["BaselineJob"] == "nightly-bench-0000000000"
    assert json.loads(put["value"])["previous"]["job"] == "nightly-bench-0000000000"


def test_a_corrupt_baseline_fails_with_what_to_do(stubbed) -> None:
    _, stubs = stubbed
    completed(stubs)
    stubs["ssm"].add_response("get_parameter", {"Parameter": {"Name": PARAMETER, "Value": "{oops", "Type": "String"}})
    with pytest.raises(
        aws_calls.JobError, match=f"the baseline parameter {PARAMETER} is not valid JSON.*delete it to start"
    ):
        run(stubbed, Publish={"Baseline": BASELINE})
