"""The AI-job handlers (job lifecycle, waiter, dispatch, retries) against botocore's Stubber: every request
and response is validated against the real SageMaker and Step Functions service models, and faults are
injected through it. The modules are the ones the handler asset ships."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import ai_jobs_handler
import aws_calls
import boto3
import job_lifecycle
import job_waiter
import pytest
from aws_cdk import Duration
from botocore.stub import Stubber

from cdk_genai_inference import JobWait
from cdk_genai_inference.errors import ValidationError
from cdk_genai_inference.jobs.provider import WAITER_MARGIN_SECONDS

REGION = "us-west-2"
JOB = "genai-rec-3f2a9c1b7e"
JOB_ARN = f"arn:aws:sagemaker:{REGION}:111122223333:ai-recommendation-job/{JOB}"
ROLE = "arn:aws:iam::111122223333:role/rec-execution"
HANDLE = "https://cloudformation-waitcondition-us-west-2.s3.amazonaws.com/arn%3Aaws/handle?sig=abc"
WAITER = f"arn:aws:states:{REGION}:111122223333:stateMachine:waiter"
STACK = f"arn:aws:cloudformation:{REGION}:111122223333:stack/Serving/0a1b2c3d-4e5f"
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


def stubbed(service: str) -> Iterator[tuple[Any, Stubber]]:
    """A client of ``service`` and its Stubber; every queued response must have been used."""
    made = client(service)
    with Stubber(made) as stubber:
        yield made, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def sm():
    yield from stubbed("sagemaker")


@pytest.fixture
def sfn():
    yield from stubbed("stepfunctions")


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(aws_calls, "backoff", waits.append)
    return waits


class StubClients:
    """The handler's clients, each one stubbed."""

    def __init__(self, **clients: Any) -> None:
        self.__dict__.update(clients)


def on_event(sagemaker: Any, request: dict, stepfunctions: Any = None, cloudformation: Any = None) -> dict:
    """The provider framework's onEvent call, through the handler's own dispatch."""
    clients = StubClients(sagemaker=sagemaker, stepfunctions=stepfunctions, cloudformation=cloudformation)
    return ai_jobs_handler.on_event(request, None, clients=clients)


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


def deleted(logical_id: str = "Job") -> dict:
    """CloudFormation's Delete of the recommendation job's resource ``logical_id``."""
    where = {"StackId": STACK, "LogicalResourceId": logical_id, "ResourceType": "Custom::AIRecommendationJob"}
    return event("Delete", JOB_PROPS, PhysicalResourceId=JOB, **where)


def resource(logical_id: str, status: str, physical: str | None = JOB, kind: str = "Custom::AIRecommendationJob"):
    """A summary of one of the stack's resources, as ListStackResources returns it."""
    summary = {"LogicalResourceId": logical_id, "ResourceType": kind, "ResourceStatus": status}
    return {**summary, "LastUpdatedTimestamp": dt.datetime(2026, 12, 1, tzinfo=dt.UTC)} | (
        {"PhysicalResourceId": physical} if physical else {}
    )


def listing(cfn_stub: Stubber, *pages: list[dict]) -> None:
    """Queue ListStackResources of the stack, one response per page."""
    for index, page in enumerate(pages):
        token = {"NextToken": f"page-{index + 1}"} if index + 1 < len(pages) else {}
        asked = {"StackName": STACK, **({"NextToken": f"page-{index}"} if index else {})}
        cfn_stub.add_response("list_stack_resources", {"StackResourceSummaries": page, **token}, asked)


# ---------------------------------------------------------------------------------------------- create


def test_create_starts_the_job_with_the_exact_request(sm):
    sagemaker, stub = sm
    stub.add_response("create_ai_recommendation_job", {"AIRecommendationJobArn": JOB_ARN}, REQUEST)
    assert on_event(sagemaker, event("Create", JOB_PROPS)) == {
        "PhysicalResourceId": JOB,
        "Data": {"JobName": JOB, "JobArn": JOB_ARN},
    }


def expect_waiter_start(sfn_stub: Stubber, *, deadline: float, poll: int) -> None:
    """The waiter execution a job's Create starts: named after the job and its handle, with this input."""
    payload = {
        "Kind": "RecommendationJob",
        "JobName": JOB,
        "HandleUrl": HANDLE,
        "Deadline": deadline,
        "PollSeconds": poll,
    }
    sfn_stub.add_response(
        "start_execution",
        {"executionArn": f"{WAITER}:run", "startDate": dt.datetime(2026, 11, 21, tzinfo=dt.UTC)},
        {
            "stateMachineArn": WAITER,
            "name": f"{JOB}-{hashlib.sha256(HANDLE.encode()).hexdigest()[:12]}",
            "input": json.dumps(payload),
        },
    )


def test_create_with_a_wait_starts_one_waiter_named_after_job_and_handle(monkeypatch, sm, sfn):
    sagemaker, stub = sm
    stepfunctions, sfn_stub = sfn
    wait = {"StateMachineArn": WAITER, "HandleUrl": HANDLE, "TimeoutSeconds": 3600, "PollSeconds": 60}
    stub.add_response("create_ai_recommendation_job", {"AIRecommendationJobArn": JOB_ARN}, REQUEST)
    expect_waiter_start(sfn_stub, deadline=4480.0, poll=60)
    monkeypatch.setattr(ai_jobs_handler.time, "time", lambda: 1000.0)
    on_event(sagemaker, event("Create", {**JOB_PROPS, "Wait": wait}), stepfunctions)


