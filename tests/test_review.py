"""The review of ranked recommendations: from a saved response or a described job, as a table, JSON and a chart,
and beside what a benchmark of the deployment measured (the real AIPerf 0.13 run in the fixtures)."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from botocore.validate import ParamValidator

from cdk_genai_inference._core import service_model
from cdk_genai_inference.console import cli
from conftest import REPO

SAVED = REPO / "tests" / "fixtures" / "recommendation-job" / "describe-ai-recommendation-job.json"
BENCHMARK = REPO / "tests" / "fixtures" / "aiperf-0.13-mock"


def run(*args: str, **clients: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["review", *args], out=out, err=err, **clients)
    return code, out.getvalue(), err.getvalue()


def as_the_service_returns_it() -> dict:
    document = json.loads(SAVED.read_text())
    for key in ("CreationTime", "StartTime", "EndTime"):
        document[key] = dt.datetime.fromisoformat(document[key])
    return document


def test_the_saved_response_is_one_the_service_model_accepts() -> None:
    shape = service_model.operation("DescribeAIRecommendationJob").output_shape
    report = ParamValidator().validate(as_the_service_returns_it(), shape)
    assert not report.has_errors(), report.generate_report()


def test_the_table_shows_each_recommendation_as_a_deployment() -> None:
    code, out, _ = run(str(SAVED))
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:6] == ["Rank", "Instance", "type", "Inst", "Copies", "TP"]
    first = lines[2].split()
    assert first[:7] == ["1", "ml.g6e.12xlarge", "1", "2", "2", "SpeculativeDecoding", "2,950"]
    assert first[-1] == "88"
    assert lines[3].split()[:6] == ["2", "ml.g6e.12xlarge", "1", "1", "4", "none"]
    assert len(lines) == 2 + 3


def test_json_prints_the_rows_for_scripts() -> None:
    code, out, _ = run(str(SAVED), "--json")
    rows = json.loads(out)["recommendations"]
    assert code == 0 and [r["rank"] for r in rows] == [1, 2, 3]
    assert rows[0]["copies_per_instance"] == 2 and rows[0]["tensor_parallel_size"] == 2
    assert rows[0]["expected"]["ClientSideConcurrency"] == 88.0
    assert rows[0]["optimizations"] == ["SpeculativeDecoding"]


def test_a_job_name_is_described_with_the_sdk() -> None:
    client = boto3.client("sagemaker", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        name = "gpt-oss-20b-sizing-3f2a9c1b7e"
        stub.add_response(
            "describe_ai_recommendation_job", as_the_service_returns_it(), {"AIRecommendationJobName": name}
        )
        code, out, _ = run(name, sagemaker=client)
    assert code == 0 and "ml.g6.12xlarge" in out


def test_the_benchmark_is_set_beside_what_was_recommended() -> None:
    code, out, _ = run(str(SAVED), "--benchmark", str(BENCHMARK), "--json")
    comparison = json.loads(out)["comparison"]
    assert code == 0
    assert comparison["recommendation"] == {"rank": 1, "instance_type": "ml.g6e.12xlarge", "concurrency": 88.0}
    figures = {f["figure"]: f for f in comparison["figures"]}
    assert figures["OutputTokenThroughput"]["expected"] == 2950.5
    assert figures["OutputTokenThroughput"]["measured"] is not None
    ratio = figures["RequestLatencyP90"]["measured_over_expected"]
    assert ratio == pytest.approx(figures["RequestLatencyP90"]["measured"] / 6120)
    code, text, _ = run(str(SAVED), "--benchmark", str(BENCHMARK), "--instance-type", "ml.g6.12xlarge")
    assert (
        code == 0
        and "Recommendation 3 (ml.g6.12xlarge, concurrency 60) against the benchmark (concurrency 4, 1 run)" in text
    )


def test_repeated_runs_are_compared_by_their_mean_and_interval() -> None:
    code, out, _ = run(str(SAVED), "--benchmark", str(REPO / "tests" / "fixtures" / "aiperf-0.13-multirun"), "--json")
    comparison = json.loads(out)["comparison"]
    assert code == 0 and comparison["benchmark"]["runs"] == 3
    ttft = next(f for f in comparison["figures"] if f["figure"] == "TimeToFirstTokenP90")
    low, high = ttft["interval"]
    assert low < ttft["measured"] < high


def test_plot_draws_one_point_per_recommendation(tmp_path: Path) -> None:
    chart = tmp_path / "ranked.png"
    code, _, err = run(str(SAVED), "--plot", str(chart))
    assert code == 0 and f"wrote {chart}" in err
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--instance-type", "ml.p5.48xlarge", "--benchmark", str(BENCHMARK)],
            "--instance-type ml.p5.48xlarge has no recommendation; the job recommended: ml.g6e.12xlarge, ml.g6.12xlarge",
        ),
        (["--benchmark", "/nonexistent/output"], "/nonexistent/output:"),
    ],
)
def test_bad_inputs_fail_with_a_clear_message(args: list[str], message: str) -> None:
    code, _, err = run(str(SAVED), *args)
    assert code == 1 and message in err


def test_a_file_that_is_not_a_job_description_fails_clearly(tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    other.write_text('{"EndpointName": "x"}')
    code, _, err = run(str(other))
    assert code == 1 and "is not a DescribeAIRecommendationJob response" in err
