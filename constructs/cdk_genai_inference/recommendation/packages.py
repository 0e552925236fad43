"""The model package group a recommendation job registers its packages in: who may register into it,
and which other accounts may deploy from it."""

from __future__ import annotations

import re
from collections.abc import Sequence

from aws_cdk import CustomResource, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam

from constructs import Construct

from .._core.arns import outside_stack, sagemaker_arn, sagemaker_arn_spellings
from .._core.roles import depend_on_policy
from .._core.validation import unresolved
from ..errors import ValidationError
from ..jobs.provider import AiJobsProvider
from ..scanners import acknowledge_wildcards

ACCOUNT = re.compile(r"^\d{12}$")
DEPLOY_ACTIONS = ("sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages", "sagemaker:CreateModel")
"""What another account needs on a shared group's package versions to deploy them (the model registry's
cross-account deployment guide; ``UpdateModelPackage`` is left out: approval stays with the group's owner)."""


def check_group_in_stack(scope: Construct, identifier: str | None) -> None:
    """A group given by ARN must be in the stack's account and region: the grants, and the resolver's
    reads, name the group's packages there (by the group's name)."""
    if identifier is None or unresolved(identifier) or not identifier.startswith("arn:"):
        return
    parts = identifier.split(":")  # arn:partition:sagemaker:region:account:model-package-group/name
    region, account = (parts[3], parts[4]) if len(parts) > 4 else (None, None)
    outside = outside_stack(Stack.of(scope), account=account, region=region)
    if outside is not None:
        what, given, own = outside
        raise ValidationError(
            f"model_package_group {identifier!r} is in {what} {given}, not in this stack's ({own}): the "
            "job registers its packages, and RecommendedModels reads them, in the stack's own account and "
            "region; name a group there, or deploy another account's shared packages with "
            "RecommendedModels(model_package_group_arn=...)"
        )


def group_name(identifier: str) -> str:
    """A model package group's name from its name or ARN."""
    if unresolved(identifier) or "model-package-group/" not in identifier:
        return identifier
    return identifier.split("model-package-group/", 1)[1]


def check_share_with(accounts: Sequence[str], model_package_group: str | None) -> None:
    for index, account in enumerate(accounts):
        if not unresolved(account) and not ACCOUNT.match(account):
            raise ValidationError(f"share_packages_with[{index}] must be a 12-digit account id, got {account!r}")
    if accounts and model_package_group is not None:
        raise ValidationError(
            "share_packages_with defines the job's own model package group with a resource policy; with "
            f"model_package_group={model_package_group!r} the group is yours: put the policy on it there"
        )


GROUP_ACTIONS = (
    "sagemaker:CreateModelPackageGroup",
    "sagemaker:DescribeModelPackageGroup",
    "sagemaker:PutModelPackageGroupPolicy",
)
"""What the AI-jobs provider does with a shared group: create (or adopt) it, wait for it, put its policy."""
GROUP_DESCRIPTION = "Packages of an AI recommendation job, shared (cdk-genai-inference)"


class SharedPackageGroup(Construct):
    """The job's group, named as the service would name it, whose resource policy lets ``accounts`` deploy
    its packages: a ``Custom::ModelPackageGroup`` of the stack's AI-jobs provider, which adopts a group of
    that name that exists (one an earlier deployment of the same definition left: a failed first create,
    ``cdk destroy``) and puts the policy on it. Never deleted: models in those accounts keep using it."""

    def __init__(self, scope: Construct, id: str, *, name: str, accounts: Sequence[str]) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        principals = [f"arn:{stack.partition}:iam::{account}:root" for account in accounts]
        group_arn = sagemaker_arn(self, "model-package-group", name, as_given=True)
        versions = sagemaker_arn(self, "model-package", f"{name}/*", as_given=True)
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DescribeGroup",
                    "Effect": "Allow",
                    "Principal": {"AWS": principals},
                    "Action": "sagemaker:DescribeModelPackageGroup",
                    "Resource": group_arn,
                },
                {
                    "Sid": "DeployVersions",
                    "Effect": "Allow",
                    "Principal": {"AWS": principals},
                    "Action": list(DEPLOY_ACTIONS),
                    "Resource": versions,
                },
            ],
        }
        provider = AiJobsProvider.of(self)
        provider.grant(GROUP_ACTIONS, sagemaker_arn_spellings(self, "model-package-group", name))
        # "Resource" under "ModelPackageGroup": a logical id other than the AWS::SageMaker::ModelPackageGroup
        # this replaces (CloudFormation refuses to change a resource's type under one logical id).
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type="Custom::ModelPackageGroup",
            properties={
                "Kind": "ModelPackageGroup",
                "Request": {"ModelPackageGroupName": name, "ModelPackageGroupDescription": GROUP_DESCRIPTION},
                "ResourcePolicy": policy,
            },
        )
        self.resource.apply_removal_policy(RemovalPolicy.RETAIN)  # the handler's Delete keeps it, too
        depend_on_policy(self.resource, provider.role)


def grant_package_registration(role: iam.Role, group: str, *, own_group: bool) -> None:
    """Let the job's execution role register the recommended packages in ``group`` (and create it, when
    the service names it after the job rather than the stack defining it)."""
    actions = ["sagemaker:DescribeModelPackageGroup", "sagemaker:CreateModelPackage", "sagemaker:DescribeModelPackage"]
    if own_group:
        actions.insert(0, "sagemaker:CreateModelPackageGroup")
    versions = sagemaker_arn_spellings(role, "model-package", f"{group}/*")
    groups = sagemaker_arn_spellings(role, "model-package-group", group)
    role.add_to_policy(iam.PolicyStatement(actions=actions, resources=[*groups, *versions]))
    acknowledge_wildcards(role, versions, "The service numbers the package versions it registers in the group.")
