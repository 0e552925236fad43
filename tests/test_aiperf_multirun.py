"""Repeated runs on real AIPerf 0.13.0 output: per-run profiles, the aggregate with its intervals, the
collated pool, sweeps of repeated runs; the gate on means and bounds; the regression check."""

from __future__ import annotations

import copy
import io

import pytest
from aiperf_fixtures import (
    CONVERGENCE,
    MULTIRUN,
    SHARED,
    SWEEP_RUNS,
    aggregate_of,
    files_of,
    real_profile,
    tarball,
)

from cdk_genai_inference.benchmark import aiperf as results
from cdk_genai_inference.benchmark.aiperf import Estimate, Threshold


def from_files(files: dict) -> results.BenchmarkOutput:
    return results.load_tarball(io.BytesIO(tarball(files)))


MULTI = results.load_path(MULTIRUN)
CONVERGED = results.load_path(CONVERGENCE)
SINGLE = results.load_path(SHARED)


def test_three_profile_runs_read_as_one_level_with_aiperfs_intervals() -> None:
    assert [run.label for run in MULTI.runs] == ["run_0001", "run_0002", "run_0003"]
    assert MULTI.is_repeated and not MULTI.is_sweep
    (level,) = MULTI.levels()
    assert (level.concurrency, len(level.runs), level.failed_runs) == (4, 3, 0)
    assert level.aggregate is not None and level.aggregate.aggregation_type == "confidence"
    raw = aggregate_of(MULTIRUN)["metrics"]
    figures = level.estimates()
    for name, (tag, stat) in results.HEADLINE.items():
        entry = raw[f"{tag}_{stat}"]
        assert figures[name] == Estimate(
            entry["mean"], 3, entry["ci_low"], entry["ci_high"], 0.95, entry["std"], entry["cv"]
        ), name
    ttft = figures["TimeToFirstTokenP99"]
    assert (round(ttft.mean, 2), round(ttft.low, 2), round(ttft.high, 2)) == (72.86, 37.45, 108.26)
    assert ttft.interval_text() == "95 % interval 37.45 to 108.3 over 3 runs"
    # the error rate comes from AIPerf's percent, as a fraction; the request count is per run
    assert (figures["ErrorRate"].mean, figures["RequestCount"].mean) == (0.0, 30.0)
    # no run had errors, so AIPerf aggregated no error count: the runs' mean stands, with no interval
    assert figures["ErrorCount"] == Estimate(0.0, 3)


def test_the_mean_is_the_mean_of_the_runs_values() -> None:
    """AIPerf's mean over runs equals the mean of the per-run profiles: the two files agree."""
    per_run = [run.headline()["TimeToFirstTokenP90"] for run in MULTI.runs]
    assert MULTI.primary_level().estimates()["TimeToFirstTokenP90"].mean == pytest.approx(sum(per_run) / 3)
    assert len(set(per_run)) == 3  # the runs really differ


def test_convergence_output_adds_the_collated_pool() -> None:
    level = CONVERGED.primary_level()
    assert len(level.runs) == 5 and level.aggregate is not None and level.aggregate.runs == 5
    assert level.collated is not None and level.collated.runs == 5
    assert level.collated.combined("time_to_first_token", "p99") == pytest.approx(83.38055295)
    assert len(level.collated.per_run_means("time_to_first_token")) == 5
    assert level.estimates()["TimeToFirstTokenP90"].runs == 5


def test_a_sweep_of_repeated_runs_has_an_aggregate_per_level() -> None:
    output = results.load_path(SWEEP_RUNS)
    assert output.is_sweep and output.is_repeated
    levels = output.levels()
    assert [(level.concurrency, len(level.runs)) for level in levels] == [(2, 2), (4, 2)]
    for level in levels:
        raw = aggregate_of_tar(level.concurrency)
        assert level.estimates()["RequestLatencyP90"].mean == pytest.approx(raw["request_latency_p90"]["mean"])
    assert output.primary_level().concurrency == 4


def aggregate_of_tar(level: int | None) -> dict:
    import json
    import tarfile

    with tarfile.open(SWEEP_RUNS) as archive:
        member = archive.extractfile(f"./aggregate/concurrency_{level}/profile_export_aiperf_aggregate.json")
        assert member is not None
        return json.loads(member.read())["metrics"]