def test_the_shortest_wait_the_library_accepts_gives_a_job_one_poll_interval(sm, sfn):
    """The waiter's deadline (the handler's arithmetic) for the shortest timeout ``JobWait.in_deployment``
    accepts: a job still running at the first checks, before a poll interval has passed, is waited for."""
    sagemaker, stub = sm
    stepfunctions, sfn_stub = sfn
    poll = 300
    timeout = 2 * poll + WAITER_MARGIN_SECONDS
    JobWait.in_deployment(Duration.seconds(timeout), poll_interval=Duration.seconds(poll))
    with pytest.raises(ValidationError, match="timeout must be at least twice poll_interval plus 60 seconds"):
        JobWait.in_deployment(Duration.seconds(timeout - 1), poll_interval=Duration.seconds(poll))
    deadline = 1000.0 + poll
    expect_waiter_start(sfn_stub, deadline=deadline, poll=poll)
    wait = {"StateMachineArn": WAITER, "HandleUrl": HANDLE, "TimeoutSeconds": timeout, "PollSeconds": poll}
    job_waiter.start_waiter(stepfunctions, wait, "RecommendationJob", JOB, now=1000.0)
    for now in (1002.0, deadline - 1):
        stub.add_response("describe_ai_recommendation_job", described("InProgress"), {"AIRecommendationJobName": JOB})
        assert not job_waiter.poll_job(sagemaker, "RecommendationJob", JOB, deadline=deadline, now=now).done


def test_a_retried_create_adopts_the_job_and_starts_no_second_one(sm):
    sagemaker, stub = sm
    stub.add_client_error(
        "create_ai_recommendation_job", "ResourceInUse", "Job already exists", expected_params=REQUEST
    )
    stub.add_response("describe_ai_recommendation_job", described("InProgress"), {"AIRecommendationJobName": JOB})
    result = on_event(sagemaker, event("Create", JOB_PROPS))
    assert result["PhysicalResourceId"] == JOB and result["Data"]["JobArn"] == JOB_ARN


@pytest.mark.parametrize("status", ["Stopped", "Failed"])
def test_a_create_that_finds_a_stopped_or_failed_job_of_its_name_deletes_it_and_starts_again(sm, status):
    """Left by a cleanup that could not finish (a discarded job still stopping): adopting it would fail
    this deployment on its status, and every retry of the same definition after it."""
    sagemaker, stub = sm
    name = {"AIRecommendationJobName": JOB}
    stub.add_client_error("create_ai_recommendation_job", "ResourceInUse", "exists", expected_params=REQUEST)
    stub.add_response("describe_ai_recommendation_job", described(status), name)
    stub.add_response("delete_ai_recommendation_job", {}, name)
    stub.add_response("create_ai_recommendation_job", {"AIRecommendationJobArn": JOB_ARN}, REQUEST)
    assert on_event(sagemaker, event("Create", JOB_PROPS))["Data"] == {"JobName": JOB, "JobArn": JOB_ARN}


def test_a_create_that_finds_its_job_stopping_asks_for_a_retry_or_a_run_token(sm):
    sagemaker, stub = sm
    stub.add_client_error("create_ai_recommendation_job", "ResourceInUse", "exists", expected_params=REQUEST)
    stub.add_response("describe_ai_recommendation_job", described("Stopping"), {"AIRecommendationJobName": JOB})
    with pytest.raises(aws_calls.JobError) as failure:
        on_event(sagemaker, event("Create", JOB_PROPS))
    assert str(failure.value) == (
        f"AI recommendation job {JOB} of this definition exists and is Stopping: deploy again once it is Stopped "
        "(it is then deleted and started again), or pass a new run_token to start another job now"
    )


def test_a_name_the_service_does_not_take_again_after_the_delete_asks_for_a_run_token(sm):
    sagemaker, stub = sm
    name = {"AIRecommendationJobName": JOB}
    stub.add_client_error("create_ai_recommendation_job", "ResourceInUse", "exists", expected_params=REQUEST)
    stub.add_response("describe_ai_recommendation_job", described("Stopped"), name)
    stub.add_response("delete_ai_recommendation_job", {}, name)
    stub.add_client_error("create_ai_recommendation_job", "ResourceInUse", "exists", expected_params=REQUEST)
    with pytest.raises(aws_calls.JobError, match="does not take its name again yet: pass a new run_token"):
        on_event(sagemaker, event("Create", JOB_PROPS))


def test_a_retried_waiter_start_is_not_an_error(sm, sfn):
    sagemaker, stub = sm
    stepfunctions, sfn_stub = sfn
    wait = {"StateMachineArn": WAITER, "HandleUrl": HANDLE, "TimeoutSeconds": 3600, "PollSeconds": 60}
    stub.add_response("create_ai_recommendation_job", {"AIRecommendationJobArn": JOB_ARN}, REQUEST)
    sfn_stub.add_client_error("start_execution", "ExecutionAlreadyExists", "already started")
    assert on_event(sagemaker, event("Create", {**JOB_PROPS, "Wait": wait}), stepfunctions)["PhysicalResourceId"] == JOB


WAIT = {"StateMachineArn": WAITER, "HandleUrl": HANDLE, "TimeoutSeconds": 3600, "PollSeconds": 60}
WAITER_DENIED = f"starting the waiter for AI recommendation job {JOB} failed: AccessDeniedException: not authorized to perform: states:StartExecution"
OLD_JOB = "genai-rec-0000000000"


def deny_the_waiter(sfn_stub: Stubber) -> None:
    sfn_stub.add_client_error(
        "start_execution", "AccessDeniedException", "not authorized to perform: states:StartExecution", 400
    )


