"""Resolving recommendations into deployable pools, against botocore's Stubber (every request and response is
validated against the real SageMaker service model): copies and tensor parallelism, hosting modes, approval
of versioned packages, and packages another account shared. The modules are the ones the asset ships."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import ai_jobs_handler
import aws_calls
import boto3
import pytest
import recommendation_resolution as resolution
from botocore.stub import Stubber

REGION = "us-west-2"
ACCOUNT = "111122223333"
STAGING = "222222222222"
JOB = "gpt-oss-20b-sizing-3f2a9c1b7e"
JOB_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:ai-recommendation-job/{JOB}"
PACKAGE = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{JOB}/1"
STACK = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/Serving/0a1b2c3d"
G6E, G6, G5 = "ml.g6e.12xlarge", "ml.g6.12xlarge", "ml.g5.12xlarge"


@pytest.fixture
def sm():
    sagemaker = boto3.client("sagemaker", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(sagemaker) as stubber:
        yield sagemaker, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    monkeypatch.setattr(aws_calls, "backoff", lambda seconds: None)


class StubClients:
    def __init__(self, **clients: Any) -> None:
        self.__dict__.update(clients)


def resolve(sagemaker: Any, props: dict[str, Any], request_type: str = "Create") -> dict[str, str]:
    """The resolver's attributes, through the handler's own dispatch, as CloudFormation would call it."""
    request = {"RequestType": request_type, "StackId": STACK, "ResourceProperties": props, "PhysicalResourceId": "old"}
    return ai_jobs_handler.on_event(request, None, clients=StubClients(sagemaker=sagemaker))["Data"]  # type: ignore[no-any-return]


def recommendation(
    instance_type: str,
    *,
    spec: str,
    instances: int = 1,
    copies: int = 1,
    concurrency: str = "24",
    environment: dict[str, str] | None = None,
    memory_mb: int | None = 65536,
    package: str = PACKAGE,
) -> dict[str, Any]:
    """One entry of ``Recommendations[]`` in the shape of the AWS sample's real response."""
    deployment: dict[str, Any] = {
        "InstanceType": instance_type,
        "InstanceCount": instances,
        "CopyCountPerInstance": copies,
        "ImageUri": "763104351884.dkr.ecr.us-west-2.amazonaws.com/vllm:0.11.0-gpu-py312",
        "EnvironmentVariables": environment or {},
        "S3": [
            {"ChannelName": "base_model", "Uri": "s3://genai-models-111122223333/gpt-oss-20b/"},
            {"ChannelName": "model-output", "Uri": "s3://genai-artifacts-111122223333/recommendations/out/"},
        ],
    }
    if memory_mb is not None:
        deployment["MinCpuMemoryRequiredInMb"] = memory_mb
    return {
        "RecommendationDescription": f"highest throughput on {instance_type}",
        "ModelDetails": {
            "ModelPackageArn": package,
            "InferenceSpecificationName": spec,
            "InstanceDetails": [
                {"InstanceType": instance_type, "InstanceCount": instances, "CopyCountPerInstance": copies}
            ],
        },
        "DeploymentConfiguration": deployment,
        "ExpectedPerformance": [
            {"Metric": "OutputTokenThroughput", "Stat": "avg", "Value": "2950.5", "Unit": "Tokens/Second"},
            {"Metric": "RequestLatency", "Stat": "p90", "Value": "9120", "Unit": "Milliseconds"},
            {"Metric": "ClientSideConcurrency", "Value": concurrency, "Unit": "Count"},
        ],
    }


# The real case: a 20B model on a 4-GPU instance, tensor parallel 2, two copies per instance, 88 concurrent.
TWO_COPIES = recommendation(
    G6E,
    spec="high-otps-on-g6e-12xlarge",
    copies=2,
    concurrency="88",
    environment={"SM_VLLM_TENSOR_PARALLEL_SIZE": "2", "SM_VLLM_MAX_NUM_SEQS": "88"},
)
NO_TP = recommendation(G5, spec="high-otps-on-g5-12xlarge", instances=2, copies=2, concurrency="40")
ONE_COPY = recommendation(G6, spec="high-otps-on-g6-12xlarge", instances=2, concurrency="30")