def test_schema_1_5_renamed_telemetry_and_unknown_fields_are_ignored() -> None:
    files = files_of(MULTIRUN)
    for name, document in files.items():
        if name.startswith("profile_runs/"):
            document["schema_version"] = "1.5"
            document["telemetry_data"] = {"nvidia_gpu_power_usage": {"unit": "W", "avg": 212.0}}
            document["amd_gpu_utilization"] = {"unit": "%", "avg": 80.0}
            document["a_future_section"] = [1, 2, 3]
    aggregate = files["aggregate/profile_export_aiperf_aggregate.json"]
    aggregate["metadata"]["a_future_field"] = {"x": 1}
    aggregate["metrics"]["time_to_first_token_p99"]["a_future_stat"] = 3
    aggregate["metrics"]["nvidia_gpu_power_usage_avg"] = {"mean": 212.0, "unit": "W"}
    output = from_files(files)
    assert output.runs[0].schema_version == "1.5"
    assert output.primary_level().estimates() == MULTI.primary_level().estimates()


def test_missing_or_null_interval_statistics_mean_no_interval() -> None:
    files = files_of(MULTIRUN)
    metrics = files["aggregate/profile_export_aiperf_aggregate.json"]["metrics"]
    metrics["time_to_first_token_p90"]["ci_high"] = None
    del metrics["request_latency_p99"]["ci_low"]
    del metrics["output_token_throughput_avg"]
    figures = from_files(files).primary_level().estimates()
    assert not figures["TimeToFirstTokenP90"].has_interval
    assert figures["TimeToFirstTokenP90"].mean == aggregate_of(MULTIRUN)["metrics"]["time_to_first_token_p90"]["mean"]
    assert not figures["RequestLatencyP99"].has_interval
    per_run = [run.headline()["OutputTokenThroughput"] for run in MULTI.runs]  # falls back to the runs
    assert figures["OutputTokenThroughput"] == Estimate(pytest.approx(sum(per_run) / 3), 3)


# ---------------------------------------------------------------------------------------------- gate


@pytest.mark.parametrize(
    ("threshold", "passes"),
    [
        (Threshold("TimeToFirstTokenP99", 72.86), True),  # mean 72.857
        (Threshold("TimeToFirstTokenP99", 72.85), False),
        (Threshold("TimeToFirstTokenP99", 108.27, on_bound=True), True),  # upper bound 108.2606
        (Threshold("TimeToFirstTokenP99", 108.26, on_bound=True), False),
        (Threshold("OutputTokenThroughput", 460.0, at_most=False), True),  # mean 460.08
        (Threshold("OutputTokenThroughput", 427.55, at_most=False, on_bound=True), True),  # lower bound 427.5506
        (Threshold("OutputTokenThroughput", 427.56, at_most=False, on_bound=True), False),
        (Threshold("ErrorRate", 0.0, on_bound=True), True),
    ],
)
def test_the_gate_judges_the_mean_or_the_conservative_bound(threshold: Threshold, passes: bool) -> None:
    assert results.gate(MULTI.primary_level(), [threshold]).passed is passes


def test_a_breach_names_mean_interval_confidence_and_runs() -> None:
    verdict = results.gate(
        MULTI.primary_level(),
        [
            Threshold("TimeToFirstTokenP99", 100, on_bound=True),
            Threshold("OutputTokenThroughput", 450, at_most=False, on_bound=True),
            Threshold("RequestLatencyP90", 300),
        ],
    )
    assert verdict.breaches == [
        "TimeToFirstTokenP99 upper bound 108.3 (mean 72.86, 95 % interval 37.45 to 108.3 over 3 runs), "
        "threshold TimeToFirstTokenP99 <= 100 on the upper bound",
        "OutputTokenThroughput lower bound 427.6 (mean 460.1, 95 % interval 427.6 to 492.6 over 3 runs), "
        "threshold OutputTokenThroughput >= 450 on the lower bound",
        "RequestLatencyP90 mean 321 (95 % interval 280.7 to 361.3 over 3 runs), threshold RequestLatencyP90 <= 300 "
        "on the mean",
    ]


