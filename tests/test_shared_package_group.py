"""The model package group ``RecommendationJob(share_packages_with=...)`` defines: a custom resource of the
stack's AI-jobs provider that creates the group or adopts the one of its name an earlier deployment left
(the group is retained, and its name is the job's, a definition hash: before, CloudFormation's own type failed
the retry of a failed first create, and a deployment after ``cdk destroy``, with "already exists"). The
construct, the provider's grant, and the handler against botocore's Stubber."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import ai_jobs_handler
import aws_cdk as cdk
import boto3
import pytest
from aws_calls import JobError
from botocore.stub import Stubber
from simulation.intrinsics import Environment, resolve
from test_recommended_hosting import PRODUCTION, job

from cdk_genai_inference.recommendation.packages import GROUP_DESCRIPTION
from constructs import Construct
from synthesis import ENV, check_with_nag, lint, new_stack

GROUP = "gpt-oss-20b-sizing-0123456789"
GROUP_ARN = f"arn:aws:sagemaker:us-west-2:111122223333:model-package-group/{GROUP}"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DeployVersions",
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::{PRODUCTION}:root"]},
            "Action": ["sagemaker:DescribeModelPackage", "sagemaker:ListModelPackages", "sagemaker:CreateModel"],
            "Resource": f"arn:aws:sagemaker:us-west-2:111122223333:model-package/{GROUP}/*",
        }
    ],
}


@pytest.fixture(scope="module")
def shared() -> dict[str, Any]:
    app = cdk.App()
    stack = cdk.Stack(app, "Sharing", env=ENV)
    recommendation = job(stack, share_packages_with=[PRODUCTION])
    check_with_nag(app)
    template = app.synth().get_stack_by_name("Sharing").template
    group = recommendation.node.find_child("ModelPackageGroup")
    return {"stack": stack, "job": recommendation, "group": group, "template": template}


def group_resource(shared: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    logical_id = shared["stack"].get_logical_id(shared["group"].resource.node.default_child)
    return logical_id, shared["template"]["Resources"][logical_id]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# --- the construct ---------------------------------------------------------------------------------------


def test_the_template_passes_cfn_lint_and_the_api_models(shared: dict[str, Any]) -> None:
    assert lint(shared["template"]) == []


def test_sharing_defines_the_jobs_group_with_a_policy_for_the_other_account(shared: dict[str, Any]) -> None:
    name = shared["job"].job_name
    logical_id, group = group_resource(shared)
    assert [r["Type"] for r in shared["template"]["Resources"].values()].count("Custom::ModelPackageGroup") == 1
    assert "AWS::SageMaker::ModelPackageGroup" not in json.dumps(shared["template"])
    props = group["Properties"]
    assert props["Kind"] == "ModelPackageGroup"
    assert props["Request"] == {"ModelPackageGroupName": name, "ModelPackageGroupDescription": GROUP_DESCRIPTION}
    assert (group["DeletionPolicy"], group["UpdateReplacePolicy"]) == ("Retain", "Retain")
    policy = props["ResourcePolicy"]
    principals = {json.dumps(p) for s in policy["Statement"] for p in _listed(s["Principal"]["AWS"])}
    assert principals == {
        json.dumps({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":iam::{PRODUCTION}:root"]]})
    }
    deploy = next(s for s in policy["Statement"] if s["Sid"] == "DeployVersions")
    assert sorted(deploy["Action"]) == [
        "sagemaker:CreateModel",
        "sagemaker:DescribeModelPackage",
        "sagemaker:ListModelPackages",
    ]
    job_id = shared["stack"].get_logical_id(shared["job"].resource.node.default_child)
    request = shared["template"]["Resources"][job_id]["Properties"]["Request"]
    assert request["OutputConfig"]["ModelPackageGroupIdentifier"] == name
    assert logical_id in shared["template"]["Resources"][job_id]["DependsOn"]  # the job registers into it


def test_the_group_takes_a_logical_id_other_than_the_resource_it_replaces(shared: dict[str, Any]) -> None:
    """CloudFormation refuses an update that changes a resource's type under one logical id ("Update of
    resource type is not permitted"): the custom resource is ``ModelPackageGroup/Resource``, whose id differs
    from the ``AWS::SageMaker::ModelPackageGroup`` at ``ModelPackageGroup``, which an upgrade removes (and
    retains)."""
    logical_id, _ = group_resource(shared)
    before = cdk.Stack(cdk.App(), "Sharing")
    old = cdk.CfnResource(Construct(before, "Job"), "ModelPackageGroup", type="AWS::SageMaker::ModelPackageGroup")
    legacy_id = before.get_logical_id(old)
    assert logical_id != legacy_id
    assert logical_id.startswith("JobModelPackageGroup") and legacy_id.startswith("JobModelPackageGroup")
    assert shared["group"].resource.node.path == "Sharing/Job/ModelPackageGroup/Resource"


def test_the_provider_may_create_describe_and_put_the_policy_of_exactly_that_group(shared: dict[str, Any]) -> None:
    provider = shared["stack"].node.find_child("CdkGenAiInferenceAiJobs")
    role_ref = {"Ref": shared["stack"].get_logical_id(provider.role.node.default_child)}
    env = Environment(account=ENV.account, region=ENV.region, stack_name="Sharing", placeholders=True)
    granting = [
        resolve(statement, env)
        for r in shared["template"]["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and role_ref in r["Properties"]["Roles"]
        for statement in r["Properties"]["PolicyDocument"]["Statement"]
        if any("ModelPackageGroup" in action for action in _listed(statement["Action"]))
    ]
    group = f"arn:aws:sagemaker:us-west-2:111122223333:model-package-group/{shared['job'].job_name}"
    actions = [
        "sagemaker:CreateModelPackageGroup",
        "sagemaker:DescribeModelPackageGroup",
        "sagemaker:PutModelPackageGroupPolicy",
    ]
    assert granting == [{"Action": actions, "Effect": "Allow", "Resource": group}]


def test_sharing_starts_the_same_job_and_its_role_registers_without_creating_a_group() -> None:
    """The job's execution role never creates the shared group (the provider does, before the job starts)."""
    plain, sharing = new_stack(), new_stack()
    unshared_job, shared_job = job(plain), job(sharing, share_packages_with=[PRODUCTION])
    assert unshared_job.job_name == shared_job.job_name  # the group follows from the name: sharing is not a new job

    def role_actions(stack: cdk.Stack, role: Any) -> set[str]:
        role_ref = {"Ref": stack.get_logical_id(role.node.default_child)}
        policies = cdk.assertions.Template.from_stack(stack).find_resources("AWS::IAM::Policy").values()
        return {
            action
            for policy in policies
            if role_ref in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            for action in _listed(statement["Action"])
        }

    assert "sagemaker:CreateModelPackageGroup" in role_actions(plain, unshared_job.role)
    assert "sagemaker:CreateModelPackageGroup" not in role_actions(sharing, shared_job.role)