def described(*recommendations: dict[str, Any], status: str = "Completed") -> dict[str, Any]:
    return {
        "AIRecommendationJobName": JOB,
        "AIRecommendationJobArn": JOB_ARN,
        "AIRecommendationJobStatus": status,
        "ModelSource": {"S3": {"S3Uri": "s3://genai-models-111122223333/gpt-oss-20b/"}},
        "OutputConfig": {"S3OutputLocation": "s3://genai-artifacts-111122223333/recommendations/"},
        "AIWorkloadConfigIdentifier": "chat-3500-200",
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/rec-execution",
        "CreationTime": dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC),
        "Recommendations": list(recommendations),
    }


def package(arn: str = PACKAGE, status: str | None = "Approved", metadata: dict[str, str] | None = None) -> dict:
    response: dict[str, Any] = {
        "ModelPackageName": JOB,
        "ModelPackageGroupName": JOB,
        "ModelPackageVersion": int(arn.rsplit("/", 1)[1]),
        "ModelPackageArn": arn,
        "CreationTime": dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC),
        "ModelPackageStatus": "Completed",
        "ModelPackageStatusDetails": {"ValidationStatuses": []},
    }
    if status is not None:
        response["ModelApprovalStatus"] = status
    if metadata:
        response["CustomerMetadataProperties"] = metadata
    return response


def job_props(*types: str, hosting: str = "inference-components", approval: str = "require-approved") -> dict:
    return {
        "Kind": "RecommendationResolution",
        "JobName": JOB,
        "InstanceTypes": list(types),
        "Order": "priority",
        "PoolCount": str(len(types)),  # CloudFormation passes every value as a string
        "Hosting": hosting,
        "Approval": approval,
        "ConcurrencyFor": [str(i) for i in range(1, len(types) + 1)],
        "ExpectedMetrics": [],
    }


def stub_job(stub: Stubber, *recommendations: dict[str, Any], status: str = "Completed") -> None:
    stub.add_response(
        "describe_ai_recommendation_job", described(*recommendations, status=status), {"AIRecommendationJobName": JOB}
    )


def stub_package(stub: Stubber, response: dict[str, Any]) -> None:
    stub.add_response("describe_model_package", response, {"ModelPackageName": response["ModelPackageArn"]})


# ------------------------------------------------------------------------------------ copies and accelerators


def test_two_copies_per_instance_become_components_with_per_copy_capacity(sm):
    sagemaker, stub = sm
    stub_job(stub, TWO_COPIES)
    stub_package(stub, package())
    data = resolve(sagemaker, job_props(G6E))
    assert data["Pool1.InstanceType"] == G6E
    assert (data["Pool1.InstanceCount"], data["Pool1.CopyCountPerInstance"]) == ("1", "2")
    assert data["Pool1.InitialCopyCount"] == "2"  # 1 instance x 2 copies
    assert data["Pool1.AcceleratorsPerCopy"] == "2"  # SM_VLLM_TENSOR_PARALLEL_SIZE
    assert data["Pool1.MemoryPerCopyMb"] == "65536"
    assert data["Pool1.MaxConcurrencyPerCopy"] == "44"  # 88 / (1 instance x 2 copies), not 88 per instance
    assert "Pool1.MaxConcurrencyPerInstance" not in data
    assert data["Pool1.ClientSideConcurrency"] == "88"


def test_without_a_tensor_parallel_size_a_copy_gets_the_instances_gpus_divided_among_its_copies(sm):
    sagemaker, stub = sm
    stub_job(stub, NO_TP)
    stub_package(stub, package())
    data = resolve(sagemaker, job_props(G5))
    assert data["Pool1.AcceleratorsPerCopy"] == "2"  # 4 GPUs on ml.g5.12xlarge, 2 copies
    assert data["Pool1.InitialCopyCount"] == "4"  # 2 instances x 2 copies
    assert data["Pool1.MaxConcurrencyPerCopy"] == "10"  # 40 / 4 copies


def test_a_single_model_variant_refuses_a_recommendation_of_two_copies_per_instance(sm):
    sagemaker, stub = sm
    stub_job(stub, TWO_COPIES)
    with pytest.raises(aws_calls.JobError) as failure:
        resolve(sagemaker, job_props(G6E, hosting="single-model"))
    message = str(failure.value)
    assert f"the recommendation for {G6E} runs 2 copies per instance" in message
    assert "host it with inference components" in message