def started_then_stopped(stub: Stubber, sfn_stub: Stubber) -> None:
    """The job is created, its waiter is denied, and the running job is asked to stop."""
    stub.add_response("create_ai_recommendation_job", {"AIRecommendationJobArn": JOB_ARN}, REQUEST)
    deny_the_waiter(sfn_stub)
    stub.add_response("describe_ai_recommendation_job", described("InProgress"), {"AIRecommendationJobName": JOB})
    stub.add_response(
        "stop_ai_recommendation_job", {"AIRecommendationJobArn": JOB_ARN}, {"AIRecommendationJobName": JOB}
    )


@pytest.mark.parametrize(
    "request_event",
    [
        event("Create", {**JOB_PROPS, "Wait": WAIT}),
        event(
            "Update",
            {**JOB_PROPS, "Wait": WAIT},
            PhysicalResourceId=OLD_JOB,
            OldResourceProperties={**JOB_PROPS, "Request": {**REQUEST, "AIRecommendationJobName": OLD_JOB}},
        ),
    ],
    ids=["create", "replacement"],
)
def test_a_new_job_whose_waiter_cannot_start_is_stopped_and_deleted_before_the_failure(sm, sfn, request_event):
    """The failed Create gets the provider framework's marker physical id, whose Delete it never passes on
    (a failed replacement's rollback returns to the old job): left running, the job would bill for hours."""
    sagemaker, stub = sm
    stepfunctions, sfn_stub = sfn
    started_then_stopped(stub, sfn_stub)
    stub.add_response("describe_ai_recommendation_job", described("Stopped"), {"AIRecommendationJobName": JOB})
    stub.add_response("delete_ai_recommendation_job", {}, {"AIRecommendationJobName": JOB})
    with pytest.raises(aws_calls.JobError) as raised:
        on_event(sagemaker, request_event, stepfunctions)
    assert str(raised.value) == f"{WAITER_DENIED}; AI recommendation job {JOB} was stopped and deleted"


def test_a_job_that_stops_slowly_is_left_stopping_and_the_failure_says_how_to_delete_it(sm, sfn, no_backoff):
    sagemaker, stub = sm
    stepfunctions, sfn_stub = sfn
    started_then_stopped(stub, sfn_stub)
    for _ in range(8):
        stub.add_response("describe_ai_recommendation_job", described("Stopping"), {"AIRecommendationJobName": JOB})
    with pytest.raises(aws_calls.JobError) as raised:
        on_event(sagemaker, event("Create", {**JOB_PROPS, "Wait": WAIT}), stepfunctions)
    assert str(raised.value) == (
        f"{WAITER_DENIED}; AI recommendation job {JOB} was stopped but is not deleted yet: once it is Stopped, "
        f"delete it (aws sagemaker delete-ai-recommendation-job --ai-recommendation-job-name {JOB}), "
        "or the next deploy of this definition deletes it and starts it again"
    )
    assert no_backoff == [15.0] * 7


def test_a_job_that_cannot_be_stopped_either_keeps_the_first_failure(sm, sfn):
    sagemaker, stub = sm
    stepfunctions, sfn_stub = sfn
    stub.add_response("create_ai_recommendation_job", {"AIRecommendationJobArn": JOB_ARN}, REQUEST)
    deny_the_waiter(sfn_stub)
    stub.add_client_error("describe_ai_recommendation_job", "AccessDeniedException", "not authorized to describe", 400)
    with pytest.raises(aws_calls.JobError) as raised:
        on_event(sagemaker, event("Create", {**JOB_PROPS, "Wait": WAIT}), stepfunctions)
    assert str(raised.value).startswith(
        f"{WAITER_DENIED}; stopping AI recommendation job {JOB} failed too, so it may still be running: "
        f"stopping AI recommendation job {JOB} failed: AccessDeniedException: not authorized to describe"
    )


def test_a_job_the_resource_already_names_is_kept_when_its_new_waiter_cannot_start(sm, sfn):
    """Waiting newly on the stack's own job: the failed update's rollback comes back to it, so it runs on."""
    sagemaker, stub = sm
    stepfunctions, sfn_stub = sfn
    stub.add_response("describe_ai_recommendation_job", described("InProgress"), {"AIRecommendationJobName": JOB})
    deny_the_waiter(sfn_stub)
    update = event("Update", {**JOB_PROPS, "Wait": WAIT}, PhysicalResourceId=JOB, OldResourceProperties=JOB_PROPS)
    with pytest.raises(aws_calls.JobError) as raised:
        on_event(sagemaker, update, stepfunctions)
    assert str(raised.value) == WAITER_DENIED


def test_throttling_is_retried_with_backoff(sm, no_backoff):
    sagemaker, stub = sm
    stub.add_client_error("create_ai_recommendation_job", "ThrottlingException", "Rate exceeded")
    stub.add_client_error("create_ai_recommendation_job", "ThrottlingException", "Rate exceeded")
    stub.add_response("create_ai_recommendation_job", {"AIRecommendationJobArn": JOB_ARN}, REQUEST)
    assert on_event(sagemaker, event("Create", JOB_PROPS))["PhysicalResourceId"] == JOB
    assert len(no_backoff) == 2 and no_backoff[1] > no_backoff[0] * 0.9 / 2


def test_throttling_that_never_ends_fails_after_the_last_attempt(sm, no_backoff):
    sagemaker, stub = sm
    for _ in range(6):
        stub.add_client_error("create_ai_recommendation_job", "ThrottlingException", "Rate exceeded")
    with pytest.raises(aws_calls.JobError, match="ThrottlingException"):
        on_event(sagemaker, event("Create", JOB_PROPS))
    assert len(no_backoff) == 5