# --- the handler -----------------------------------------------------------------------------------------


@pytest.fixture
def sm():
    client = boto3.client(
        "sagemaker", region_name="us-west-2", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def event(request_type: str, *, name: str = GROUP, physical: str | None = None, **extra: Any) -> dict[str, Any]:
    """The event the provider framework passes on: every property as CloudFormation hands it."""
    found: dict[str, Any] = {
        "RequestType": request_type,
        "ResourceProperties": {
            "ServiceToken": "arn:aws:lambda:us-west-2:111122223333:function:on-event",
            "Kind": "ModelPackageGroup",
            "Request": {"ModelPackageGroupName": name, "ModelPackageGroupDescription": GROUP_DESCRIPTION},
            "ResourcePolicy": POLICY,
        },
        **extra,
    }
    if physical is not None:
        found["PhysicalResourceId"] = physical
    return found


def clients(client: Any) -> Any:
    return type("Clients", (), {"sagemaker": client})()


def described(status: str, name: str = GROUP) -> dict[str, Any]:
    return {
        "ModelPackageGroupName": name,
        "ModelPackageGroupArn": f"arn:aws:sagemaker:us-west-2:111122223333:model-package-group/{name}",
        "CreationTime": dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC),
        "CreatedBy": {},
        "ModelPackageGroupStatus": status,
    }


def expect_policy(stubber: Stubber, name: str = GROUP) -> None:
    stubber.add_response("describe_model_package_group", described("Completed", name), {"ModelPackageGroupName": name})
    stubber.add_response(
        "put_model_package_group_policy",
        {"ModelPackageGroupArn": described("Completed", name)["ModelPackageGroupArn"]},
        {"ModelPackageGroupName": name, "ResourcePolicy": json.dumps(POLICY, separators=(",", ":"))},
    )