def range_check(instance_count: str, copies: str, max_capacity: str) -> dict[str, Any]:
    """A ``ScalingRangeCheck`` event of weighted scaling from 1 to ``max_capacity`` copies, with the resolved
    counts as CloudFormation passes them (strings)."""
    common = {"InstanceType": G6E, "Min": "1", "Max": max_capacity, "MaxName": "max_capacity"}
    bounds = [
        {**common, "Argument": "initial_instance_count", "Attribute": "InstanceCount", "Count": instance_count}
        | {"MinName": "1"},
        {**common, "Argument": "inference_components.initial_copy_count", "Attribute": "InitialCopyCount"}
        | {"Count": copies, "MinName": "min_capacity"},
    ]
    props = {"Kind": "ScalingRangeCheck", "Recommendation": "Serving/Models", "Bounds": bounds}
    return {"RequestType": "Create", "StackId": STACK, "ResourceProperties": props}


def test_recommended_counts_outside_the_scaling_range_fail_the_deployment_naming_both():
    with pytest.raises(aws_calls.JobError) as failure:
        ai_jobs_handler.on_event(range_check("1", "2", max_capacity="1"), None, clients=StubClients())
    assert str(failure.value) == (
        f"Serving/Models: the recommendation for {G6E} has InitialCopyCount 2, the endpoint's "
        "inference_components.initial_copy_count, outside the scaling range min_capacity (1) to max_capacity (1); "
        "widen the range of scale_on_weighted_utilization to hold it"
    )


def test_a_count_outside_a_recommended_bound_fails_the_deployment_naming_the_endpoints_count():
    """A count known at synth, against ``max_capacity`` from the recommendation: it would be cut to it."""
    bound = {"Argument": "initial_instance_count", "Count": "3", "Min": "1", "MinName": "min_capacity"}
    props = {"Kind": "ScalingRangeCheck", "Recommendation": "Serving/Models"}
    props["Bounds"] = [bound | {"Max": "2", "MaxName": "max_capacity"}]  # type: ignore[assignment]
    event = {"RequestType": "Update", "StackId": STACK, "PhysicalResourceId": "c", "ResourceProperties": props}
    with pytest.raises(aws_calls.JobError) as failure:
        ai_jobs_handler.on_event(event, None, clients=StubClients())
    assert str(failure.value) == (
        "Serving/Models: the endpoint's initial_instance_count 3 is outside the scaling range min_capacity (1) to "
        "max_capacity (2); widen the range of scale_on_weighted_utilization to hold it, or change the count"
    )


@pytest.mark.parametrize("request_type", ["Create", "Update", "Delete"])
def test_recommended_counts_inside_the_scaling_range_pass_and_delete_checks_nothing(request_type):
    event = {**range_check("1", "2", max_capacity="2"), "RequestType": request_type, "PhysicalResourceId": "c"}
    assert ai_jobs_handler.on_event(event, None, clients=StubClients()) == {"PhysicalResourceId": "c"}
    if request_type == "Delete":  # a deployment that removes the check never fails on it
        outside = {**range_check("1", "9", max_capacity="2"), "RequestType": "Delete", "PhysicalResourceId": "c"}
        assert ai_jobs_handler.on_event(outside, None, clients=StubClients()) == {"PhysicalResourceId": "c"}


def test_a_single_model_variant_hosts_one_copy_per_instance_with_per_instance_capacity(sm):
    sagemaker, stub = sm
    stub_job(stub, ONE_COPY)
    stub_package(stub, package())
    data = resolve(sagemaker, job_props(G6, hosting="single-model"))
    assert data["Pool1.MaxConcurrencyPerInstance"] == "15"  # 30 / 2 instances
    assert "Pool1.AcceleratorsPerCopy" not in data


def test_components_need_the_memory_per_copy(sm):
    sagemaker, stub = sm
    stub_job(stub, recommendation(G6, spec="s", memory_mb=None))
    with pytest.raises(aws_calls.JobError, match=f"the recommendation for {G6} reports no MinCpuMemoryRequiredInMb"):
        resolve(sagemaker, job_props(G6))


@pytest.mark.parametrize("spec", ["", None])
def test_a_recommendation_without_an_inference_specification_fails_before_anything_is_approved(sm, spec):
    """The response's name may be empty or absent; CreateModel's must be 1-63 characters."""
    sagemaker, stub = sm
    entry = recommendation(G6, spec=spec or "")
    if spec is None:
        del entry["ModelDetails"]["InferenceSpecificationName"]
    stub_job(stub, entry)  # no DescribeModelPackage, no UpdateModelPackage: nothing is approved
    with pytest.raises(aws_calls.JobError) as failure:
        resolve(sagemaker, job_props(G6, approval="approve"))
    assert f"the recommendation for {G6} names no inference specification of model package {PACKAGE}" in str(
        failure.value
    )