def test_access_denied_fails_clearly_without_retrying(sm, no_backoff):
    sagemaker, stub = sm
    stub.add_client_error(
        "create_ai_recommendation_job", "AccessDeniedException", "not authorized to perform: iam:PassRole", 400
    )
    with pytest.raises(
        aws_calls.JobError,
        match=f"creating AI recommendation job {JOB} failed: AccessDeniedException: not authorized to perform: iam:PassRole",
    ):
        on_event(sagemaker, event("Create", JOB_PROPS))
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
    result = on_event(
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
    assert on_event(sagemaker, update) == {"PhysicalResourceId": JOB, "Data": {"JobName": JOB, "JobArn": JOB_ARN}}


CHANGED_AT_DEPLOY = {**REQUEST, "RoleArn": "arn:aws:iam::111122223333:role/other-role"}


def running_as_requested() -> dict:
    """The job as Describe returns it: every field Create took (Tags aside)."""
    return {**described("InProgress"), **{k: v for k, v in REQUEST.items() if k != "Tags"}}


def test_a_deploy_time_only_change_is_refused_with_the_remedy(sm):
    sagemaker, stub = sm
    stub.add_response("describe_ai_recommendation_job", running_as_requested(), {"AIRecommendationJobName": JOB})
    update = event(
        "Update", {**JOB_PROPS, "Request": CHANGED_AT_DEPLOY}, PhysicalResourceId=JOB, OldResourceProperties=JOB_PROPS
    )
    with pytest.raises(aws_calls.JobError, match="change a property the construct sees at synth"):
        on_event(sagemaker, update)


def test_the_rollback_of_a_refused_change_keeps_the_job_that_has_the_definition(sm):
    """CloudFormation then updates back from the refused definition; the job has the one it returns to."""
    sagemaker, stub = sm
    stub.add_response("describe_ai_recommendation_job", running_as_requested(), {"AIRecommendationJobName": JOB})
    rollback = event(
        "Update", JOB_PROPS, PhysicalResourceId=JOB, OldResourceProperties={**JOB_PROPS, "Request": CHANGED_AT_DEPLOY}
    )
    assert on_event(sagemaker, rollback) == {"PhysicalResourceId": JOB, "Data": {"JobName": JOB, "JobArn": JOB_ARN}}


def test_the_rollback_of_a_failed_replacement_keeps_the_job_it_still_names(sm):
    """A new job that could not be created leaves the resource on the old one (the provider keeps its
    physical id); CloudFormation's rollback then updates from the failed definition back to it."""
    sagemaker, stub = sm
    new = {**REQUEST, "AIRecommendationJobName": "genai-rec-00aa11bb22", "OptimizeModel": False}
    stub.add_client_error("create_ai_recommendation_job", "ResourceLimitExceeded", "Too many jobs", 400)
    forward = event("Update", {**JOB_PROPS, "Request": new}, PhysicalResourceId=JOB, OldResourceProperties=JOB_PROPS)
    with pytest.raises(aws_calls.JobError, match="ResourceLimitExceeded"):
        on_event(sagemaker, forward)
    stub.add_response("describe_ai_recommendation_job", described("Completed"), {"AIRecommendationJobName": JOB})
    rollback = event("Update", JOB_PROPS, PhysicalResourceId=JOB, OldResourceProperties={**JOB_PROPS, "Request": new})
    assert on_event(sagemaker, rollback) == {"PhysicalResourceId": JOB, "Data": {"JobName": JOB, "JobArn": JOB_ARN}}


BENCHMARK = "nightly-bench-aaaaaaaaaa"
BENCHMARK_REQUEST = {
    "AIBenchmarkJobName": BENCHMARK,
    "BenchmarkTarget": {"Endpoint": {"Identifier": "genai-serving"}},
    "OutputConfig": {"S3OutputLocation": "s3://genai-artifacts-111122223333/benchmarks/"},
    "AIWorkloadConfigIdentifier": "chat-3500-200",
    "RoleArn": ROLE,
}


def test_the_rollback_of_a_refused_benchmark_change_matches_what_describe_adds(sm):
    """Describe fills in what Create never takes (the output's CloudWatchLogs) and may return a name as
    its ARN: the job still has the definition the rollback returns to, so it is kept."""
    sagemaker, stub = sm
    arn = f"arn:aws:sagemaker:us-west-2:111122223333:ai-benchmark-job/{BENCHMARK}"
    described_job = {
        **BENCHMARK_REQUEST,
        "AIBenchmarkJobArn": arn,
        "AIBenchmarkJobStatus": "Completed",
        "AIWorkloadConfigIdentifier": "arn:aws:sagemaker:us-west-2:111122223333:ai-workload-config/chat-3500-200",
        "OutputConfig": {
            **BENCHMARK_REQUEST["OutputConfig"],
            "CloudWatchLogs": [{"LogGroupArn": "arn:aws:logs:us-west-2:111122223333:log-group:/aws/sagemaker/x"}],
        },
        "CreationTime": dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC),
    }
    props = {"Kind": "BenchmarkJob", "Request": BENCHMARK_REQUEST}
    changed = {"Kind": "BenchmarkJob", "Request": {**BENCHMARK_REQUEST, "RoleArn": f"{ROLE}-v2"}}
    name = {"AIBenchmarkJobName": BENCHMARK}
    stub.add_response("describe_ai_benchmark_job", described_job, name)
    with pytest.raises(aws_calls.JobError, match="changed only in values resolved at deploy time"):
        on_event(sagemaker, event("Update", changed, PhysicalResourceId=BENCHMARK, OldResourceProperties=props))
    stub.add_response("describe_ai_benchmark_job", described_job, name)
    rollback = event("Update", props, PhysicalResourceId=BENCHMARK, OldResourceProperties=changed)
    assert on_event(sagemaker, rollback)["Data"] == {"JobName": BENCHMARK, "JobArn": arn}