def test_create_creates_the_group_and_puts_its_policy_once_it_is_ready(sm: tuple[Any, Stubber]) -> None:
    client, stubber = sm
    create = event("Create")
    stubber.add_response(
        "create_model_package_group",
        {"ModelPackageGroupArn": GROUP_ARN},
        {"ModelPackageGroupName": GROUP, "ModelPackageGroupDescription": GROUP_DESCRIPTION},
    )
    assert ai_jobs_handler.on_event(create, None, clients=clients(client)) == {"PhysicalResourceId": GROUP}
    stubber.add_response("describe_model_package_group", described("Pending"), {"ModelPackageGroupName": GROUP})
    waiting = ai_jobs_handler.is_complete({**create, "PhysicalResourceId": GROUP}, None, clients=clients(client))
    assert waiting == {"IsComplete": False}  # no policy on a group the service has not made ready
    expect_policy(stubber)
    done = ai_jobs_handler.is_complete({**create, "PhysicalResourceId": GROUP}, None, clients=clients(client))
    assert done == {"IsComplete": True, "Data": {"ModelPackageGroupName": GROUP, "ModelPackageGroupArn": GROUP_ARN}}


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ValidationException", f"Model Package Group already exists: {GROUP_ARN}"),  # what SageMaker answers
        ("ResourceInUse", f"Model package group {GROUP} is in use"),  # what CloudFormation's own handler takes too
    ],
)
def test_create_adopts_a_group_of_that_name_and_puts_the_policy_on_it(
    sm: tuple[Any, Stubber], code: str, message: str
) -> None:
    """The group a failed first create (or ``cdk destroy``) retained: the retry adopts it and replaces its policy."""
    client, stubber = sm
    create = event("Create")
    stubber.add_client_error("create_model_package_group", code, message, 400)
    assert ai_jobs_handler.on_event(create, None, clients=clients(client)) == {"PhysicalResourceId": GROUP}
    expect_policy(stubber)
    assert ai_jobs_handler.is_complete({**create, "PhysicalResourceId": GROUP}, None, clients=clients(client))[
        "IsComplete"
    ]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ResourceLimitExceeded", "too many model package groups"),
        ("ValidationException", "1 validation error detected: Value at 'modelPackageGroupName' failed"),
    ],
)
def test_any_other_create_failure_fails_the_create(sm: tuple[Any, Stubber], code: str, message: str) -> None:
    client, stubber = sm
    stubber.add_client_error("create_model_package_group", code, message, 400)
    with pytest.raises(JobError, match=f"creating model package group {GROUP} failed: {code}: "):
        ai_jobs_handler.on_event(event("Create"), None, clients=clients(client))


@pytest.mark.parametrize("status", ["Failed", "Deleting", "DeleteFailed"])
def test_a_group_the_service_will_not_make_ready_fails_the_resource(sm: tuple[Any, Stubber], status: str) -> None:
    client, stubber = sm
    stubber.add_response("describe_model_package_group", described(status), {"ModelPackageGroupName": GROUP})
    with pytest.raises(JobError, match=f"model package group {GROUP} is {status}, not Completed"):
        ai_jobs_handler.is_complete(event("Create", physical=GROUP), None, clients=clients(client))


def test_update_puts_the_new_policy_on_the_same_group(sm: tuple[Any, Stubber]) -> None:
    client, stubber = sm
    update = event("Update", physical=GROUP, OldResourceProperties=event("Create")["ResourceProperties"])
    assert ai_jobs_handler.on_event(update, None, clients=clients(client)) == {"PhysicalResourceId": GROUP}
    expect_policy(stubber)
    done = ai_jobs_handler.is_complete(update, None, clients=clients(client))
    assert done == {"IsComplete": True, "Data": {"ModelPackageGroupName": GROUP, "ModelPackageGroupArn": GROUP_ARN}}


def test_an_update_that_renames_the_group_creates_the_new_one(sm: tuple[Any, Stubber]) -> None:
    """A new name is a new physical id: CloudFormation then deletes the old resource, which keeps its group."""
    client, stubber = sm
    renamed = "gpt-oss-20b-sizing-9876543210"
    update = event("Update", name=renamed, physical=GROUP)
    stubber.add_response(
        "create_model_package_group",
        {"ModelPackageGroupArn": described("Pending", renamed)["ModelPackageGroupArn"]},
        {"ModelPackageGroupName": renamed, "ModelPackageGroupDescription": GROUP_DESCRIPTION},
    )
    assert ai_jobs_handler.on_event(update, None, clients=clients(client)) == {"PhysicalResourceId": renamed}
    expect_policy(stubber, renamed)
    assert ai_jobs_handler.is_complete({**update, "PhysicalResourceId": renamed}, None, clients=clients(client))[
        "IsComplete"
    ]


def test_delete_keeps_the_group(sm: tuple[Any, Stubber]) -> None:
    """Models in the other accounts keep using its packages: no call (the Stubber fails any)."""
    client, _ = sm
    delete = event("Delete", physical=GROUP)
    assert ai_jobs_handler.on_event(delete, None, clients=clients(client)) == {"PhysicalResourceId": GROUP}
    assert ai_jobs_handler.is_complete(delete, None, clients=clients(client)) == {"IsComplete": True}