def test_copies_that_do_not_divide_the_gpus_are_refused_when_no_size_is_named(sm):
    sagemaker, stub = sm
    stub_job(stub, recommendation(G6, spec="s", copies=3))
    with pytest.raises(
        aws_calls.JobError, match="runs 3 copies per instance on 4 GPUs and names no tensor-parallel size"
    ):
        resolve(sagemaker, job_props(G6))


def test_each_type_takes_its_best_ranked_recommendation_in_priority_order(sm):
    sagemaker, stub = sm
    second_g6e = recommendation(G6E, spec="second-best-on-g6e", copies=1, concurrency="16")
    stub_job(stub, TWO_COPIES, NO_TP, second_g6e, ONE_COPY)
    stub_package(stub, package())
    data = resolve(sagemaker, job_props(G6, G6E))
    assert [data["Pool1.InstanceType"], data["Pool2.InstanceType"]] == [G6, G6E]
    assert data["Pool2.InferenceSpecificationName"] == "high-otps-on-g6e-12xlarge"  # rank 1, not rank 3
    assert (data["Pool1.Rank"], data["Pool2.Rank"]) == ("4", "1")
    assert data["PoolCount"] == "2" and len(json.dumps(data)) < 4096


def test_ranking_order_follows_the_job(sm):
    sagemaker, stub = sm
    stub_job(stub, TWO_COPIES, NO_TP, ONE_COPY)
    stub_package(stub, package())
    data = resolve(sagemaker, {**job_props(G6, G5, G6E), "Order": "ranking"})
    assert [data[f"Pool{i}.InstanceType"] for i in (1, 2, 3)] == [G6E, G5, G6]


def test_more_pools_than_the_job_recommended_fails_naming_what_it_did(sm):
    """The service chose the types (none named) and recommended one; the stack serves two, and would
    read a second pool's attributes that no response holds."""
    sagemaker, stub = sm
    stub_job(stub, TWO_COPIES)
    props = {**job_props(), "Order": "ranking", "PoolCount": "2", "ConcurrencyFor": ["1", "2"]}
    with pytest.raises(
        aws_calls.JobError, match=rf"recommended 1 instance type\(s\) \({G6E}\), fewer than the 2 pools"
    ):
        resolve(sagemaker, props)


def test_a_type_the_job_did_not_recommend_is_named_with_those_it_did(sm):
    sagemaker, stub = sm
    stub_job(stub, TWO_COPIES)
    with pytest.raises(aws_calls.JobError, match=f"has no recommendation for {G6}; it recommended: {G6E}"):
        resolve(sagemaker, job_props(G6))


@pytest.mark.parametrize(
    ("status", "message"),
    [("Failed", "is Failed, not Completed"), ("InProgress", "is InProgress, not Completed; resolve it once")],
)
def test_an_unfinished_job_fails_with_its_status(sm, status, message):
    sagemaker, stub = sm
    stub_job(stub, status=status)
    with pytest.raises(aws_calls.JobError, match=message):
        resolve(sagemaker, job_props(G6))


# ------------------------------------------------------------------------------------ approval


def test_a_pending_package_fails_naming_it_its_status_and_how_to_approve_it(sm):
    """CreateModelPackage API: "For versioned models, the value of this parameter must be set to Approved to
    deploy the model"; CreateModel fails for a PendingManualApproval package, so the resolver fails first."""
    sagemaker, stub = sm
    stub_job(stub, TWO_COPIES)
    stub_package(stub, package(status="PendingManualApproval"))
    with pytest.raises(aws_calls.JobError) as failure:
        resolve(sagemaker, job_props(G6E))
    message = str(failure.value)
    assert f"model package {PACKAGE} (for {G6E}) is PendingManualApproval" in message
    assert (
        f"aws sagemaker update-model-package --model-package-arn {PACKAGE} --model-approval-status Approved" in message
    )


