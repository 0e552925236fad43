"""Benchmark results through the handler, with Stubber validating every SageMaker, S3, CloudWatch
and SSM call against the real service models."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import ai_jobs_handler
import aws_calls
import benchmark_logic
import boto3
import job_waiter
import pytest
from aiperf_fixtures import profile_v11, real_profile, sweep, tarball
from botocore.response import StreamingBody
from botocore.stub import Stubber

REGION = "us-west-2"
JOB = "nightly-bench-4d5e6f7a8b"
JOB_ARN = f"arn:aws:sagemaker:{REGION}:111122223333:ai-benchmark-job/{JOB}"
OUTPUT = "s3://genai-artifacts-111122223333/benchmarks/"
KEY = f"benchmarks/{JOB}/output/output.tar.gz"


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def clients():
    made = {name: client(name) for name in ("sagemaker", "s3", "cloudwatch", "ssm")}
    stubs = {name: Stubber(c) for name, c in made.items()}
    for stub in stubs.values():
        stub.activate()
    yield made, stubs
    for stub in stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(aws_calls, "backoff", lambda seconds: None)


def described(status: str, failure: str | None = None) -> dict[str, Any]:
    response = {
        "AIBenchmarkJobName": JOB,
        "AIBenchmarkJobArn": JOB_ARN,
        "AIBenchmarkJobStatus": status,
        "BenchmarkTarget": {"Endpoint": {"Identifier": "genai-serving"}},
        "OutputConfig": {"S3OutputLocation": OUTPUT},
        "AIWorkloadConfigIdentifier": "chat-3500-200",
        "RoleArn": "arn:aws:iam::111122223333:role/bench",
        "CreationTime": dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
    }
    if failure:
        response["FailureReason"] = failure
    return response


def stub_output(stubs: dict[str, Stubber], archive: bytes, *, extra_keys: tuple[str, ...] = ()) -> None:
    newer = dt.datetime(2026, 11, 21, 9, tzinfo=dt.UTC)
    contents = [{"Key": KEY, "LastModified": dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC), "Size": len(archive)}]
    contents += [{"Key": key, "LastModified": newer, "Size": 10} for key in extra_keys]
    stubs["s3"].add_response(
        "list_objects_v2",
        {"Contents": contents, "IsTruncated": False, "KeyCount": len(contents)},
        {"Bucket": "genai-artifacts-111122223333", "Prefix": "benchmarks/"},
    )
    stubs["s3"].add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(archive), len(archive)), "ContentLength": len(archive)},
        {"Bucket": "genai-artifacts-111122223333", "Key": KEY},
    )


def props(**extra: Any) -> dict[str, Any]:
    return {"Kind": "BenchmarkResults", "JobName": JOB, "Thresholds": [], "AllowFailedJob": "false", **extra}


def run(clients, **extra: Any) -> dict[str, Any]:
    made, _ = clients
    return benchmark_logic.benchmark_results(
        made["sagemaker"], made["s3"], made["cloudwatch"], made["ssm"], props(**extra)
    )


def test_results_of_a_completed_job_become_attributes(clients) -> None:
    _, stubs = clients
    stubs["sagemaker"].add_response("describe_ai_benchmark_job", described("Completed"), {"AIBenchmarkJobName": JOB})
    stub_output(
        stubs,
        tarball({"profile_export_aiperf.json": real_profile()}),
        extra_keys=("benchmarks/other-job/output/output.tar.gz",),
    )
    response = run(clients)
    raw = real_profile()
    data = response["Data"]
    assert data["RequestLatencyP99"] == f"{raw['request_latency']['p99']:.6g}"
    assert data["TimeToFirstTokenP90"] == f"{raw['time_to_first_token']['p90']:.6g}"
    assert data["OutputTokenThroughput"] == f"{raw['output_token_throughput']['avg']:.6g}"
    assert (data["ErrorCount"], data["RequestCount"], data["JobStatus"]) == ("0", "40", "Completed")
    assert data["Output"] == f"s3://genai-artifacts-111122223333/{KEY}"  # the key naming the job beats a newer one
    assert response["PhysicalResourceId"] == f"{JOB}:results"


def test_the_output_is_found_across_listing_pages(clients) -> None:
    _, stubs = clients
    archive = tarball({"profile_export_aiperf.json": profile_v11()})
    stubs["sagemaker"].add_response("describe_ai_benchmark_job", described("Completed"))
    stubs["s3"].add_response(
        "list_objects_v2",
        {
            "Contents": [{"Key": "benchmarks/logs.txt", "LastModified": dt.datetime(2026, 11, 21, 9, tzinfo=dt.UTC)}],
            "IsTruncated": True,
            "NextContinuationToken": "page2",
        },
        {"Bucket": "genai-artifacts-111122223333", "Prefix": "benchmarks/"},
    )
    stubs["s3"].add_response(
        "list_objects_v2",
        {
            "Contents": [
                {"Key": KEY, "LastModified": dt.datetime(2026, 11, 21, 9, tzinfo=dt.UTC)},
                {"Key": "benchmarks/last-month/output.tar.gz", "LastModified": dt.datetime(2026, 10, 1, tzinfo=dt.UTC)},
            ],
            "IsTruncated": False,
        },
        {"Bucket": "genai-artifacts-111122223333", "Prefix": "benchmarks/", "ContinuationToken": "page2"},
    )
    stubs["s3"].add_client_error("get_object", "SlowDown", "Please reduce your request rate", 503)
    stubs["s3"].add_response(  # never the archive older than the job: a previous run's
        "get_object",
        {"Body": StreamingBody(io.BytesIO(archive), len(archive))},
        {"Bucket": "genai-artifacts-111122223333", "Key": KEY},
    )
    assert run(clients)["Data"]["RequestLatencyP90"] == "10420.7"


def test_a_breach_fails_with_every_metric_value_and_threshold(clients) -> None:
    _, stubs = clients
    stubs["sagemaker"].add_response("describe_ai_benchmark_job", described("Completed"))
    stub_output(stubs, tarball({"profile_export_aiperf.json": profile_v11(errors=0)}))
    thresholds = [
        {"Metric": "RequestLatencyP99", "Limit": "10000", "AtMost": "true"},
        {"Metric": "TimeToFirstTokenP90", "Limit": "370", "AtMost": "true"},  # equal: passes
        {"Metric": "OutputTokenThroughput", "Limit": "500", "AtMost": "false"},
    ]
    with pytest.raises(aws_calls.JobError) as failure:
        run(clients, Thresholds=thresholds)
    assert str(failure.value) == (
        f"AI benchmark job {JOB} breaches its SLA: RequestLatencyP99 measured 12010.3, threshold RequestLatencyP99 <= 10000; "
        "OutputTokenThroughput measured 218.1, threshold OutputTokenThroughput >= 500"
    )


def test_a_job_failed_by_the_validity_gate_reports_reason_and_figures(clients) -> None:
    _, stubs = clients
    reason = "AlgorithmError: Benchmark error rate 3.33% (10/300) exceeds maximum 1%"
    stubs["sagemaker"].add_response("describe_ai_benchmark_job", described("Failed", reason))
    stub_output(stubs, tarball({"profile_export_aiperf.json": profile_v11(errors=10), "failure_reason.txt": reason}))
    with pytest.raises(
        aws_calls.JobError,
        match=rf"AI benchmark job {JOB} Failed: AlgorithmError: Benchmark error rate 3.33% \(10/300\) exceeds maximum 1%; measured RequestLatencyP50 8890.1, .*ErrorCount 10, ErrorRate 0.0333333",
    ):
        run(clients)


def test_a_failed_job_can_be_accepted_and_reported(clients) -> None:
    _, stubs = clients
    stubs["sagemaker"].add_response("describe_ai_benchmark_job", described("Failed", "AlgorithmError: 3.33% errors"))
    stub_output(stubs, tarball({"profile_export_aiperf.json": profile_v11(errors=10)}))
    data = run(clients, AllowFailedJob="true")["Data"]
    assert (data["JobStatus"], data["FailureReason"], data["ErrorCount"]) == (
        "Failed",
        "AlgorithmError: 3.33% errors",
        "10",
    )


@pytest.mark.parametrize("status", ["InProgress", "Stopping", "Stopped"])
def test_an_unfinished_job_has_no_results(clients, status: str) -> None:
    _, stubs = clients
    stubs["sagemaker"].add_response("describe_ai_benchmark_job", described(status))
    with pytest.raises(
        aws_calls.JobError, match=f"AI benchmark job {JOB} is {status}; its results exist once it has finished"
    ):
        run(clients)


def test_a_missing_output_names_where_it_looked(clients) -> None:
    _, stubs = clients
    stubs["sagemaker"].add_response("describe_ai_benchmark_job", described("Completed"))
    stubs["s3"].add_response("list_objects_v2", {"IsTruncated": False, "KeyCount": 0})
    with pytest.raises(aws_calls.JobError, match=f"AI benchmark job {JOB} left no output.tar.gz under {OUTPUT}"):
        run(clients)


def test_capacity_comes_from_the_best_passing_sweep_level_per_instance(clients) -> None:
    _, stubs = clients
    stubs["sagemaker"].add_response("describe_ai_benchmark_job", described("Completed"))
    stub_output(stubs, tarball(sweep({4: 0.5, 8: 0.8, 16: 1.2})))
    capacity = {"Thresholds": [{"Metric": "RequestLatencyP99", "Limit": "10000", "AtMost": "true"}], "Instances": "2"}
    data = run(clients, Capacity=capacity)["Data"]
    assert data["MaxConcurrencyPerInstance"] == "4"  # level 8 passes (9608 ms), level 16 does not; 2 instances
    assert (data["Concurrency"], data["Runs"]) == ("16", "3")


def test_capacity_failure_is_explained(clients) -> None:
    _, stubs = clients
    stubs["sagemaker"].add_response("describe_ai_benchmark_job", described("Completed"))
    stub_output(stubs, tarball(sweep({4: 1.0, 8: 2.0})))
    capacity = {"Thresholds": [{"Metric": "RequestLatencyP99", "Limit": "1000", "AtMost": "true"}], "Instances": "1"}
    with pytest.raises(aws_calls.JobError) as failure:
        run(clients, Capacity=capacity)
    message = str(failure.value)
    assert message.startswith(f"AI benchmark job {JOB}: no concurrency level meets the SLA (tried 4, 8); at 4: "), (
        message
    )
    assert re.search(
        r"at 4: RequestLatencyP99 .+ threshold RequestLatencyP99 <= 1000; at 8: RequestLatencyP99 ", message
    )


def test_figures_are_published_as_metrics_and_parameters(clients) -> None:
    _, stubs = clients
    stubs["sagemaker"].add_response("describe_ai_benchmark_job", described("Completed"))
    stub_output(stubs, tarball({"profile_export_aiperf.json": profile_v11(streaming=False, errors=0)}))
    figures = {
        "ErrorCount": (0.0, "Count"),
        "ErrorRate": (0.0, "None"),
        "OutputTokenThroughput": (218.1, "Count/Second"),
        "RequestCount": (300.0, "Count"),
        "RequestLatencyP50": (8890.1, "Milliseconds"),
        "RequestLatencyP90": (10420.7, "Milliseconds"),
        "RequestLatencyP99": (12010.3, "Milliseconds"),
        "RequestThroughput": (1.16, "Count/Second"),
    }
    dimensions = [{"Name": "Benchmark", "Value": JOB}]
    stubs["cloudwatch"].add_response(
        "put_metric_data",
        {},
        {
            "Namespace": "GenAI/Benchmarks",
            "MetricData": [
                {"MetricName": name, "Dimensions": dimensions, "Value": value, "Unit": unit}
                for name, (value, unit) in figures.items()
            ],
        },
    )
    texts = {name: str(int(value)) if value.is_integer() else f"{value:.6g}" for name, (value, _) in figures.items()}
    for name, text in sorted({**texts, "JobName": JOB}.items()):
        stubs["ssm"].add_response(
            "put_parameter",
            {"Version": 1},
            {"Name": f"/genai/benchmarks/nightly/{name}", "Value": text, "Type": "String", "Overwrite": True},
        )
    publish = {
        "Namespace": "GenAI/Benchmarks",
        "Dimensions": dimensions,
        "ParameterPrefix": "/genai/benchmarks/nightly",
    }
    run(clients, Publish=publish)


def test_deleting_results_removes_the_parameters_this_job_wrote(clients) -> None:
    made, stubs = clients
    names = [f"/b/{n}" for n in [*benchmark_logic.results.FIGURES, "JobName"]]
    stubs["ssm"].add_response(
        "get_parameter", {"Parameter": {"Name": "/b/JobName", "Value": JOB, "Type": "String"}}, {"Name": "/b/JobName"}
    )
    stubs["ssm"].add_response("delete_parameters", {"DeletedParameters": names[:10]}, {"Names": names[:10]})
    stubs["ssm"].add_response("delete_parameters", {"InvalidParameters": names[10:]}, {"Names": names[10:]})
    benchmark_logic.unpublish(made["ssm"], {"ParameterPrefix": "/b"}, JOB)


def test_deleting_replaced_results_keeps_the_new_runs_parameters(clients) -> None:
    made, stubs = clients
    newer = {"Parameter": {"Name": "/b/JobName", "Value": "nightly-bench-0000000000", "Type": "String"}}
    stubs["ssm"].add_response("get_parameter", newer)
    benchmark_logic.unpublish(made["ssm"], {"ParameterPrefix": "/b"}, JOB)  # no delete_parameters call
    stubs["ssm"].add_client_error("get_parameter", "ParameterNotFound", "gone")
    benchmark_logic.unpublish(made["ssm"], {"ParameterPrefix": "/b"}, JOB)


def test_every_figure_is_returned_even_when_not_measured(clients) -> None:
    _, stubs = clients
    stubs["sagemaker"].add_response("describe_ai_benchmark_job", described("Completed"))
    stub_output(stubs, tarball({"profile_export_aiperf.json": profile_v11(streaming=False, errors=0)}))
    data = run(clients)["Data"]
    assert set(benchmark_logic.results.FIGURES) <= set(data)  # the stack reads every one with GetAtt
    assert (data["TimeToFirstTokenP90"], data["InterTokenLatencyP50"]) == ("n/a", "n/a")
    assert (data["JobStatus"], data["FailureReason"], data["Concurrency"]) == ("Completed", "none", "10")


def test_a_job_that_failed_before_writing_output_reports_its_reason(clients) -> None:
    _, stubs = clients
    reason = "ClientError: endpoint genai-serving not found"
    stubs["sagemaker"].add_response("describe_ai_benchmark_job", described("Failed", reason))
    stubs["s3"].add_response("list_objects_v2", {"IsTruncated": False, "KeyCount": 0})
    with pytest.raises(aws_calls.JobError) as failure:
        run(clients)
    assert str(failure.value).startswith(f"AI benchmark job {JOB} Failed: {reason} (AI benchmark job {JOB} left no")


def test_access_denied_on_the_output_is_explained(clients) -> None:
    _, stubs = clients
    stubs["sagemaker"].add_response("describe_ai_benchmark_job", described("Completed"))
    stubs["s3"].add_client_error("list_objects_v2", "AccessDenied", "Access Denied", 403)
    with pytest.raises(aws_calls.JobError, match=rf"AI benchmark job {JOB}: An error occurred \(AccessDenied\)"):
        run(clients)


def test_a_job_that_is_gone_has_no_results(clients) -> None:
    _, stubs = clients
    stubs["sagemaker"].add_client_error("describe_ai_benchmark_job", "ResourceNotFound", "no such job")
    with pytest.raises(aws_calls.JobError, match=f"AI benchmark job {JOB} does not exist"):
        run(clients)


def test_the_entry_point_routes_results_and_their_deletion(monkeypatch, clients) -> None:
    made, stubs = clients
    monkeypatch.setattr(ai_jobs_handler.boto3, "client", lambda service, **_: made[service])
    stubs["sagemaker"].add_response("describe_ai_benchmark_job", described("Completed"))
    stub_output(stubs, tarball({"profile_export_aiperf.json": profile_v11()}))
    created = ai_jobs_handler.on_event({"RequestType": "Create", "ResourceProperties": props()}, None)
    assert created["Data"]["RequestLatencyP99"] == "12010.3"
    stubs["ssm"].add_client_error("get_parameter", "ParameterNotFound", "none published")
    delete = {
        "RequestType": "Delete",
        "PhysicalResourceId": created["PhysicalResourceId"],
        "ResourceProperties": props(Publish={"ParameterPrefix": "/b"}),
    }
    assert ai_jobs_handler.on_event(delete, None) == {"PhysicalResourceId": f"{JOB}:results"}


def test_the_waiter_hands_a_failed_benchmark_to_its_results(clients) -> None:
    made, stubs = clients
    stubs["sagemaker"].add_response("describe_ai_benchmark_job", described("Failed", "AlgorithmError: 2% errors"))
    result = job_waiter.poll_job(made["sagemaker"], "BenchmarkJob", JOB, deadline=100.0, now=1.0)
    assert result.done and result.signal["Status"] == "SUCCESS"
    assert result.signal["Reason"] == f"AI benchmark job {JOB} finished Failed"
