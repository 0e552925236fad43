"""The execution role SageMaker assumes, with the permissions every SageMaker workload needs."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack
from aws_cdk import aws_iam as iam

from constructs import Construct

from ..scanners import INLINE_POLICY_WAIVER, acknowledge_wildcards

METRIC_NAMESPACES = ["/aws/sagemaker/*", "AWS/SageMaker"]


def sagemaker_execution_role(scope: Construct, id: str, description: str) -> iam.Role:
    """A role for ``sagemaker.amazonaws.com`` (this account only) that may write SageMaker's logs
    and metrics; callers add what their workload reads."""
    stack = Stack.of(scope)
    role = iam.Role(
        scope,
        id,
        assumed_by=iam.ServicePrincipal(
            "sagemaker.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
        ),
        description=description,
    )
    log_groups = stack.format_arn(
        service="logs",
        resource="log-group",
        resource_name="/aws/sagemaker/*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[log_groups],
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringLike": {"cloudwatch:namespace": METRIC_NAMESPACES}},
        )
    )
    INLINE_POLICY_WAIVER.apply(role)
    acknowledge_wildcards(
        role,
        [log_groups],
        "SageMaker names its log groups /aws/sagemaker/<kind>/<resource name>; the resources that will "
        "log do not exist when the role is created.",
    )
    acknowledge_wildcards(
        role,
        ["*"],
        "cloudwatch:PutMetricData (and ecr:GetAuthorizationToken, where an image is pulled) support no "
        "resource ARNs; PutMetricData is limited to SageMaker's namespaces by a condition.",
    )
    return role


def depend_on_policy(construct: Construct, role: object) -> None:
    """Make ``construct`` wait for every policy under ``role``'s construct, as aws-cdk's Lambda functions
    wait for theirs: its ``DefaultPolicy``, and the managed policies (``OverflowPolicy1``...) into which CDK
    moves, at synth, what outgrows an inline policy (a role many endpoints share). A policy attached from
    elsewhere is not among them. The role is referenced by ARN
    already, but SageMaker and the handlers use its permissions as soon as the resource is created."""
    if isinstance(role, iam.Role):
        construct.node.add_dependency(role)


IMAGE_CHOSEN_AT_DEPLOY_TIME = (
    "The service chooses the image at deploy time (an AWS Deep Learning Container or the AIPerf image, "
    "in an AWS-owned account)."
)


def grant_image_pull(role: iam.Role, reason: str = IMAGE_CHOSEN_AT_DEPLOY_TIME) -> None:
    """Pull the images the service runs for the workload (AWS Deep Learning Containers for serving,
    the AIPerf image for benchmarks), whose account and repository are known only at deploy time;
    ``reason`` is the acknowledgment of the wildcard repository."""
    stack = Stack.of(role)
    images = stack.format_arn(service="ecr", account="*", resource="repository", resource_name="*")
    role.add_to_policy(
        iam.PolicyStatement(
            actions=["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            resources=[images],
        )
    )
    role.add_to_policy(iam.PolicyStatement(actions=["ecr:GetAuthorizationToken"], resources=["*"]))
    acknowledge_wildcards(role, [images], reason)