def test_approve_on_resolve_approves_exactly_the_resolved_packages_and_records_the_resolution(sm):
    sagemaker, stub = sm
    other = PACKAGE.replace("/1", "/2")
    stub_job(stub, TWO_COPIES, recommendation(G6, spec="high-otps-on-g6-12xlarge", package=other, concurrency="12"))
    stub_package(stub, package(status="PendingManualApproval"))
    stub_package(stub, package(other, status="Approved"))
    stub.add_response(
        "update_model_package",
        {"ModelPackageArn": PACKAGE},
        {
            "ModelPackageArn": PACKAGE,
            "ModelApprovalStatus": "Approved",
            "ApprovalDescription": f"Approved on deployment of its recommendation by {STACK}",
            "CustomerMetadataProperties": {
                f"cdk-genai-inference:{G6E}": "spec=high-otps-on-g6e-12xlarge rank=1 priority=1 instances=1 copies=2 "
                "accelerators=2 memory-mb=65536 concurrency=88"
            },
        },
    )
    stub.add_response(  # already approved by a person: the approval stays theirs, only the record is added
        "update_model_package",
        {"ModelPackageArn": other},
        {
            "ModelPackageArn": other,
            "CustomerMetadataProperties": {
                f"cdk-genai-inference:{G6}": "spec=high-otps-on-g6-12xlarge rank=2 priority=2 instances=1 copies=1 "
                "accelerators=4 memory-mb=65536 concurrency=12"
            },
        },
    )
    data = resolve(sagemaker, job_props(G6E, G6, approval="approve"))
    assert data["Pool2.ModelPackageArn"] == other


def test_a_single_model_resolution_records_the_tensor_parallel_size_for_another_account(sm):
    """Another account hosts the shared package on inference components by default: without the record of
    TP=2 it would size each copy as the instance's four GPUs."""
    sagemaker, stub = sm
    tp2 = recommendation(
        G6E, spec="high-otps-on-g6e-12xlarge", concurrency="40", environment={"SM_VLLM_TENSOR_PARALLEL_SIZE": "2"}
    )
    stub_job(stub, tp2)
    stub_package(stub, package(status="Approved"))
    stub.add_response(
        "update_model_package",
        {"ModelPackageArn": PACKAGE},
        {
            "ModelPackageArn": PACKAGE,
            "CustomerMetadataProperties": {
                f"cdk-genai-inference:{G6E}": "spec=high-otps-on-g6e-12xlarge rank=1 priority=1 instances=1 copies=1 "
                "accelerators=2 memory-mb=65536 concurrency=40"
            },
        },
    )
    resolve(sagemaker, job_props(G6E, hosting="single-model", approval="approve"))


@pytest.mark.parametrize("approval", ["require-approved", "approve"])
def test_a_rejected_package_always_fails(sm, approval):
    sagemaker, stub = sm
    stub_job(stub, TWO_COPIES)
    stub_package(stub, package(status="Rejected"))
    with pytest.raises(aws_calls.JobError, match=f"model package {PACKAGE} \\(for {G6E}\\) is Rejected"):
        resolve(sagemaker, job_props(G6E, approval=approval))


def test_a_missing_package_and_an_unreadable_one_fail_clearly(sm):
    sagemaker, stub = sm
    stub_job(stub, TWO_COPIES)
    stub.add_client_error("describe_model_package", "ValidationException", "Model Package does not exist.")
    with pytest.raises(aws_calls.JobError, match=f"model package {PACKAGE} for {G6E} is missing"):
        resolve(sagemaker, job_props(G6E))
    stub_job(stub, TWO_COPIES)
    stub.add_client_error("describe_model_package", "AccessDeniedException", "not authorized", 400)
    with pytest.raises(aws_calls.JobError, match=f"reading model package {PACKAGE} for {G6E} failed: AccessDenied"):
        resolve(sagemaker, job_props(G6E))


# ------------------------------------------------------------------------------------ shared packages


SHARED_GROUP = f"arn:aws:sagemaker:{REGION}:{STAGING}:model-package-group/{JOB}"
SHARED = f"arn:aws:sagemaker:{REGION}:{STAGING}:model-package/{JOB}"


def shared_props(*types: str) -> dict[str, Any]:
    return {
        "Kind": "PackageResolution",
        "ModelPackageGroupArn": SHARED_GROUP,
        "InstanceTypes": list(types),
        "Order": "priority",
        "PoolCount": str(len(types)),
        "Hosting": "inference-components",
        "ConcurrencyFor": ["1"],
        "ExpectedMetrics": [],
    }


def stub_listing(stub: Stubber, *arns: str) -> None:
    summaries = [
        {
            "ModelPackageArn": arn,
            "ModelPackageGroupName": JOB,
            "ModelPackageVersion": int(arn.rsplit("/", 1)[1]),
            "CreationTime": dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
            "ModelPackageStatus": "Completed",
            "ModelApprovalStatus": "Approved",
        }
        for arn in arns
    ]
    stub.add_response(
        "list_model_packages",
        {"ModelPackageSummaryList": summaries},
        {
            "ModelPackageGroupName": SHARED_GROUP,
            "ModelApprovalStatus": "Approved",
            "SortBy": "CreationTime",
            "SortOrder": "Descending",
        },
    )


