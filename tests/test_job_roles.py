"""Both AI-job kinds run as a role the user gives: the request names it, no other role reaches the
template, and it is that role's ARN the request check judges."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from simulation.execution_roles import expected_requests
from simulation.harness import denied, statements_of_role
from simulation.iam import Request
from simulation.intrinsics import Environment, resolve
from simulation.references import policies_of_roles
from test_benchmark import minimal_job, serving, workload
from test_recommendation import job_props

from cdk_genai_inference import (
    BenchmarkJob,
    LoraAdapter,
    RecommendationJob,
    RecommendedModels,
    S3Location,
    ValidationError,
    WorkloadConfig,
)
from synthesis import ENV, check_with_nag, new_stack, synth


def recommendation_job(stack: cdk.Stack, role: iam.IRole) -> RecommendationJob:
    return RecommendationJob(stack, "Job", **job_props(stack, role=role))


def benchmark_job(stack: cdk.Stack, role: iam.IRole) -> Any:
    return minimal_job(stack, role=role)


JOBS = pytest.mark.parametrize(
    ("build", "operation"),
    [(recommendation_job, "CreateAIRecommendationJob"), (benchmark_job, "CreateAIBenchmarkJob")],
    ids=["recommendation", "benchmark"],
)


@JOBS
def test_the_job_runs_as_the_role_it_is_given(build: Callable[..., Any], operation: str) -> None:
    stack = new_stack()
    role = iam.Role.from_role_arn(stack, "Given", "arn:aws:iam::111122223333:role/job-runner")
    job = build(stack, role)
    template = synth(stack).to_json()
    assert job.role is role
    request = template["Resources"][stack.get_logical_id(job.resource.node.default_child)]["Properties"]["Request"]
    assert request["RoleArn"] == "arn:aws:iam::111122223333:role/job-runner"
    # No other role is named: the request's placeholder, say, never reaches the template.
    assert set(re.findall(r"arn:aws:iam::\d{12}:role/[^\"]+", json.dumps(template))) == {request["RoleArn"]}


@JOBS
def test_a_given_role_is_checked_as_the_request_names_it(build: Callable[..., Any], operation: str) -> None:
    stack = new_stack()
    role = iam.Role.from_role_arn(stack, "Given", "arn:aws:iam::111122223333:role/job runner")
    rejected = f"the {operation} request would be rejected: RoleArn must match"
    with pytest.raises(
        ValidationError, match=re.escape(rejected) + ".*got 'arn:aws:iam::111122223333:role/job runner'"
    ):
        build(stack, role)


@JOBS
def test_a_role_this_app_defines_gets_only_what_the_job_alone_can_name(
    build: Callable[..., Any], operation: str
) -> None:
    """A given role's grants are the user's, as the ``role`` argument says; the one exception is the
    recommended packages' group, whose name only the recommendation job knows."""
    stack = new_stack()
    role = iam.Role(stack, "Given", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    build(stack, role)
    resources = synth(stack).to_json()["Resources"]
    role_id = stack.get_logical_id(role.node.default_child)
    actions = sorted(
        action
        for policy in policies_of_roles(resources).get(role_id, set())
        for statement in resources[policy]["Properties"]["PolicyDocument"]["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    )
    registration = [
        "sagemaker:CreateModelPackage",
        "sagemaker:CreateModelPackageGroup",
        "sagemaker:DescribeModelPackage",
        "sagemaker:DescribeModelPackageGroup",
    ]
    assert actions == (registration if operation == "CreateAIRecommendationJob" else [])


def recommendation_at(stack: cdk.Stack, output: S3Location) -> Any:
    # The account inside the URI: the bucket and key are still apart at synth.
    model = S3Location.from_uri(f"s3://models-{cdk.Aws.ACCOUNT_ID}/llama/")
    return RecommendationJob(stack, "Job", **job_props(stack, model_source=model, output=output))


def benchmark_at(stack: cdk.Stack, output: S3Location) -> Any:
    return BenchmarkJob(stack, "B", endpoint=serving(stack), workload_config=workload(stack), output=output)


@pytest.mark.parametrize("build", [recommendation_at, benchmark_at], ids=["recommendation", "benchmark"])
def test_a_location_known_only_at_deploy_time_is_granted_where_it_resolves(build: Callable[..., Any]) -> None:
    """An output URI from a CloudFormation parameter (and a model URI with the account inside it): once
    CloudFormation resolves them, the job's default role may do with each what SageMaker does."""
    stack = new_stack()
    check_with_nag(stack.node.root)  # the wildcard under a deploy-time prefix is acknowledged as such
    job = build(stack, S3Location.from_uri(cdk.CfnParameter(stack, "Output").value_as_string))
    template = synth(stack).to_json()
    resources = template["Resources"]
    env = Environment(
        account=ENV.account, region=ENV.region, refs={"Output": "s3://pipeline-runs/42/"}, placeholders=True
    )
    deployed = {k: {**r, "Properties": resolve(r.get("Properties", {}), env)} for k, r in resources.items()}
    needs = expected_requests(template, {"Resources": deployed}, [], {"account": ENV.account, "region": ENV.region})
    role_id = stack.get_logical_id(job.role.node.default_child)
    statements = statements_of_role(resources, role_id, env)
    s3 = [r for r in needs[role_id] if r.action.startswith("s3:")]
    assert {r.resource.split(":::")[1].split("/")[0] for r in s3} >= {"pipeline-runs"}, s3
    assert denied(statements, s3) == []


def test_a_dataset_an_imported_workload_names_at_deploy_time_is_granted_where_it_resolves() -> None:
    """A workload configuration created elsewhere, whose dataset URI is a CloudFormation parameter: once
    CloudFormation resolves it, the benchmark's default role may read and list what AIPerf reads there."""
    stack = new_stack()
    imported = WorkloadConfig.from_workload_config_name(
        stack, "Imported", "shared-workload", dataset_uris=[cdk.CfnParameter(stack, "Dataset").value_as_string]
    )
    job = BenchmarkJob(
        stack, "B", endpoint=serving(stack), workload_config=imported, output=S3Location.from_uri("s3://runs/out/")
    )
    resources = synth(stack).to_json()["Resources"]
    env = Environment(account=ENV.account, region=ENV.region, refs={"Dataset": "s3://datasets/sharegpt/"})
    statements = statements_of_role(resources, stack.get_logical_id(job.role.node.default_child), env)
    reads = [
        Request("s3:GetObject", "arn:aws:s3:::datasets/sharegpt/conversations.jsonl"),
        Request("s3:ListBucket", "arn:aws:s3:::datasets", {"s3:prefix": "sharegpt/"}),
    ]
    assert denied(statements, reads) == []
    assert denied(statements, [Request("s3:GetObject", "arn:aws:s3:::datasets/other/x.jsonl")]) != []


ENVIRONMENT = Environment(account=ENV.account, region=ENV.region, placeholders=True)
"""The stack's account and region, with a placeholder for each value only a deployment knows."""
KEY = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize("build", [recommendation_at, benchmark_at], ids=["recommendation", "benchmark"])
def test_an_output_by_uri_is_granted_the_key_it_is_encrypted_with(build: Callable[..., Any]) -> None:
    """A bucket known only by its URI hides its SSE-KMS key: given with the URI, the job's default role
    may encrypt what it writes there and decrypt what it reads (S3 calls KMS as that role)."""
    stack = new_stack()
    key = kms.Key.from_key_arn(stack, "Key", KEY)
    job = build(stack, S3Location.from_uri("s3://encrypted-runs/out/", encryption_key=key))
    resources = synth(stack).to_json()["Resources"]
    statements = statements_of_role(resources, stack.get_logical_id(job.role.node.default_child), ENVIRONMENT)
    writes = [Request("kms:GenerateDataKey", KEY), Request("kms:Decrypt", KEY), Request("kms:Encrypt", KEY)]
    assert denied(statements, writes) == []


PACKAGED_ADAPTER = "arn:aws:sagemaker:us-west-2:111122223333:model-package/sql-adapters/3"


@pytest.mark.parametrize(
    ("adapter", "actions"),
    [
        (LoraAdapter("sql", s3_uri="s3://genai-adapters-111122223333/sql/"), {"s3:GetObject", "s3:ListBucket"}),
        (LoraAdapter("sql", model_package_arn=PACKAGED_ADAPTER), {"sagemaker:DescribeModelPackage"}),
    ],
    ids=["s3", "model-package"],
)
def test_the_default_role_reads_the_lora_adapters_the_job_serves(adapter: LoraAdapter, actions: set[str]) -> None:
    """The service reads the adapters with the job's role, as it reads the model: the weights under an
    S3 URI (listed and read), or a registered adapter's model package (AdapterSource holds one kind)."""
    stack = new_stack()
    job = RecommendationJob(stack, "Job", **job_props(stack, adapters=[adapter]))
    template = synth(stack).to_json()
    resources = template["Resources"]
    env = Environment(account=ENV.account, region=ENV.region, placeholders=True)
    deployed = {k: {**r, "Properties": resolve(r.get("Properties", {}), env)} for k, r in resources.items()}
    role_id = stack.get_logical_id(job.role.node.default_child)
    needs = expected_requests(template, {"Resources": deployed}, [], {"account": ENV.account, "region": ENV.region})
    reads = [r for r in needs[role_id] if "genai-adapters" in r.resource or r.resource == PACKAGED_ADAPTER]
    assert {r.action for r in reads} == actions
    statements = statements_of_role(resources, role_id, env)
    assert denied(statements, needs[role_id]) == []


def test_package_versions_are_granted_in_either_case_spelling() -> None:
    """A group named with capitals: SageMaker's documentation lower-cases the group in a version's ARN
    (the lineage-tracking example's ``model-package/abalonemodelpackagegroupname/2``), while an
    AccessDenied message reported from a real account keeps it as given. IAM compares exactly, so the
    job's role may register, and the resolver may describe, the versions under either spelling."""
    stack = new_stack()
    group = "LlamaRecs"
    job = RecommendationJob(stack, "Job", **job_props(stack, model_package_group=group))
    RecommendedModels(stack, "Models", job=job)
    shared = "SharedRecs"  # another account's group, which its owner named
    RecommendedModels(
        stack,
        "Shared",
        model_package_group_arn=f"arn:aws:sagemaker:us-west-2:222222222222:model-package-group/{shared}",
        instance_types=["ml.g6e.12xlarge"],
        model_data=[S3Location.from_uri("s3://genai-artifacts-222222222222-us-west-2/")],
    )
    resources = synth(stack).to_json()["Resources"]
    env = Environment(account=ENV.account, region=ENV.region, placeholders=True)
    statements_of = {role: statements_of_role(resources, role, env) for role in policies_of_roles(resources)}
    job_role = statements_of.pop(stack.get_logical_id(job.role.node.default_child))
    for spelling in (group, group.lower()):
        version = f"arn:aws:sagemaker:{ENV.region}:{ENV.account}:model-package/{spelling}/1"
        assert denied(job_role, [Request("sagemaker:CreateModelPackage", version)]) == [], spelling
        describe = [Request("sagemaker:DescribeModelPackage", version)]
        assert any(not denied(statements, describe) for statements in statements_of.values()), spelling
    for spelling in (shared, shared.lower()):
        describe = [
            Request(
                "sagemaker:DescribeModelPackage", f"arn:aws:sagemaker:us-west-2:222222222222:model-package/{spelling}/1"
            )
        ]
        assert any(not denied(statements, describe) for statements in statements_of.values()), spelling