def test_old_properties_without_the_name_are_still_checked(sm):
    sagemaker, stub = sm
    stub.add_response("describe_ai_recommendation_job", running_as_requested(), {"AIRecommendationJobName": JOB})
    old = {"Kind": "RecommendationJob", "Request": {k: v for k, v in REQUEST.items() if k != "AIRecommendationJobName"}}
    update = event(
        "Update", {**JOB_PROPS, "Request": CHANGED_AT_DEPLOY}, PhysicalResourceId=JOB, OldResourceProperties=old
    )
    with pytest.raises(aws_calls.JobError, match="changed only in values resolved at deploy time"):
        on_event(sagemaker, update)


# ---------------------------------------------------------------------------------------------- delete


def test_delete_stops_a_running_job_then_deletes_it_once_terminal(sm, cfn):
    (sagemaker, stub), (cloudformation, cfn_stub) = sm, cfn
    name = {"AIRecommendationJobName": JOB}
    listing(cfn_stub, [resource("Job", "DELETE_IN_PROGRESS")])
    stub.add_response("describe_ai_recommendation_job", described("InProgress"), name)
    stub.add_response("stop_ai_recommendation_job", {"AIRecommendationJobArn": JOB_ARN}, name)
    delete = deleted()
    assert on_event(sagemaker, delete, cloudformation=cloudformation) == {"PhysicalResourceId": JOB}
    stub.add_response("describe_ai_recommendation_job", described("Stopping"), name)
    assert job_lifecycle.is_complete(sagemaker, delete) == {"IsComplete": False}
    stub.add_response("describe_ai_recommendation_job", described("Stopped"), name)
    stub.add_response("delete_ai_recommendation_job", {}, name)
    assert job_lifecycle.is_complete(sagemaker, delete) == {"IsComplete": True}


def test_delete_of_a_job_already_gone_succeeds(sm, cfn):
    (sagemaker, stub), (cloudformation, cfn_stub) = sm, cfn
    name = {"AIRecommendationJobName": JOB}
    listing(cfn_stub, [resource("Job", "DELETE_IN_PROGRESS")])
    stub.add_client_error("describe_ai_recommendation_job", "ResourceNotFound", "no such job", expected_params=name)
    delete = deleted()
    assert on_event(sagemaker, delete, cloudformation=cloudformation) == {"PhysicalResourceId": JOB}
    stub.add_client_error("describe_ai_recommendation_job", "ResourceNotFound", "no such job", expected_params=name)
    assert job_lifecycle.is_complete(sagemaker, delete) == {"IsComplete": True}


def test_a_delete_the_provider_is_not_allowed_names_the_job_and_how_to_stop_and_delete_it(sm, cfn):
    """A changed job_name_prefix names a new job; CloudFormation deletes the old one after the update,
    under the provider's new policy, which no longer names it (nor would it retry): the stack event
    says which job is left and the commands that stop and delete it."""
    (sagemaker, stub), (cloudformation, cfn_stub) = sm, cfn
    listing(cfn_stub, [resource("Job", "DELETE_IN_PROGRESS")])
    denied = "User: arn:aws:sts::111122223333:assumed-role/handler is not authorized to perform: describe"
    stub.add_client_error(
        "describe_ai_recommendation_job",
        "AccessDeniedException",
        denied,
        expected_params={"AIRecommendationJobName": JOB},
    )
    with pytest.raises(aws_calls.JobError) as failure:
        on_event(sagemaker, deleted(), cloudformation=cloudformation)
    assert str(failure.value) == (
        f"stopping AI recommendation job {JOB} failed: AccessDeniedException: {denied}; the provider may manage "
        "only the jobs this stack names now, and a job whose name prefix changed is "
        f"left: stop and delete it yourself (aws sagemaker stop-ai-recommendation-job --ai-recommendation-job-name "
        f"{JOB}, then aws sagemaker delete-ai-recommendation-job --ai-recommendation-job-name {JOB})"
    )


def test_a_job_another_resource_of_the_stack_names_is_left_to_it(sm, cfn):
    """A construct moved with its job_name_prefix: its new resource adopted the job, and the old one's Delete
    (the update's cleanup; or the new one's, when the move rolls back) must not stop it. The other
    resource is on the listing's second page."""
    (sagemaker, _), (cloudformation, cfn_stub) = sm, cfn
    listing(cfn_stub, [resource("Job", "DELETE_IN_PROGRESS")], [resource("Moved", "CREATE_COMPLETE")])
    delete = deleted()
    response = on_event(sagemaker, delete, cloudformation=cloudformation)  # no SageMaker call: the stub has none
    assert response == {"PhysicalResourceId": JOB, "Data": {"HeldBy": "Moved"}}
    assert job_lifecycle.is_complete(sagemaker, {**delete, **response}) == {"IsComplete": True}


@pytest.mark.parametrize(
    "other",
    [
        resource("Moved", "DELETE_COMPLETE"),
        resource("Moved", "DELETE_IN_PROGRESS"),
        resource("Moved", "CREATE_IN_PROGRESS", physical=None),
        resource("Moved", "CREATE_COMPLETE", physical="genai-rec-0000000000"),
        resource("Moved", "CREATE_COMPLETE", kind="Custom::AIBenchmarkJob"),
    ],
    ids=["deleted", "being-deleted", "no-physical-id-yet", "another-job", "another-type"],
)
def test_a_job_no_other_live_resource_of_its_type_names_is_stopped(sm, cfn, other):
    (sagemaker, stub), (cloudformation, cfn_stub) = sm, cfn
    name = {"AIRecommendationJobName": JOB}
    listing(cfn_stub, [resource("Job", "DELETE_IN_PROGRESS"), other])
    stub.add_response("describe_ai_recommendation_job", described("InProgress"), name)
    stub.add_response("stop_ai_recommendation_job", {"AIRecommendationJobArn": JOB_ARN}, name)
    assert on_event(sagemaker, deleted(), cloudformation=cloudformation) == {"PhysicalResourceId": JOB}