def test_another_account_deploys_the_shared_packages_as_their_account_resolved_them(sm):
    sagemaker, stub = sm
    newest, older = f"{SHARED}/3", f"{SHARED}/2"
    stub_listing(stub, newest, older)
    recorded = "spec=high-otps-on-g6e-12xlarge rank=1 priority=1 instances=1 copies=2 accelerators=2 memory-mb=65536"
    stub_package(stub, package(newest, metadata={f"cdk-genai-inference:{G6E}": recorded + " concurrency=88"}))
    stub_package(stub, package(older, metadata={f"cdk-genai-inference:{G6E}": recorded + " concurrency=10"}))
    data = resolve(sagemaker, shared_props(G6E))
    assert data["Pool1.ModelPackageArn"] == newest  # the newest approved record of a type wins
    assert (data["Pool1.InitialCopyCount"], data["Pool1.AcceleratorsPerCopy"]) == ("2", "2")
    assert data["Pool1.MaxConcurrencyPerCopy"] == "44"
    assert data["Pool1.InferenceSpecificationName"] == "high-otps-on-g6e-12xlarge"


def test_shared_packages_without_a_recorded_resolution_fail_clearly(sm):
    sagemaker, stub = sm
    stub_listing(stub, f"{SHARED}/1")
    stub_package(stub, package(f"{SHARED}/1"))
    with pytest.raises(aws_calls.JobError, match="has no Approved package with a recorded resolution"):
        resolve(sagemaker, shared_props(G6E))


def test_a_shared_group_this_account_may_not_list_fails_naming_it(sm):
    sagemaker, stub = sm
    stub.add_client_error("list_model_packages", "AccessDeniedException", "not authorized", 400)
    with pytest.raises(
        aws_calls.JobError, match=f"listing the approved packages of model package group {SHARED_GROUP}"
    ):
        resolve(sagemaker, shared_props(G6E))


# ------------------------------------------------------------------------------------ the response


def test_the_response_keeps_what_the_stack_reads_and_fails_on_what_is_missing(sm):
    sagemaker, stub = sm
    long = [
        {
            **recommendation(f"ml.g6.{size}", spec="s" * 60, concurrency="8"),
            "ExpectedPerformance": [
                *({"Metric": f"Metric{m}WithALongName", "Stat": "p99", "Value": str(m)} for m in range(12)),
                {"Metric": "ClientSideConcurrency", "Value": "8"},
                {"Metric": "RequestLatency", "Stat": "p90", "Value": "900"},
            ],
        }
        for size in ("xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge")
    ]
    types = [r["DeploymentConfiguration"]["InstanceType"] for r in long]
    stub_job(stub, *long)
    stub_package(stub, package())
    data = resolve(sagemaker, {**job_props(*types), "ExpectedMetrics": ["RequestLatencyP90"]})
    assert len(json.dumps(data)) <= resolution.RESPONSE_LIMIT_BYTES
    assert data["Pool5.RequestLatencyP90"] == "900" and "Pool1.Metric0WithALongNameP99" not in data
    stub_job(stub, recommendation(G6, spec="s", concurrency="n/a"))
    stub_package(stub, package())
    with pytest.raises(
        aws_calls.JobError, match=r"reports no ClientSideConcurrency .*give that pool a max_concurrency"
    ):
        resolve(sagemaker, job_props(G6))
    stub_job(stub, TWO_COPIES)
    stub_package(stub, package())
    with pytest.raises(aws_calls.JobError, match="reports no TimeToFirstTokenP90"):
        resolve(sagemaker, {**job_props(G6E), "ExpectedMetrics": ["TimeToFirstTokenP90"]})


def test_delete_does_nothing_and_an_update_resolves_again(sm):
    sagemaker, stub = sm
    request = {"RequestType": "Delete", "PhysicalResourceId": "x", "ResourceProperties": job_props(G6)}
    assert ai_jobs_handler.on_event(request, None, clients=StubClients(sagemaker=sagemaker)) == {
        "PhysicalResourceId": "x"
    }
    stub_job(stub, ONE_COPY)
    stub_package(stub, package())
    assert resolve(sagemaker, job_props(G6), request_type="Update")["Pool1.InstanceType"] == G6
