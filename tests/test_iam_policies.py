"""Every IAM policy the library writes: no `*` resource where the action supports resource ARNs, and
`iam:PassRole` always scoped to one role and to SageMaker."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from simulation.harness import denied, statements_of_role
from simulation.iam import Request
from simulation.intrinsics import Environment
from simulation.references import POLICY_ROLES

from cdk_genai_inference import (
    AsyncInference,
    BenchmarkJob,
    BenchmarkNetwork,
    BenchmarkSla,
    DeploymentPolicy,
    InferenceComponents,
    InstancePool,
    InstancePoolEndpoint,
    JobWait,
    MlflowTracking,
    Model,
    RecommendationGoal,
    RecommendationJob,
    RecommendedModels,
    ResultsPublishing,
    S3Location,
    TokenDistribution,
    WorkloadConfig,
)
from conftest import REPO
from stacks.reference_app import build
from synthesis import ENV, IMAGE, MODEL_DATA, api_findings

NO_RESOURCE_LEVEL = {
    "cloudwatch:PutMetricData",
    "ecr:GetAuthorizationToken",
    "servicequotas:ListServiceQuotas",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    "xray:GetSamplingRules",
    "xray:GetSamplingTargets",
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
    "ec2:CreateNetworkInterface",
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterface",
    "ec2:DeleteNetworkInterfacePermission",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
}
"""Actions IAM authorizes on no narrower resource than `*` (Service Authorization Reference)."""


def everything(stack: cdk.Stack) -> None:
    """One of each construct, with the options that add permissions."""
    model = Model(stack, "Model", image_uri=IMAGE, model_data_url=MODEL_DATA)
    bucket = s3.Bucket(stack, "Out", enforce_ssl=True)
    endpoint = InstancePoolEndpoint(
        stack,
        "Endpoint",
        model=model,
        instance_pools=[InstancePool("ml.g6e.12xlarge", max_concurrency=16)],
        deployment=DeploymentPolicy.rolling(),
    )
    endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=2)
    InstancePoolEndpoint(  # asynchronous: neither the default error alarm nor weighted scaling applies
        stack,
        "Async",
        model=model,
        instance_pools=[InstancePool("ml.g6e.12xlarge")],
        async_inference=AsyncInference(output_bucket=bucket, success_topic=sns.Topic(stack, "Ok")),
    )
    InstancePoolEndpoint(
        stack,
        "Components",
        model=model,
        instance_pools=[InstancePool("ml.g6.12xlarge", min_memory_mb=16384, accelerators=1)],
        inference_components=InferenceComponents(),
    )
    workload = WorkloadConfig(
        stack,
        "Workload",
        input_tokens=TokenDistribution(3500),
        concurrency=[4, 8],
        secrets={"hf_token": "arn:aws:secretsmanager:us-west-2:111122223333:secret:hf-AbCdEf"},
        datasets={"prompts": "s3://datasets/sharegpt/"},
    )
    job = RecommendationJob(
        stack,
        "Job",
        model_source=S3Location.from_uri(MODEL_DATA),
        workload_config=workload,
        goal=RecommendationGoal.THROUGHPUT,
        instance_types=["ml.g6e.12xlarge"],
        output=S3Location.from_bucket(bucket, "recommendations/"),
        mlflow=MlflowTracking("arn:aws:sagemaker:us-west-2:111122223333:mlflow-app/app-1"),
    )
    RecommendedModels(stack, "Models", job=job)
    vpc = ec2.Vpc.from_vpc_attributes(
        stack, "Vpc", vpc_id="vpc-1", availability_zones=["us-west-2a"], private_subnet_ids=["subnet-1"]
    )
    BenchmarkJob(
        stack,
        "Benchmark",
        endpoint=endpoint,
        workload_config=workload,
        output=S3Location.from_uri("s3://artifacts/benchmarks/"),
        sla=BenchmarkSla(request_latency_p99_ms=10_000),
        publish=ResultsPublishing(metric_namespace="GenAI/Benchmarks", parameter_prefix="/genai/b"),
        network=BenchmarkNetwork(
            subnets=vpc.private_subnets, security_groups=[ec2.SecurityGroup.from_security_group_id(stack, "G", "sg-1")]
        ),
        wait=JobWait.in_deployment(Duration.hours(2)),
    )


@pytest.fixture(scope="module")
def statements() -> list[tuple[str, dict[str, Any]]]:
    app = cdk.App(context=json.loads((REPO / "cdk.json").read_text())["context"])
    build(app, env=ENV)
    everything(cdk.Stack(app, "Everything", env=ENV))
    found = []
    for stack in app.synth().stacks:
        assert api_findings(stack.template) == [], stack.stack_name
        if stack.stack_name == "GenAiPipeline":
            continue  # aws-cdk's pipelines module writes that stack's policies (its stages' stacks are ours)
        for logical_id, resource in stack.template["Resources"].items():
            if resource["Type"] in POLICY_ROLES:
                for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                    found.append((f"{stack.stack_name}/{logical_id}", statement))
    assert len(found) > 50
    return found


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_star_resource_for_actions_that_support_resource_arns(statements) -> None:
    violations = [
        f"{where}: {action}"
        for where, statement in statements
        if "*" in listed(statement.get("Resource"))
        for action in listed(statement["Action"])
        if action not in NO_RESOURCE_LEVEL
    ]
    assert violations == []


def test_pass_role_is_always_scoped_to_one_role_and_to_sagemaker(statements) -> None:
    passes = [(where, s) for where, s in statements if "iam:PassRole" in listed(s["Action"])]
    assert passes
    for where, statement in passes:
        assert "*" not in json.dumps(statement["Resource"]), where
        assert len(listed(statement["Resource"])) == 1, where
        assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}, where


def test_the_scan_can_fail() -> None:
    """A statement like the ones the rules forbid is caught."""
    app = cdk.App()
    stack = cdk.Stack(app, "Loose", env=ENV)
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:DescribeEndpoint"], resources=["*"]))
    role.add_to_policy(iam.PolicyStatement(actions=["iam:PassRole"], resources=["*"]))
    template = app.synth().get_stack_by_name("Loose").template
    policy = next(r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Policy")
    loose = [("Loose", s) for s in policy["Properties"]["PolicyDocument"]["Statement"]]
    with pytest.raises(AssertionError):
        test_no_star_resource_for_actions_that_support_resource_arns(loose)
    with pytest.raises(AssertionError):
        test_pass_role_is_always_scoped_to_one_role_and_to_sagemaker(loose)


def test_a_model_packages_default_role_may_pull_its_image_and_is_told_to_grant_its_data() -> None:
    """CreateModel: the role is how SageMaker accesses "model artifacts and docker image". A package
    names its image, unknown here, so the default role may pull from any ECR repository; where the
    package's data lies only the package knows, so a warning says to grant it."""
    stack = cdk.Stack(cdk.App(), "Package", env=ENV)
    model = Model(stack, "Model", model_package_arn="arn:aws:sagemaker:us-west-2:111122223333:model-package/llama/3")
    resources = cdk.assertions.Template.from_stack(stack).to_json()["Resources"]
    role_id = stack.get_logical_id(model.role.node.default_child)
    statements = statements_of_role(resources, role_id, Environment(ENV.account, ENV.region))
    repository = "arn:aws:ecr:us-west-2:763104351884:repository/djl-inference"
    pull = [Request(action, repository) for action in ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")]
    assert denied(statements, [*pull, Request("ecr:GetAuthorizationToken", "*")]) == []
    warnings = cdk.assertions.Annotations.from_stack(stack).find_warning(
        "*", cdk.assertions.Match.string_like_regexp("model_package_arn: .* not read its model data")
    )
    assert len(warnings) == 1