def test_a_listing_throttled_on_its_second_page_is_listed_again_from_the_first(sm, cfn):
    (sagemaker, _), (cloudformation, cfn_stub) = sm, cfn
    first = [resource("Job", "DELETE_IN_PROGRESS")]
    more = {"StackResourceSummaries": first, "NextToken": "page-1"}
    cfn_stub.add_response("list_stack_resources", more, {"StackName": STACK})
    throttled = {"StackName": STACK, "NextToken": "page-1"}
    cfn_stub.add_client_error("list_stack_resources", "Throttling", "Rate exceeded", expected_params=throttled)
    listing(cfn_stub, first, [resource("Moved", "CREATE_COMPLETE")])
    assert on_event(sagemaker, deleted(), cloudformation=cloudformation)["Data"] == {"HeldBy": "Moved"}


def test_a_job_a_retained_resource_names_is_left_to_it(sm, cfn):
    """A resource whose DeletionPolicy retains it leaves the stack as DELETE_SKIPPED, and keeps its job."""
    (sagemaker, _), (cloudformation, cfn_stub) = sm, cfn
    listing(cfn_stub, [resource("Job", "DELETE_IN_PROGRESS"), resource("Kept", "DELETE_SKIPPED")])
    assert on_event(sagemaker, deleted(), cloudformation=cloudformation)["Data"] == {"HeldBy": "Kept"}


def test_a_listing_that_fails_otherwise_fails_the_delete_and_leaves_the_job(sm, cfn):
    (sagemaker, _), (cloudformation, cfn_stub) = sm, cfn
    for _ in range(6):  # every try
        cfn_stub.add_client_error("list_stack_resources", "Throttling", "Rate exceeded")
    with pytest.raises(aws_calls.JobError, match=f"listing stack {STACK}'s resources failed: Throttling"):
        on_event(sagemaker, deleted(), cloudformation=cloudformation)


def test_a_stack_whose_resources_cannot_be_listed_has_its_job_stopped(sm, cfn, caplog):
    """The provider's role lacks the grant (a stack deployed before it); the Delete goes on as before."""
    (sagemaker, stub), (cloudformation, cfn_stub) = sm, cfn
    name = {"AIRecommendationJobName": JOB}
    cfn_stub.add_client_error(
        "list_stack_resources", "AccessDenied", "not authorized", expected_params={"StackName": STACK}
    )
    stub.add_response("describe_ai_recommendation_job", described("InProgress"), name)
    stub.add_response("stop_ai_recommendation_job", {"AIRecommendationJobArn": JOB_ARN}, name)
    assert on_event(sagemaker, deleted(), cloudformation=cloudformation) == {"PhysicalResourceId": JOB}
    assert f"cannot list stack {STACK}'s resources" in caplog.text


def test_delete_when_the_job_vanishes_between_describe_and_delete_succeeds(sm):
    sagemaker, stub = sm
    name = {"AIRecommendationJobName": JOB}
    stub.add_response("describe_ai_recommendation_job", described("Failed"), name)
    stub.add_client_error("delete_ai_recommendation_job", "ResourceNotFound", "gone", expected_params=name)
    assert job_lifecycle.is_complete(sagemaker, event("Delete", JOB_PROPS, PhysicalResourceId=JOB)) == {
        "IsComplete": True
    }


def test_delete_keeps_a_completed_job_another_stack_may_still_read(sm):
    """A later stage resolves the job by name (``from_job_name``), and its rollback reads it again after
    this stack's replacement of the job was cleaned up: deleting it failed that rollback."""
    sagemaker, stub = sm
    stub.add_response("describe_ai_recommendation_job", described("Completed"), {"AIRecommendationJobName": JOB})
    delete = event("Delete", JOB_PROPS, PhysicalResourceId=JOB)
    assert job_lifecycle.is_complete(sagemaker, delete) == {"IsComplete": True}
    stub.assert_no_pending_responses()  # and no DeleteAIRecommendationJob: the Stubber refuses a call not queued


def test_delete_with_removal_policy_destroy_deletes_a_completed_job(sm):
    sagemaker, stub = sm
    name = {"AIRecommendationJobName": JOB}
    stub.add_response("describe_ai_recommendation_job", described("Completed"), name)
    stub.add_response("delete_ai_recommendation_job", {}, name)
    delete = event("Delete", {**JOB_PROPS, "RemovalPolicy": "destroy"}, PhysicalResourceId=JOB)
    assert job_lifecycle.is_complete(sagemaker, delete) == {"IsComplete": True}
    stub.assert_no_pending_responses()


def test_create_and_update_complete_at_once(sm):
    sagemaker, _ = sm
    assert job_lifecycle.is_complete(sagemaker, event("Create", JOB_PROPS, PhysicalResourceId=JOB)) == {
        "IsComplete": True
    }


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
    result = job_waiter.poll_job(sagemaker, "RecommendationJob", JOB, deadline=50.0, now=now)
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
    monkeypatch.setattr(ai_jobs_handler, "_put", lambda url, body: sent.append((url, body)))
    step = {"Kind": "RecommendationJob", "JobName": JOB, "HandleUrl": HANDLE, "Deadline": 9e12, "PollSeconds": 300}
    clients = StubClients(sagemaker=sagemaker)
    assert ai_jobs_handler.poll(step, None, clients=clients) == {**step, "Status": "Failed", "Done": True}
    ((url, body),) = sent
    assert url == HANDLE
    assert json.loads(body)["Status"] == "FAILURE" and "Failed: boom" in json.loads(body)["Reason"]