def test_a_single_run_has_no_interval_and_a_bound_threshold_says_so() -> None:
    level = SINGLE.primary_level()
    assert not level.repeated
    assert level.estimates()["TimeToFirstTokenP99"] == Estimate(pytest.approx(36.79755845), 1)
    verdict = results.gate(level, [Threshold("TimeToFirstTokenP99", 1000, on_bound=True)])
    assert not verdict.passed  # however generous the limit: there is no bound to judge
    (line,) = verdict.breaches
    assert line.startswith("TimeToFirstTokenP99 has no confidence interval (no interval: 1 run, measured 36.7976)")
    assert "RepeatedRuns(count=3 or more)" in line and line.endswith(
        "(threshold TimeToFirstTokenP99 <= 1000 on the upper bound)"
    )
    assert results.gate(level, [Threshold("TimeToFirstTokenP99", 1000)]).passed  # the mean of one run: its value


def test_failed_profile_runs_fail_the_gate() -> None:
    files = files_of(MULTIRUN)
    meta = files["aggregate/profile_export_aiperf_aggregate.json"]["metadata"]
    meta.update(num_successful_runs=2, failed_runs=[{"label": "run_0003", "error": "connection reset"}])
    level = from_files(files).primary_level()
    assert level.estimates()["TimeToFirstTokenP99"].runs == 2
    assert results.gate(level, []).breaches == ["1 of 3 profile runs failed"]


def test_capacity_from_a_sweep_of_repeated_runs_judges_each_levels_aggregate() -> None:
    output = results.load_path(SWEEP_RUNS)
    means = {level.concurrency: level.estimates()["RequestLatencyP90"] for level in output.levels()}
    between = (means[2].mean + means[4].mean) / 2
    assert means[2].mean < between < means[4].mean
    assert results.sustainable_concurrency(output, [Threshold("RequestLatencyP90", between)]) == 2
    assert results.sustainable_concurrency(output, [Threshold("RequestLatencyP90", means[4].mean)]) == 4
    with pytest.raises(results.ResultsError, match="no concurrency level meets the SLA"):  # 2 runs: t = 12.7
        results.sustainable_concurrency(output, [Threshold("RequestLatencyP90", means[4].mean, on_bound=True)])


# ---------------------------------------------------------------------------------------------- baseline


def test_the_baseline_document_round_trips_and_stays_small() -> None:
    figures = MULTI.primary_level().estimates()
    first = results.accept("job-a", figures, "workload-1", "2026-12-01T19:30:00Z")
    second = first.succeeded_by("job-b", CONVERGED.primary_level().estimates(), "workload-1", "2026-12-02T00:00:00Z")
    assert second.previous is not None and second.previous.job == "job-a" and second.previous.previous is None
    again = second.succeeded_by("job-b", figures, "workload-1", "2026-12-02T01:00:00Z")  # a re-read keeps job-a
    assert again.previous is not None and again.previous.job == "job-a"
    text = second.dumps()
    assert len(text.encode()) < 4096  # an SSM standard parameter
    restored = results.loads(text)
    assert restored.job == "job-b" and restored.previous is not None and restored.previous.job == "job-a"
    ttft = restored.figures["TimeToFirstTokenP99"]
    assert (ttft.runs, ttft.confidence) == (5, 0.95) and ttft.mean == pytest.approx(65.0956, rel=1e-5)
    with pytest.raises(results.ResultsError, match="not a baseline document"):
        results.loads('{"figures": {}}')


def shifted(figures: dict[str, Estimate | None], metric: str, factor: float) -> dict[str, Estimate | None]:
    changed = copy.copy(figures)
    estimate = changed[metric]
    assert estimate is not None
    changed[metric] = estimate.scaled(factor)
    return changed


def test_a_regression_shows_only_when_the_intervals_separate_by_more_than_the_tolerance() -> None:
    figures = MULTI.primary_level().estimates()
    baseline = results.accept("job-a", figures, None, None)
    tolerance = {"RequestLatencyP90": 0.10}
    # p90 interval 280.7-361.3: the candidate's lower bound must pass 361.3 * 1.1 = 397.4
    assert results.regressions(shifted(figures, "RequestLatencyP90", 1.41), baseline, tolerance).passed
    verdict = results.regressions(shifted(figures, "RequestLatencyP90", 1.42), baseline, tolerance)
    (line,) = verdict.breaches
    assert line.startswith(
        "RequestLatencyP90 regressed: its lower bound 398.6 lies above the baseline's upper bound 361.3 by more "
        "than 10 % (limit 397.4); now mean 455.8 (95 % interval 398.6 to 513 over 3 runs), baseline mean 321"
    )
    assert line.endswith("from job job-a")
    floor = {"OutputTokenThroughput": 0.05}  # interval 427.6-492.6: upper bound under 427.6 * 0.95 = 406.2
    assert results.regressions(shifted(figures, "OutputTokenThroughput", 0.83), baseline, floor).passed
    assert not results.regressions(shifted(figures, "OutputTokenThroughput", 0.82), baseline, floor).passed


