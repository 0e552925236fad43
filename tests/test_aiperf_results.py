"""Parsing AIPerf output in all its variety, deriving capacities, and gating on SLAs."""

from __future__ import annotations

import io
import json

import pytest
from aiperf_fixtures import SHARED, profile_v11, real_profile, sweep, tarball, with_nulls, write_tree

from cdk_genai_inference.benchmark import aiperf as results
from cdk_genai_inference.benchmark.aiperf import Threshold


def from_files(files: dict) -> results.BenchmarkOutput:
    return results.load_tarball(io.BytesIO(tarball(files)))


def test_the_real_aiperf_0_13_run_gives_every_headline_figure() -> None:
    raw = real_profile()
    output = from_files(
        {
            "profile_export_aiperf.json": raw,
            "profile_export.jsonl": (SHARED / "profile_export.first5.jsonl").read_text(),
        }
    )
    run = output.primary()
    assert (run.schema_version, run.aiperf_version, run.complete, run.concurrency) == ("1.4", "0.13.0", True, 4)
    figures = run.headline()
    for name, (metric, stat) in results.HEADLINE.items():
        assert figures[name] == pytest.approx(raw[metric][stat]), name
    assert figures["RequestLatencyP99"] == pytest.approx(250.36512721)
    assert (figures["ErrorCount"], figures["ErrorRate"], figures["RequestCount"]) == (0, 0, 40)
    assert output.failure_reason is None and output.search is None and not output.is_sweep


def test_schema_1_1_from_the_managed_job() -> None:
    run = from_files({"profile_export_aiperf.json": profile_v11()}).primary()
    assert (run.schema_version, run.concurrency) == ("1.1", 10)  # read from the 0.8 input_config shape
    figures = run.headline()
    assert figures["TimeToFirstTokenP90"] == pytest.approx(370.0)
    assert figures["OutputTokenThroughput"] == pytest.approx(218.1)
    assert figures["ErrorCount"] == 10
    assert figures["ErrorRate"] == pytest.approx(10 / 300)


def test_streaming_metrics_are_absent_when_streaming_is_off() -> None:
    figures = from_files({"profile_export_aiperf.json": profile_v11(streaming=False)}).primary().headline()
    assert figures["TimeToFirstTokenP50"] is None and figures["InterTokenLatencyP90"] is None
    assert figures["RequestLatencyP90"] == pytest.approx(10420.7)


def test_null_and_missing_statistics_read_as_none_and_unknown_keys_are_kept() -> None:
    profile = with_nulls(real_profile(), ("request_latency", "p99"), ("output_token_throughput", "avg"))
    profile["speculative_acceptance_rate"] = {"unit": "ratio", "avg": 0.71, "future_stat": 3}
    del profile["time_to_first_token"]["p90"]
    run = from_files({"profile_export_aiperf.json": profile}).primary()
    figures = run.headline()
    assert figures["RequestLatencyP99"] is None
    assert figures["OutputTokenThroughput"] is None
    assert figures["TimeToFirstTokenP90"] is None
    assert run.value("speculative_acceptance_rate") == pytest.approx(0.71)


def test_a_run_failed_by_the_validity_gate_keeps_its_figures_and_its_reason() -> None:
    reason = "AlgorithmError: Benchmark error rate 3.33% (10/300) exceeds maximum 1%"
    output = from_files({"profile_export_aiperf.json": profile_v11(errors=10), "failure_reason.txt": reason + "\n"})
    assert output.failure_reason == reason
    assert output.primary().headline()["RequestLatencyP99"] == pytest.approx(12010.3)


def test_a_sweep_reads_every_level_and_ignores_files_it_does_not_need() -> None:
    files = sweep({1: 0.5, 10: 1.0, 100: 3.0})
    files["profile_export_aiperf.json"] = profile_v11(concurrency=100, errors=0, scale=3.0)  # aggregate copy
    files["inputs.json"] = "x" * 4096
    output = from_files(files)
    assert output.is_sweep
    assert [run.concurrency for run in output.runs] == [1, 10, 100]
    assert output.primary().concurrency == 100
    assert output.primary().headline()["RequestLatencyP99"] == pytest.approx(12010.3 * 3.0)


def test_paths_may_be_nested_or_dot_prefixed() -> None:
    assert from_files({"output/profile_export_aiperf.json": profile_v11()}).primary().label == "run"
    output = results.load_tarball(io.BytesIO(tarball({"profile_export_aiperf.json": profile_v11()}, prefix="./")))
    assert output.primary().value("request_latency", "p50") == pytest.approx(8890.1)


def test_local_folders_and_tarballs_read_the_same(tmp_path) -> None:
    files = sweep({4: 1.0, 8: 2.0})
    folder = write_tree(tmp_path / "extracted", files)
    archive = tmp_path / "output.tar.gz"
    archive.write_bytes(tarball(files))
    assert results.load_path(folder) == results.load_path(archive)