# ---------------------------------------------------------------------------------------------- types


def test_cloudformation_strings_are_restored_to_the_apis_types():
    as_cloudformation_sends_them = {
        "Kind": "RecommendationJob",
        "Request": {**REQUEST, "OptimizeModel": "true", "Tags": [{"Key": "n", "Value": "3"}]},
    }
    restored = ai_jobs_handler.coerce_request(client("sagemaker"), event("Create", as_cloudformation_sends_them))
    request = restored["ResourceProperties"]["Request"]
    assert request["OptimizeModel"] is True
    assert request["Tags"] == [{"Key": "n", "Value": "3"}]  # strings stay strings


def test_switching_an_existing_job_to_waiting_starts_its_waiter(sm, sfn):
    sagemaker, stub = sm
    stepfunctions, sfn_stub = sfn
    wait = {"StateMachineArn": WAITER, "HandleUrl": HANDLE, "TimeoutSeconds": 3600, "PollSeconds": 60}
    stub.add_response("describe_ai_recommendation_job", described("Completed"), {"AIRecommendationJobName": JOB})
    sfn_stub.add_response(
        "start_execution", {"executionArn": f"{WAITER}:x", "startDate": dt.datetime(2026, 1, 1, tzinfo=dt.UTC)}
    )
    update = event("Update", {**JOB_PROPS, "Wait": wait}, PhysicalResourceId=JOB, OldResourceProperties=JOB_PROPS)
    assert on_event(sagemaker, update, stepfunctions)["PhysicalResourceId"] == JOB


def test_a_poll_that_cannot_read_the_job_fails_the_deployment_at_once(sm, no_backoff):
    """Access denied is no fault that passes: long before the deadline, it fails the deployment, unretried."""
    sagemaker, stub = sm
    stub.add_client_error("describe_ai_recommendation_job", "AccessDeniedException", "not authorized", 400)
    result = job_waiter.poll_job(sagemaker, "RecommendationJob", JOB, deadline=1e12, now=0.0)
    assert result.done
    assert result.signal["Status"] == "FAILURE"
    assert (
        result.signal["Reason"] == f"checking AI recommendation job {JOB} failed: AccessDeniedException: not authorized"
    )
    assert no_backoff == []


@pytest.mark.parametrize(
    ("code", "status"), [("ThrottlingException", 400), ("InternalFailure", 500), ("ServiceUnavailable", 503)]
)
def test_a_poll_whose_retries_a_transient_fault_outlasts_leaves_the_job_to_the_next_poll(monkeypatch, sm, code, status):
    """Six faults (every attempt of one poll), then the job InProgress: neither poll signals, and the state
    machine's next poll (``Done`` false) is what tries again, not a failed deployment hours into the job."""
    sagemaker, stub = sm
    for _ in range(6):
        stub.add_client_error(
            "describe_ai_recommendation_job", code, "Rate exceeded", status, {"AIRecommendationJobName": JOB}
        )
    stub.add_response("describe_ai_recommendation_job", described("InProgress"), {"AIRecommendationJobName": JOB})
    sent: list[bytes] = []
    monkeypatch.setattr(ai_jobs_handler, "_put", lambda url, body: sent.append(body))
    step = {"Kind": "RecommendationJob", "JobName": JOB, "HandleUrl": HANDLE, "Deadline": 9e12, "PollSeconds": 300}
    clients = StubClients(sagemaker=sagemaker)
    assert ai_jobs_handler.poll(step, None, clients=clients) == {**step, "Status": "Unknown", "Done": False}
    assert ai_jobs_handler.poll(step, None, clients=clients) == {**step, "Status": "InProgress", "Done": False}
    assert sent == []


def test_a_transient_fault_past_the_deadline_fails_the_deployment_and_says_so(sm):
    sagemaker, stub = sm
    for _ in range(6):
        stub.add_client_error("describe_ai_recommendation_job", "ThrottlingException", "Rate exceeded")
    result = job_waiter.poll_job(sagemaker, "RecommendationJob", JOB, deadline=50.0, now=50.0)
    assert result.done and result.signal["Status"] == "FAILURE"
    assert result.signal["Reason"] == (
        f"checking AI recommendation job {JOB} failed: ThrottlingException: Rate exceeded; "
        "the deployment's wait bound has passed, so the waiter polls no more"
    )


def test_a_network_timeout_that_outlasts_the_retries_leaves_the_job_to_the_next_poll(no_backoff):
    from botocore.exceptions import ReadTimeoutError

    sagemaker = client("sagemaker")

    def time_out(**_: Any) -> None:
        raise ReadTimeoutError(endpoint_url="https://api.sagemaker.us-west-2.amazonaws.com")

    sagemaker.meta.events.register("before-call.sagemaker.DescribeAIRecommendationJob", time_out)
    result = job_waiter.poll_job(sagemaker, "RecommendationJob", JOB, deadline=50.0, now=10.0)
    assert (result.status, result.done, result.signal) == ("Unknown", False, None)
    assert "Read timeout" in result.note and len(no_backoff) == 5


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