def test_without_intervals_on_both_sides_the_means_are_compared() -> None:
    single = SINGLE.primary_level().estimates()
    baseline = results.accept("job-a", single, None, None)
    repeated = MULTI.primary_level().estimates()  # the mock run 3 times: TTFT p99 mean 72.9 against 36.8
    verdict = results.regressions(repeated, baseline, {"TimeToFirstTokenP99": 0.5})
    (line,) = verdict.breaches
    assert "its mean 72.86 lies above the baseline's 36.8 by more than 50 % (limit 55.2)" in line
    assert results.regressions(repeated, baseline, {"TimeToFirstTokenP99": 1.0}).passed  # limit 73.6


def test_figures_the_baseline_lacks_are_not_compared_and_the_candidate_must_have_them() -> None:
    figures = MULTI.primary_level().estimates()
    partial = results.accept("job-a", {"RequestLatencyP99": figures["RequestLatencyP99"]}, None, None)
    assert results.regressions(figures, partial, {"TimeToFirstTokenP99": 0.1}).passed  # establishes it
    missing = dict(figures, RequestLatencyP99=None)
    assert results.regressions(missing, partial, {"RequestLatencyP99": 0.1}).breaches == [
        "RequestLatencyP99 was not measured (the baseline from job job-a has it)"
    ]
    with pytest.raises(results.ResultsError, match="a tolerance names 'ErrorRate'"):
        results.regressions(figures, partial, {"ErrorRate": 0.1})


def test_the_real_single_run_still_reads_as_before() -> None:
    assert SINGLE.primary().headline() == {
        name: (e.mean if e else None) for name, e in SINGLE.primary_level().estimates().items()
    }
    assert SINGLE.primary().headline()["RequestLatencyP99"] == pytest.approx(real_profile()["request_latency"]["p99"])


def test_aiperfs_error_rate_over_runs_is_a_percent_and_reads_as_a_fraction() -> None:
    files = files_of(MULTIRUN)
    metrics = files["aggregate/profile_export_aiperf_aggregate.json"]["metrics"]
    metrics["request_error_rate_avg"].update(mean=3.33, ci_low=1.0, ci_high=5.66)
    rate = from_files(files).primary_level().estimates()["ErrorRate"]
    assert (rate.mean, rate.low, rate.high) == pytest.approx((0.0333, 0.01, 0.0566))
    assert not results.gate(from_files(files).primary_level(), [Threshold("ErrorRate", 0.05, on_bound=True)]).passed


def test_the_error_count_is_the_mean_over_every_run_not_over_those_with_errors() -> None:
    """AIPerf 0.13 leaves ``error_request_count`` out of a run without errors, and its aggregate skips a run
    that lacks a metric: over runs of 0, 3 and 5 errors it writes the mean of 3 and 5."""
    files = files_of(MULTIRUN)
    for run, errors in (("run_0002", 3.0), ("run_0003", 5.0)):
        files[f"profile_runs/{run}/profile_export_aiperf.json"]["error_request_count"] = {
            "unit": "requests",
            "avg": errors,
        }
    files["aggregate/profile_export_aiperf_aggregate.json"]["metrics"]["error_request_count_avg"] = {
        "mean": 4.0, "std": 1.4142, "min": 3.0, "max": 5.0, "cv": 0.3536, "se": 1.0,
        "ci_low": -8.706, "ci_high": 16.706, "t_critical": 12.706, "unit": "requests",
    }  # fmt: skip
    count = from_files(files).primary_level().estimates()["ErrorCount"]
    assert (count.mean, count.runs) == (pytest.approx(8 / 3), 3)


def test_an_aggregate_over_one_successful_run_has_no_interval() -> None:
    files = files_of(MULTIRUN)
    meta = files["aggregate/profile_export_aiperf_aggregate.json"]["metadata"]
    meta.update(num_successful_runs=1, failed_runs=["run_0002", "run_0003"])
    ttft = from_files(files).primary_level().estimates()["TimeToFirstTokenP99"]
    assert (ttft.runs, ttft.has_interval) == (1, False)