def test_unreadable_outputs_fail_with_what_was_found() -> None:
    with pytest.raises(results.ResultsError, match="not a readable tar archive"):
        results.load_tarball(io.BytesIO(b"not a tarball"))
    with pytest.raises(
        results.ResultsError, match=r"no profile_export_aiperf.json in the benchmark output \(found: logs/aiperf.log\)"
    ):
        from_files({"logs/aiperf.log": "started"})
    with pytest.raises(results.ResultsError, match="is not valid JSON"):
        from_files({"profile_export_aiperf.json": "{truncated"})


# ---------------------------------------------------------------------------------------------- gate

RUN = results.load_tarball(io.BytesIO(tarball({"profile_export_aiperf.json": profile_v11()}))).primary()


@pytest.mark.parametrize(
    ("threshold", "passes"),
    [
        (Threshold("RequestLatencyP99", 12010.3), True),  # equal passes
        (Threshold("RequestLatencyP99", 12010.2), False),
        (Threshold("TimeToFirstTokenP90", 370.0), True),
        (Threshold("TimeToFirstTokenP90", 369.9), False),
        (Threshold("InterTokenLatencyP90", 4.9), True),
        (Threshold("OutputTokenThroughput", 218.1, at_most=False), True),  # equal passes
        (Threshold("OutputTokenThroughput", 218.2, at_most=False), False),
        (Threshold("ErrorRate", 10 / 300), True),
        (Threshold("ErrorRate", 0.01), False),
        (Threshold("ErrorCount", 9), False),
    ],
)
def test_each_threshold_and_its_equality_edge(threshold: Threshold, passes: bool) -> None:
    assert results.gate(RUN, [threshold]).passed is passes


def test_breaches_list_metric_measured_value_and_threshold() -> None:
    verdict = results.gate(
        RUN,
        [
            Threshold("RequestLatencyP99", 10000),
            Threshold("OutputTokenThroughput", 500, at_most=False),
            Threshold("RequestLatencyP50", 9999),
        ],
    )
    assert verdict.message("AI benchmark job nightly") == (
        "AI benchmark job nightly breaches its SLA: RequestLatencyP99 measured 12010.3, threshold RequestLatencyP99 <= 10000; "
        "OutputTokenThroughput measured 218.1, threshold OutputTokenThroughput >= 500"
    )


def test_a_missing_metric_fails_the_gate_with_a_clear_message() -> None:
    run = from_files({"profile_export_aiperf.json": profile_v11(streaming=False)}).primary()
    verdict = results.gate(run, [Threshold("TimeToFirstTokenP90", 500)])
    assert not verdict.passed
    assert verdict.breaches == ["TimeToFirstTokenP90 was not measured (threshold TimeToFirstTokenP90 <= 500)"]


# ---------------------------------------------------------------------------------------------- capacity


def test_capacity_is_the_highest_sweep_level_that_meets_the_sla() -> None:
    output = from_files(sweep({1: 0.5, 8: 0.9, 16: 1.0, 32: 1.6}))
    assert results.sustainable_concurrency(output, [Threshold("RequestLatencyP99", 12010.3)]) == 16
    assert results.sustainable_concurrency(output, [Threshold("RequestLatencyP99", 6005.15)]) == 1
    with pytest.raises(results.ResultsError, match=r"no concurrency level meets the SLA \(tried 1, 8, 16, 32\)"):
        results.sustainable_concurrency(output, [Threshold("RequestLatencyP99", 100)])


def test_capacity_from_an_sla_search_is_its_feasible_maximum() -> None:
    history = {
        "boundary_summary": {"feasible_max": {"value": 48, "metrics": {}}, "infeasible_min": {"value": 56}},
        "history": [],
    }
    output = from_files({"profile_export_aiperf.json": profile_v11(), "search_history.json": history})
    assert output.search == results.Search(48.0, 56.0)
    assert results.sustainable_concurrency(output, []) == 48


def test_an_sla_search_that_found_nothing_says_where_it_failed() -> None:
    history = {"boundary_summary": {"feasible_max": {"value": None}, "infeasible_min": {"value": 1}}}
    output = from_files({"profile_export_aiperf.json": profile_v11(), "search_history.json": json.dumps(history)})
    with pytest.raises(results.ResultsError, match=r"no concurrency that meets the SLA \(it failed from 1\)"):
        results.sustainable_concurrency(output, [])


def test_aiperf_0_13_reports_its_error_rate_in_percent() -> None:
    profile = real_profile()
    profile["request_error_rate"] = {"unit": "%", "avg": 3.33}
    profile["error_request_count"] = {"unit": "requests", "avg": 10}
    run = from_files({"profile_export_aiperf.json": profile}).primary()
    assert run.error_rate == pytest.approx(0.0333)
    assert not results.gate(run, [Threshold("ErrorRate", 0.01)]).passed