def test_the_entry_point_dispatches_with_its_own_clients(monkeypatch, sm):
    sagemaker, stub = sm
    stepfunctions = client("stepfunctions")
    clients = {"sagemaker": sagemaker, "stepfunctions": stepfunctions}
    monkeypatch.setattr(ai_jobs_handler.boto3, "client", lambda service, **_: clients[service])
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

    assert aws_calls.with_retries(call) == "ok"
    assert len(no_backoff) == 2


def test_a_timeout_that_never_ends_is_raised_after_the_last_attempt(no_backoff) -> None:
    from botocore.exceptions import ReadTimeoutError

    def call() -> None:
        raise ReadTimeoutError(endpoint_url="https://api.sagemaker")

    with pytest.raises(ReadTimeoutError):
        aws_calls.with_retries(call, attempts=3)
    assert len(no_backoff) == 2


# ---------------------------------------------------------------------------------------------- rollback

BENCHMARK_PROPS = {"Kind": "BenchmarkJob", "Request": BENCHMARK_REQUEST}


def completed_benchmark() -> dict:
    return {
        **BENCHMARK_REQUEST,
        "AIBenchmarkJobArn": f"arn:aws:sagemaker:{REGION}:111122223333:ai-benchmark-job/{BENCHMARK}",
        "AIBenchmarkJobStatus": "Completed",
        "CreationTime": CREATED,
    }


@pytest.fixture
def cfn():
    yield from stubbed("cloudformation")


CREATED = dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)  # the benchmark's CreationTime


def stack_in(status: str, *, operation_started: dt.datetime = CREATED - dt.timedelta(minutes=30)) -> dict:
    stack = {"StackName": "Serving", "StackId": STACK, "CreationTime": dt.datetime(2026, 11, 1, tzinfo=dt.UTC)}
    return {"Stacks": [{**stack, "LastUpdatedTime": operation_started, "StackStatus": status}]}


def delete_benchmark(sagemaker: Any, cloudformation: Any) -> dict:
    """The provider framework's isComplete for the Delete, through the handler's own entry point."""
    delete = event("Delete", BENCHMARK_PROPS, PhysicalResourceId=BENCHMARK, StackId=STACK)
    return ai_jobs_handler.is_complete(delete, None, StubClients(sagemaker=sagemaker, cloudformation=cloudformation))


@pytest.mark.parametrize("status", ["UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "ROLLBACK_IN_PROGRESS"])
def test_a_rollback_deletes_the_completed_benchmark_run_the_failed_deployment_made(sm, cfn, status):
    """A gate's run that breached its SLA would otherwise stay, and the retry would adopt it (same definition,
    same name) and fail on the same figures without measuring again."""
    (sagemaker, stub), (cloudformation, cfn_stub) = sm, cfn
    name = {"AIBenchmarkJobName": BENCHMARK}
    stub.add_response("describe_ai_benchmark_job", completed_benchmark(), name)
    cfn_stub.add_response("describe_stacks", stack_in(status), {"StackName": STACK})
    stub.add_response("delete_ai_benchmark_job", {}, name)
    assert delete_benchmark(sagemaker, cloudformation) == {"IsComplete": True}


@pytest.mark.parametrize("status", ["UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "DELETE_IN_PROGRESS"])
def test_a_completed_benchmark_run_is_kept_when_the_stack_is_not_rolling_back(sm, cfn, status):
    """A replaced run (the update's cleanup) or the stack's deletion: a later stage may still read it."""
    (sagemaker, stub), (cloudformation, cfn_stub) = sm, cfn
    stub.add_response("describe_ai_benchmark_job", completed_benchmark(), {"AIBenchmarkJobName": BENCHMARK})
    cfn_stub.add_response("describe_stacks", stack_in(status), {"StackName": STACK})
    assert delete_benchmark(sagemaker, cloudformation) == {"IsComplete": True}


def test_a_rollback_keeps_a_completed_run_an_earlier_deployment_made(sm, cfn):
    """The failed update adopted the run (a definition returned to): it is older than the operation, and a
    later stage's rollback may still read it."""
    (sagemaker, stub), (cloudformation, cfn_stub) = sm, cfn
    stub.add_response("describe_ai_benchmark_job", completed_benchmark(), {"AIBenchmarkJobName": BENCHMARK})
    later = stack_in("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", operation_started=CREATED + dt.timedelta(days=3))
    cfn_stub.add_response("describe_stacks", later, {"StackName": STACK})
    assert delete_benchmark(sagemaker, cloudformation) == {"IsComplete": True}


def test_a_run_is_kept_when_the_stack_status_cannot_be_read(sm, cfn, caplog):
    (sagemaker, stub), (cloudformation, cfn_stub) = sm, cfn
    stub.add_response("describe_ai_benchmark_job", completed_benchmark(), {"AIBenchmarkJobName": BENCHMARK})
    cfn_stub.add_client_error("describe_stacks", "AccessDenied", "not authorized", expected_params={"StackName": STACK})
    assert delete_benchmark(sagemaker, cloudformation) == {"IsComplete": True}
    assert f"cannot tell whether stack {STACK} rolls back, so a completed job is kept" in caplog.text


def test_a_rollback_keeps_a_completed_recommendation_for_the_retry_to_reuse(sm, cfn):
    """Its hours of benchmarking are the deployment's input, not its gate: the stack's status is not asked."""
    (sagemaker, stub), (cloudformation, _) = sm, cfn
    stub.add_response("describe_ai_recommendation_job", described("Completed"), {"AIRecommendationJobName": JOB})
    delete = event("Delete", JOB_PROPS, PhysicalResourceId=JOB, StackId=STACK)
    clients = StubClients(sagemaker=sagemaker, cloudformation=cloudformation)
    assert ai_jobs_handler.is_complete(delete, None, clients) == {"IsComplete": True}
