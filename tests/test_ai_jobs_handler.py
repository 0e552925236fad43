"""The AI-job handlers against botocore's Stubber: every request and response is validated against
the real SageMaker and Step Functions service models, and faults are injected through it."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import ai_jobs_handler
import ai_jobs_logic as logic
import boto3
import pytest
from botocore.stub import Stubber

REGION = "us-west-2"
JOB = "genai-rec-3f2a9c1b7e"
JOB_ARN = f"arn:aws:sagemaker:{REGION}:111122223333:ai-recommendation-job/{JOB}"
ROLE = "arn:aws:iam::111122223333:role/rec-execution"
HANDLE = "https://cloudformation-waitcondition-us-west-2.s3.amazonaws.com/arn%3Aaws/handle?sig=abc"
WAITER = f"arn:aws:states:{REGION}:111122223333:stateMachine:waiter"
REQUEST = {
    "AIRecommendationJobName": JOB,
    "ModelSource": {"S3": {"S3Uri": "s3://models/llama-3.1-8b/"}},
    "OutputConfig": {"S3OutputLocation": "s3://artifacts/recommendations/"},
    "AIWorkloadConfigIdentifier": "chat-3500-200",
    "PerformanceTarget": {"Constraints": [{"Metric": "throughput"}]},
    "RoleArn": ROLE,
    "ComputeSpec": {"InstanceTypes": ["ml.g6e.12xlarge", "ml.g6.12xlarge", "ml.g5.12xlarge"]},
    "OptimizeModel": True,
}


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture
def sm():
    sagemaker = client("sagemaker")
    with Stubber(sagemaker) as stubber:
        yield sagemaker, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def sfn():
    stepfunctions = client("stepfunctions")
    with Stubber(stepfunctions) as stubber:
        yield stepfunctions, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(logic, "backoff", waits.append)
    return waits


def described(status: str, *, failure: str | None = None, recommendations: list | None = None) -> dict:
    response = {
        "AIRecommendationJobName": JOB,
        "AIRecommendationJobArn": JOB_ARN,
        "AIRecommendationJobStatus": status,
        "ModelSource": REQUEST["ModelSource"],
        "OutputConfig": REQUEST["OutputConfig"],
        "AIWorkloadConfigIdentifier": "chat-3500-200",
        "RoleArn": ROLE,
        "CreationTime": dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC),
    }
    if failure:
        response["FailureReason"] = failure
    if recommendations is not None:
        response["Recommendations"] = recommendations
    return response


def recommendation(instance_type: str, spec: str, concurrency: str, stat: str = "avg") -> dict:
    return {
        "RecommendationDescription": f"highest throughput on {instance_type}",
        "ModelDetails": {
            "ModelPackageArn": f"arn:aws:sagemaker:{REGION}:111122223333:model-package/{JOB}/1",
            "InferenceSpecificationName": spec,
            "InstanceDetails": [{"InstanceType": instance_type, "InstanceCount": 1, "CopyCountPerInstance": 2}],
        },
        "DeploymentConfiguration": {
            "InstanceType": instance_type,
            "ImageUri": "763104351884.dkr.ecr.us-west-2.amazonaws.com/vllm:0.11",
        },
        "ExpectedPerformance": [
            {"Metric": "OutputTokenThroughput", "Stat": stat, "Value": "1480.5", "Unit": "Tokens/Second"},
            {"Metric": "RequestLatency", "Stat": "p90", "Value": "9120", "Unit": "Milliseconds"},
            {"Metric": "ClientSideConcurrency", "Value": concurrency, "Unit": "Count"},
        ],
    }


RANKED = [
    recommendation("ml.g6e.12xlarge", "high-otps-on-g6e-12xlarge", "24"),
    recommendation("ml.g5.12xlarge", "high-otps-on-g5-12xlarge", "10", stat="average"),
    recommendation("ml.g6e.12xlarge", "second-best-on-g6e", "16"),
    recommendation("ml.g6.12xlarge", "high-otps-on-g6-12xlarge", "12"),
]


def event(request_type: str, props: dict, **extra: Any) -> dict:
    return {"RequestType": request_type, "ResourceProperties": props, **extra}


JOB_PROPS = {"Kind": "RecommendationJob", "Request": REQUEST}


# ---------------------------------------------------------------------------------------------- create


def test_create_starts_the_job_with_the_exact_request(sm):
    sagemaker, stub = sm
    stub.add_response("create_ai_recommendation_job", {"AIRecommendationJobArn": JOB_ARN}, REQUEST)
    assert logic.on_event(sagemaker, event("Create", JOB_PROPS)) == {
        "PhysicalResourceId": JOB,
        "Data": {"JobName": JOB, "JobArn": JOB_ARN},
    }


def test_create_with_a_wait_starts_one_waiter_named_after_job_and_handle(sm, sfn):
    sagemaker, stub = sm
    stepfunctions, sfn_stub = sfn
    wait = {"StateMachineArn": WAITER, "HandleUrl": HANDLE, "TimeoutSeconds": 3600, "PollSeconds": 60}
    stub.add_response("create_ai_recommendation_job", {"AIRecommendationJobArn": JOB_ARN}, REQUEST)
    payload = {"Kind": "RecommendationJob", "JobName": JOB, "HandleUrl": HANDLE, "Deadline": 4480.0, "PollSeconds": 60}
    sfn_stub.add_response(
        "start_execution",
        {"executionArn": f"{WAITER}:run", "startDate": dt.datetime(2026, 11, 21, tzinfo=dt.UTC)},
        {
            "stateMachineArn": WAITER,
            "name": f"{JOB}-{hashlib.sha256(HANDLE.encode()).hexdigest()[:12]}",
            "input": json.dumps(payload),
        },
    )
    logic.on_event(sagemaker, event("Create", {**JOB_PROPS, "Wait": wait}), stepfunctions, now=lambda: 1000.0)


def test_a_retried_create_adopts_the_job_and_starts_no_second_one(sm):
    sagemaker, stub = sm
    stub.add_client_error(
        "create_ai_recommendation_job", "ResourceInUse", "Job already exists", expected_params=REQUEST
    )
    stub.add_response("describe_ai_recommendation_job", described("InProgress"), {"AIRecommendationJobName": JOB})
    result = logic.on_event(sagemaker, event("Create", JOB_PROPS))
    assert result["PhysicalResourceId"] == JOB and result["Data"]["JobArn"] == JOB_ARN


def test_a_retried_waiter_start_is_not_an_error(sm, sfn):
    sagemaker, stub = sm
    stepfunctions, sfn_stub = sfn
    wait = {"StateMachineArn": WAITER, "HandleUrl": HANDLE, "TimeoutSeconds": 3600, "PollSeconds": 60}
    stub.add_response("create_ai_recommendation_job", {"AIRecommendationJobArn": JOB_ARN}, REQUEST)
    sfn_stub.add_client_error("start_execution", "ExecutionAlreadyExists", "already started")
    assert (
        logic.on_event(sagemaker, event("Create", {**JOB_PROPS, "Wait": wait}), stepfunctions)["PhysicalResourceId"]
        == JOB
    )


def test_throttling_is_retried_with_backoff(sm, no_backoff):
    sagemaker, stub = sm
    stub.add_client_error("create_ai_recommendation_job", "ThrottlingException", "Rate exceeded")
    stub.add_client_error("create_ai_recommendation_job", "ThrottlingException", "Rate exceeded")
    stub.add_response("create_ai_recommendation_job", {"AIRecommendationJobArn": JOB_ARN}, REQUEST)
    assert logic.on_event(sagemaker, event("Create", JOB_PROPS))["PhysicalResourceId"] == JOB
    assert len(no_backoff) == 2 and no_backoff[1] > no_backoff[0] * 0.9 / 2


def test_throttling_that_never_ends_fails_after_the_last_attempt(sm, no_backoff):
    sagemaker, stub = sm
    for _ in range(6):
        stub.add_client_error("create_ai_recommendation_job", "ThrottlingException", "Rate exceeded")
    with pytest.raises(logic.JobError, match="ThrottlingException"):
        logic.on_event(sagemaker, event("Create", JOB_PROPS))
    assert len(no_backoff) == 5


def test_access_denied_fails_clearly_without_retrying(sm, no_backoff):
    sagemaker, stub = sm
    stub.add_client_error(
        "create_ai_recommendation_job", "AccessDeniedException", "not authorized to perform: iam:PassRole", 400
    )
    with pytest.raises(
        logic.JobError,
        match=f"creating AI recommendation job {JOB} failed: AccessDeniedException: not authorized to perform: iam:PassRole",
    ):
        logic.on_event(sagemaker, event("Create", JOB_PROPS))
    assert no_backoff == []


# ---------------------------------------------------------------------------------------------- update


def test_a_changed_definition_creates_a_new_job(sm):
    sagemaker, stub = sm
    new = {**REQUEST, "AIRecommendationJobName": "genai-rec-00aa11bb22", "OptimizeModel": False}
    stub.add_response(
        "create_ai_recommendation_job",
        {"AIRecommendationJobArn": JOB_ARN.replace(JOB, new["AIRecommendationJobName"])},
        new,
    )
    result = logic.on_event(
        sagemaker,
        event("Update", {**JOB_PROPS, "Request": new}, PhysicalResourceId=JOB, OldResourceProperties=JOB_PROPS),
    )
    assert result["PhysicalResourceId"] == "genai-rec-00aa11bb22"  # new id: CloudFormation deletes the old job


def test_an_update_of_tags_only_retags_the_job_in_place(sm):
    sagemaker, stub = sm
    old = {**REQUEST, "Tags": [{"Key": "team", "Value": "ml"}, {"Key": "cost-center", "Value": "42"}]}
    new = {**REQUEST, "Tags": [{"Key": "team", "Value": "ml-platform"}]}
    stub.add_response("describe_ai_recommendation_job", described("InProgress"), {"AIRecommendationJobName": JOB})
    stub.add_response("delete_tags", {}, {"ResourceArn": JOB_ARN, "TagKeys": ["cost-center"]})
    stub.add_response("add_tags", {"Tags": new["Tags"]}, {"ResourceArn": JOB_ARN, "Tags": new["Tags"]})
    old_props = {**JOB_PROPS, "Request": old}
    update = event("Update", {**JOB_PROPS, "Request": new}, PhysicalResourceId=JOB, OldResourceProperties=old_props)
    assert logic.on_event(sagemaker, update) == {"PhysicalResourceId": JOB, "Data": {"JobName": JOB, "JobArn": JOB_ARN}}


def test_a_deploy_time_only_change_is_refused_with_the_remedy(sm):
    sagemaker, _ = sm
    changed = {**REQUEST, "RoleArn": "arn:aws:iam::111122223333:role/other-role"}
    with pytest.raises(logic.JobError, match="change a property the construct sees at synth"):
        logic.on_event(
            sagemaker,
            event("Update", {**JOB_PROPS, "Request": changed}, PhysicalResourceId=JOB, OldResourceProperties=JOB_PROPS),
        )


# ---------------------------------------------------------------------------------------------- delete


def test_delete_stops_a_running_job_then_deletes_it_once_terminal(sm):
    sagemaker, stub = sm
    name = {"AIRecommendationJobName": JOB}
    stub.add_response("describe_ai_recommendation_job", described("InProgress"), name)
    stub.add_response("stop_ai_recommendation_job", {"AIRecommendationJobArn": JOB_ARN}, name)
    delete = event("Delete", JOB_PROPS, PhysicalResourceId=JOB)
    assert logic.on_event(sagemaker, delete) == {"PhysicalResourceId": JOB}
    stub.add_response("describe_ai_recommendation_job", described("Stopping"), name)
    assert logic.is_complete(sagemaker, delete) == {"IsComplete": False}
    stub.add_response("describe_ai_recommendation_job", described("Stopped"), name)
    stub.add_response("delete_ai_recommendation_job", {}, name)
    assert logic.is_complete(sagemaker, delete) == {"IsComplete": True}


def test_delete_of_a_job_already_gone_succeeds(sm):
    sagemaker, stub = sm
    name = {"AIRecommendationJobName": JOB}
    stub.add_client_error("describe_ai_recommendation_job", "ResourceNotFound", "no such job", expected_params=name)
    delete = event("Delete", JOB_PROPS, PhysicalResourceId=JOB)
    assert logic.on_event(sagemaker, delete) == {"PhysicalResourceId": JOB}
    stub.add_client_error("describe_ai_recommendation_job", "ResourceNotFound", "no such job", expected_params=name)
    assert logic.is_complete(sagemaker, delete) == {"IsComplete": True}


def test_delete_when_the_job_vanishes_between_describe_and_delete_succeeds(sm):
    sagemaker, stub = sm
    name = {"AIRecommendationJobName": JOB}
    stub.add_response("describe_ai_recommendation_job", described("Completed"), name)
    stub.add_client_error("delete_ai_recommendation_job", "ResourceNotFound", "gone", expected_params=name)
    assert logic.is_complete(sagemaker, event("Delete", JOB_PROPS, PhysicalResourceId=JOB)) == {"IsComplete": True}


def test_create_and_update_complete_at_once(sm):
    sagemaker, _ = sm
    assert logic.is_complete(sagemaker, event("Create", JOB_PROPS, PhysicalResourceId=JOB)) == {"IsComplete": True}


# ---------------------------------------------------------------------------------------------- waiting


@pytest.mark.parametrize(
    ("status", "failure", "now", "expected"),
    [
        ("Completed", None, 10.0, ("SUCCESS", f"AI recommendation job {JOB} finished Completed")),
        (
            "Failed",
            "AlgorithmError: CUDA out of memory on ml.g5.12xlarge",
            10.0,
            ("FAILURE", f"AI recommendation job {JOB} Failed: AlgorithmError: CUDA out of memory on ml.g5.12xlarge"),
        ),
        ("Stopped", None, 10.0, ("FAILURE", f"AI recommendation job {JOB} Stopped: no failure reason given")),
        ("InProgress", None, 100.0, ("FAILURE", f"AI recommendation job {JOB} is still InProgress")),
        ("InProgress", None, 10.0, None),
    ],
)
def test_poll_signals_the_wait_condition_with_the_jobs_outcome(sm, status, failure, now, expected):
    sagemaker, stub = sm
    stub.add_response(
        "describe_ai_recommendation_job", described(status, failure=failure), {"AIRecommendationJobName": JOB}
    )
    result = logic.poll_job(sagemaker, "RecommendationJob", JOB, deadline=50.0, now=now)
    if expected is None:
        assert (result.done, result.signal) == (False, None)
        return
    assert result.done
    assert result.signal["Status"] == expected[0]
    assert result.signal["Reason"].startswith(expected[1])
    assert result.signal["UniqueId"] == JOB


def test_the_waiter_step_sends_the_signal_to_the_handle(monkeypatch, sm):
    sagemaker, stub = sm
    stub.add_response(
        "describe_ai_recommendation_job", described("Failed", failure="boom"), {"AIRecommendationJobName": JOB}
    )
    sent: list[tuple[str, bytes]] = []
    monkeypatch.setattr(ai_jobs_handler, "sagemaker", lambda: sagemaker)
    monkeypatch.setattr(ai_jobs_handler, "_put", lambda url, body: sent.append((url, body)))
    step = {"Kind": "RecommendationJob", "JobName": JOB, "HandleUrl": HANDLE, "Deadline": 9e12, "PollSeconds": 300}
    assert ai_jobs_handler.poll(step, None) == {**step, "Status": "Failed", "Done": True}
    ((url, body),) = sent
    assert url == HANDLE
    assert json.loads(body)["Status"] == "FAILURE" and "Failed: boom" in json.loads(body)["Reason"]


# ---------------------------------------------------------------------------------------------- resolve


RESOLVE = {
    "Kind": "RecommendationResolution",
    "JobName": JOB,
    "InstanceTypes": ["ml.g6.12xlarge", "ml.g6e.12xlarge"],
    "Order": "priority",
}


def stub_packages(stub, count: int) -> None:
    for _ in range(count):
        stub.add_response(
            "describe_model_package",
            {
                "ModelPackageName": JOB,
                "ModelPackageArn": f"arn:aws:sagemaker:{REGION}:111122223333:model-package/{JOB}/1",
                "CreationTime": dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
                "ModelPackageStatus": "Completed",
                "ModelPackageStatusDetails": {"ValidationStatuses": []},
            },
            {"ModelPackageName": f"arn:aws:sagemaker:{REGION}:111122223333:model-package/{JOB}/1"},
        )


def test_resolution_picks_the_best_recommendation_per_type_in_priority_order(sm):
    sagemaker, stub = sm
    stub.add_response("describe_ai_recommendation_job", described("Completed", recommendations=RANKED))
    stub_packages(stub, 2)
    data = logic.on_event(sagemaker, event("Create", RESOLVE))["Data"]
    assert data["Pool1.InstanceType"] == "ml.g6.12xlarge"
    assert data["Pool1.InferenceSpecificationName"] == "high-otps-on-g6-12xlarge"
    assert data["Pool2.InstanceType"] == "ml.g6e.12xlarge"
    assert data["Pool2.InferenceSpecificationName"] == "high-otps-on-g6e-12xlarge"  # rank 1, not rank 3
    assert (data["Pool2.ClientSideConcurrency"], data["Pool2.Rank"]) == ("24", "1")
    assert (data["Pool1.InstanceCount"], data["Pool1.CopyCountPerInstance"]) == ("1", "2")
    assert data["Pool1.OutputTokenThroughput"] == "1480.5"
    assert data["Pool1.RequestLatencyP90"] == "9120"
    assert data["PoolCount"] == "2"
    assert len(json.dumps(data)) < 4096


def test_resolution_in_ranking_order_follows_the_job(sm):
    sagemaker, stub = sm
    stub.add_response("describe_ai_recommendation_job", described("Completed", recommendations=RANKED))
    stub_packages(stub, 3)
    props = {**RESOLVE, "InstanceTypes": ["ml.g6.12xlarge", "ml.g5.12xlarge", "ml.g6e.12xlarge"], "Order": "ranking"}
    data = logic.on_event(sagemaker, event("Create", props))["Data"]
    assert [data[f"Pool{i}.InstanceType"] for i in (1, 2, 3)] == ["ml.g6e.12xlarge", "ml.g5.12xlarge", "ml.g6.12xlarge"]
    assert data["Pool2.OutputTokenThroughput"] == "1480.5"  # "average" in the docs, "avg" in real output


def test_resolution_names_the_types_the_job_did_recommend(sm):
    sagemaker, stub = sm
    stub.add_response("describe_ai_recommendation_job", described("Completed", recommendations=RANKED[:2]))
    with pytest.raises(
        logic.JobError,
        match=f"AI recommendation job {JOB} has no recommendation for ml.g6.12xlarge; it recommended: ml.g6e.12xlarge, ml.g5.12xlarge",
    ):
        logic.on_event(sagemaker, event("Create", RESOLVE))


@pytest.mark.parametrize(
    ("status", "failure", "message"),
    [
        (
            "Failed",
            "No instance type fits the model",
            f"AI recommendation job {JOB} is Failed, not Completed: No instance type fits the model",
        ),
        (
            "InProgress",
            None,
            f"AI recommendation job {JOB} is InProgress, not Completed; resolve it once the job has completed",
        ),
    ],
)
def test_resolution_of_an_unfinished_job_fails_with_its_status(sm, status, failure, message):
    sagemaker, stub = sm
    stub.add_response("describe_ai_recommendation_job", described(status, failure=failure))
    with pytest.raises(logic.JobError, match=message):
        logic.on_event(sagemaker, event("Create", RESOLVE))


def test_resolution_fails_when_a_model_package_is_missing(sm):
    sagemaker, stub = sm
    stub.add_response("describe_ai_recommendation_job", described("Completed", recommendations=RANKED))
    stub.add_client_error("describe_model_package", "ValidationException", "Model Package does not exist.")
    with pytest.raises(
        logic.JobError,
        match=f"model package arn:aws:sagemaker:{REGION}:111122223333:model-package/{JOB}/1 for ml.g6.12xlarge is missing",
    ):
        logic.on_event(sagemaker, event("Create", RESOLVE))


def test_resolution_delete_does_nothing(sm):
    sagemaker, _ = sm
    assert logic.on_event(sagemaker, event("Delete", RESOLVE, PhysicalResourceId="x")) == {"PhysicalResourceId": "x"}


# ---------------------------------------------------------------------------------------------- types


def test_cloudformation_strings_are_restored_to_the_apis_types():
    as_cloudformation_sends_them = {
        "Kind": "RecommendationJob",
        "Request": {**REQUEST, "OptimizeModel": "true", "Tags": [{"Key": "n", "Value": "3"}]},
    }
    restored = ai_jobs_handler.coerce_request(client("sagemaker"), as_cloudformation_sends_them)
    assert restored["Request"]["OptimizeModel"] is True
    assert restored["Request"]["Tags"] == [{"Key": "n", "Value": "3"}]  # strings stay strings


def test_expected_performance_accepts_both_spellings_of_the_average():
    assert logic.expected_performance(
        [
            {"Metric": "RequestThroughput", "Stat": "avg", "Value": "3.5"},
            {"Metric": "OutputTokenThroughput", "Stat": "average", "Value": "700"},
            {"Metric": "TimeToFirstToken", "Stat": "p50", "Value": "210.5"},
            {"Metric": "ClientSideConcurrency", "Value": "16"},
            {"Metric": "Cost", "Value": "n/a"},
        ]
    ) == {
        "RequestThroughput": 3.5,
        "OutputTokenThroughput": 700.0,
        "TimeToFirstTokenP50": 210.5,
        "ClientSideConcurrency": 16.0,
    }


# ---------------------------------------------------------------------------------------------- robustness


def test_switching_an_existing_job_to_waiting_starts_its_waiter(sm, sfn):
    sagemaker, stub = sm
    stepfunctions, sfn_stub = sfn
    wait = {"StateMachineArn": WAITER, "HandleUrl": HANDLE, "TimeoutSeconds": 3600, "PollSeconds": 60}
    stub.add_response("describe_ai_recommendation_job", described("Completed"), {"AIRecommendationJobName": JOB})
    sfn_stub.add_response(
        "start_execution", {"executionArn": f"{WAITER}:x", "startDate": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}
    )
    update = event("Update", {**JOB_PROPS, "Wait": wait}, PhysicalResourceId=JOB, OldResourceProperties=JOB_PROPS)
    assert logic.on_event(sagemaker, update, stepfunctions)["PhysicalResourceId"] == JOB


def test_a_poll_that_cannot_read_the_job_fails_the_deployment_at_once(sm):
    sagemaker, stub = sm
    stub.add_client_error("describe_ai_recommendation_job", "AccessDeniedException", "not authorized", 400)
    result = logic.poll_job(sagemaker, "RecommendationJob", JOB, deadline=1e12, now=0.0)
    assert result.done
    assert result.signal["Status"] == "FAILURE"
    assert (
        result.signal["Reason"] == f"checking AI recommendation job {JOB} failed: AccessDeniedException: not authorized"
    )


def test_a_waiter_whose_polls_failed_signals_the_cause(monkeypatch):
    sent: list[bytes] = []
    monkeypatch.setattr(ai_jobs_handler, "_put", lambda url, body: sent.append(body))
    step = {
        "Kind": "BenchmarkJob",
        "JobName": "b",
        "HandleUrl": HANDLE,
        "Error": {"Error": "Lambda.Unknown", "Cause": "Task timed out"},
    }
    assert ai_jobs_handler.poll(step, None)["Done"] is True
    signal = json.loads(sent[0])
    assert (signal["Status"], signal["Reason"]) == (
        "FAILURE",
        "the waiter for AI benchmark job b failed: Task timed out",
    )


def test_resolution_reports_access_denied_on_a_package_clearly(sm):
    sagemaker, stub = sm
    stub.add_response("describe_ai_recommendation_job", described("Completed", recommendations=RANKED))
    stub.add_client_error(
        "describe_model_package", "AccessDeniedException", "not authorized to DescribeModelPackage", 400
    )
    with pytest.raises(
        logic.JobError, match=f"reading model package .*/{JOB}/1 for ml.g6.12xlarge failed: AccessDeniedException"
    ):
        logic.on_event(sagemaker, event("Create", RESOLVE))


def test_concurrency_per_instance_divides_the_configurations_concurrency():
    pool = logic.ResolvedPool(
        "ml.g6e.12xlarge",
        1,
        "arn",
        "spec",
        instance_count=2,
        copies_per_instance=1,
        performance={"ClientSideConcurrency": 24.0},
    )
    assert pool.concurrency_per_instance == 12


def test_the_response_keeps_what_the_stack_reads_and_fails_on_what_is_missing():
    pools = [
        logic.ResolvedPool(
            f"ml.g{i}.48xlarge",
            i,
            "arn:aws:sagemaker:us-west-2:111122223333:model-package/" + "x" * 60 + "/1",
            "s" * 60,
            1,
            1,
            {
                **{f"Metric{m}WithALongNameP99": float(m) for m in range(12)},
                "ClientSideConcurrency": 8.0,
                "RequestLatencyP90": 900.0,
            },
        )
        for i in range(1, 6)
    ]
    data = logic.resolution_response(JOB, pools, "id", needs_concurrency=[1, 2], metrics=["RequestLatencyP90"])["Data"]
    assert len(json.dumps(data)) <= logic.RESPONSE_LIMIT_BYTES
    assert (
        data["Pool5.RequestLatencyP90"] == "900" and "Pool1.Metric0WithALongNameP99" not in data
    )  # trimmed to what is read
    assert data["Pool2.MaxConcurrencyPerInstance"] == "8"
    bare = [logic.ResolvedPool("ml.g6.12xlarge", 1, "arn", "spec", 1, 1, {"RequestThroughput": 2.0})]
    with pytest.raises(
        logic.JobError,
        match="reports no ClientSideConcurrency \\(it reports RequestThroughput\\); give that pool a max_concurrency",
    ):
        logic.resolution_response(JOB, bare, "id", needs_concurrency=[1])
    with pytest.raises(logic.JobError, match="reports no TimeToFirstTokenP90"):
        logic.resolution_response(JOB, bare, "id", metrics=["TimeToFirstTokenP90"])
    with pytest.raises(logic.JobError, match="exceed CloudFormation's 4 KB response limit"):
        logic.resolution_response(JOB, pools, "id", metrics=[f"Metric{m}WithALongNameP99" for m in range(12)])


def test_a_resolution_update_resolves_again(sm):
    sagemaker, stub = sm
    stub.add_response("describe_ai_recommendation_job", described("Completed", recommendations=RANKED))
    stub_packages(stub, 1)
    props = {**RESOLVE, "InstanceTypes": ["ml.g5.12xlarge"]}
    update = event("Update", props, PhysicalResourceId=f"{JOB}:priority", OldResourceProperties=RESOLVE)
    assert logic.on_event(sagemaker, update)["Data"]["Pool1.InstanceType"] == "ml.g5.12xlarge"


def test_the_entry_point_dispatches_with_its_own_clients(monkeypatch, sm):
    sagemaker, stub = sm
    monkeypatch.setattr(ai_jobs_handler, "sagemaker", lambda: sagemaker)
    stepfunctions = client("stepfunctions")
    monkeypatch.setattr(ai_jobs_handler.boto3, "client", lambda service, **_: {"stepfunctions": stepfunctions}[service])
    stub.add_response("create_ai_recommendation_job", {"AIRecommendationJobArn": JOB_ARN}, REQUEST)
    as_cloudformation_sends_it = {**JOB_PROPS, "Request": {**REQUEST, "OptimizeModel": "true"}}
    assert ai_jobs_handler.on_event(event("Create", as_cloudformation_sends_it), None)["PhysicalResourceId"] == JOB


def test_network_timeouts_are_retried_like_throttling(no_backoff) -> None:
    from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

    outcomes = [
        ReadTimeoutError(endpoint_url="https://api.sagemaker"),
        EndpointConnectionError(endpoint_url="https://api.sagemaker"),
        "ok",
    ]

    def call() -> str:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    assert logic.with_retries(call) == "ok"
    assert len(no_backoff) == 2


def test_a_timeout_that_never_ends_is_raised_after_the_last_attempt(no_backoff) -> None:
    from botocore.exceptions import ReadTimeoutError

    def call() -> None:
        raise ReadTimeoutError(endpoint_url="https://api.sagemaker")

    with pytest.raises(ReadTimeoutError):
        logic.with_retries(call, attempts=3)
    assert len(no_backoff) == 2