def test_a_run_in_which_every_request_failed_has_an_error_rate_of_one() -> None:
    """AIPerf writes ``request_count`` from the valid requests alone: a run with errors and without it
    failed every request, which the gate must report as a 100 % error rate, not as a figure not measured."""
    profile = profile_v11(errors=300)
    del profile["request_count"]
    run = from_files({"profile_export_aiperf.json": profile}).primary()
    assert (run.error_rate, run.headline()["RequestCount"]) == (1.0, 0.0)
    assert results.gate(run, [Threshold("ErrorRate", 0.01)]).breaches == [
        "ErrorRate measured 1, threshold ErrorRate <= 0.01"
    ]
    profile = profile_v11(errors=0)
    del profile["request_count"]  # and no errors written either: nothing is known
    run = from_files({"profile_export_aiperf.json": profile}).primary()
    assert (run.error_rate, run.headline()["RequestCount"]) == (None, None)


def test_latencies_in_other_time_units_are_converted_and_unknown_units_refused() -> None:
    profile = profile_v11()
    profile["request_latency"] = {"unit": "sec", "p50": 8.8901, "p90": 10.4207, "p99": 12.0103}
    run = from_files({"profile_export_aiperf.json": profile}).primary()
    assert run.headline()["RequestLatencyP99"] == pytest.approx(12010.3)
    profile["request_latency"]["unit"] = "fortnights"
    with pytest.raises(results.ResultsError, match="request_latency is in 'fortnights'"):
        from_files({"profile_export_aiperf.json": profile}).primary().headline()


def test_a_cancelled_run_never_passes_the_gate() -> None:
    profile = real_profile()
    profile["was_cancelled"] = True
    run = from_files({"profile_export_aiperf.json": profile}).primary()
    assert results.gate(run, []).breaches == ["run did not complete (AIPerf marked it cancelled or incomplete)"]


def test_multi_trial_sweeps_pass_a_level_only_when_every_trial_does() -> None:
    files = {
        "profile_runs/trial_0001/concurrency_8/profile_export_aiperf.json": profile_v11(
            concurrency=8, errors=0, scale=0.8
        ),
        "profile_runs/trial_0002/concurrency_8/profile_export_aiperf.json": profile_v11(
            concurrency=8, errors=0, scale=1.2
        ),
        "profile_runs/trial_0001/concurrency_4/profile_export_aiperf.json": profile_v11(
            concurrency=4, errors=0, scale=0.5
        ),
        "profile_runs/trial_0002/concurrency_4/profile_export_aiperf.json": profile_v11(
            concurrency=4, errors=0, scale=0.6
        ),
    }
    output = from_files(files)
    assert sorted(run.label for run in output.runs) == [
        "trial_0001/concurrency_4",
        "trial_0001/concurrency_8",
        "trial_0002/concurrency_4",
        "trial_0002/concurrency_8",
    ]
    assert results.sustainable_concurrency(output, [Threshold("RequestLatencyP99", 12010.3)]) == 4  # trial 2 of 8 fails


def test_an_sla_search_reports_the_run_at_its_answer() -> None:
    files = {
        f"search_iter_000{i}/profile_export_aiperf.json": profile_v11(concurrency=level, errors=0, scale=scale)
        for i, (level, scale) in enumerate([(16, 1.0), (32, 2.0), (24, 1.4)], start=1)
    }
    files["search_history.json"] = {
        "boundary_summary": {"feasible_max": {"value": 24}, "infeasible_min": {"value": 32}}
    }
    output = from_files(files)
    assert output.primary().label == "search_iter_0003"
    assert output.primary().concurrency == 24


def test_a_search_without_a_boundary_still_reads_and_says_so_when_asked() -> None:
    output = from_files(
        {"profile_export_aiperf.json": profile_v11(), "search_history.json": {"boundary_summary": None}}
    )
    assert output.search == results.Search(None, None)
    assert output.primary().headline()["RequestLatencyP50"] == pytest.approx(8890.1)
    with pytest.raises(results.ResultsError, match="the SLA search found no concurrency that meets the SLA"):
        results.sustainable_concurrency(output, [])


@pytest.mark.parametrize(
    ("threshold", "passes"),
    [
        (Threshold("TimeToFirstTokenP50", 270.8), True),
        (Threshold("TimeToFirstTokenP50", 270.7), False),
        (Threshold("InterTokenLatencyP50", 4.3), True),
        (Threshold("InterTokenLatencyP50", 4.29), False),
        (Threshold("RequestThroughput", 1.16, at_most=False), True),
        (Threshold("RequestThroughput", 1.17, at_most=False), False),
    ],
)
def test_more_thresholds_and_their_edges(threshold: Threshold, passes: bool) -> None:
    assert results.gate(RUN, [threshold]).passed is passes
