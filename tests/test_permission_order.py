"""The permission-order check that ``lint`` runs on every template: on small templates whose answer is known."""

from __future__ import annotations

from typing import Any

import pytest

from permission_order import unwaited_policies


def policy(kind: str, role: str) -> dict[str, Any]:
    return {"Type": kind, "Properties": {"Roles": [{"Ref": role}], "PolicyDocument": {"Statement": []}}}


def role() -> dict[str, Any]:
    return {"Type": "AWS::IAM::Role", "Properties": {}}


def model(*depends_on: str) -> dict[str, Any]:
    resource = {"Type": "AWS::SageMaker::Model", "Properties": {"ExecutionRoleArn": {"Fn::GetAtt": ["Role", "Arn"]}}}
    return {**resource, "DependsOn": list(depends_on)} if depends_on else resource


SPLIT_ROLE = {
    "Role": role(),
    "Default": policy("AWS::IAM::Policy", "Role"),
    "Overflow": policy("AWS::IAM::ManagedPolicy", "Role"),
}
"""A role whose statements CDK split: an inline policy and a managed one."""
PROVIDER = {
    "Role": role(),
    "Default": policy("AWS::IAM::Policy", "Role"),
    "FirstGrants": policy("AWS::IAM::Policy", "Role"),
    "SecondGrants": policy("AWS::IAM::Policy", "Role"),
    "Handler": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}}},
}
"""A provider's role: its own policy, and a policy for each of the two custom resources it serves."""


def served(*depends_on: str) -> dict[str, Any]:
    properties = {"ServiceToken": {"Fn::GetAtt": ["Handler", "Arn"]}}
    return {"Type": "Custom::Job", "Properties": properties, "DependsOn": list(depends_on)}


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ({**SPLIT_ROLE, "Model": model("Default")}, ["Model runs as Role without waiting for Overflow"]),
        ({**SPLIT_ROLE, "Model": model("Default", "Overflow")}, []),
        ({**SPLIT_ROLE, "Model": model()}, ["Model runs as Role without waiting for Default, Overflow"]),
        # Waiting through what it depends on counts.
        ({**SPLIT_ROLE, "Gate": {"Type": "AWS::CloudFormation::WaitConditionHandle", "DependsOn": ["Default", "Overflow"]},
          "Model": model("Gate")}, []),
        # An endpoint runs as its models' roles, through its configuration.
        ({**SPLIT_ROLE, "Model": model("Default", "Overflow"),
          "Config": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {"ProductionVariants": [
              {"ModelName": {"Fn::GetAtt": ["Model", "ModelName"]}}]}},
          "Endpoint": {"Type": "AWS::SageMaker::Endpoint", "Properties": {
              "EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]}}, "DependsOn": ["Default"]}},
         []),  # it waits for the model, which waits for both
        # An endpoint runs as its configuration's execution role (inference components) too.
        ({**SPLIT_ROLE,
          "Config": {"Type": "AWS::SageMaker::EndpointConfig", "Properties": {
              "ExecutionRoleArn": {"Fn::GetAtt": ["Role", "Arn"]}}},
          "Endpoint": {"Type": "AWS::SageMaker::Endpoint", "Properties": {
              "EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]}}, "DependsOn": ["Default"]}},
         ["Endpoint runs as Role without waiting for Overflow"]),
        # A job's custom resource runs as the role it passes to the job, named deep in its request.
        ({**SPLIT_ROLE, "Job": {"Type": "Custom::Job", "Properties": {"Request": {
            "RoleArn": {"Fn::GetAtt": ["Role", "Arn"]}}}, "DependsOn": ["Default"]}},
         ["Job runs as Role without waiting for Overflow"]),
        # A custom resource runs as the role of the function behind its service token.
        ({**SPLIT_ROLE,
          "Handler": {"Type": "AWS::Lambda::Function", "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}}},
          "Job": {"Type": "Custom::Job", "Properties": {"ServiceToken": {"Fn::GetAtt": ["Handler", "Arn"]}}}},
         ["Job runs as Role without waiting for Default, Overflow"]),
        # A role policy attaches by its RoleName.
        ({"Role": role(), "Single": {"Type": "AWS::IAM::RolePolicy", "Properties": {
            "RoleName": {"Ref": "Role"}, "PolicyName": "Single", "PolicyDocument": {"Statement": []}}},
          "Model": model()}, ["Model runs as Role without waiting for Single"]),
        ({"Role": role(), "Single": {"Type": "AWS::IAM::RolePolicy", "Properties": {
            "RoleName": {"Ref": "Role"}, "PolicyName": "Single", "PolicyDocument": {"Statement": []}}},
          "Model": model("Single")}, []),
        # A managed policy the role lists itself is one it waits for, and so do those that run as it.
        ({"Role": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": [{"Ref": "Listed"}]}},
          "Listed": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {"Statement": []}}},
          "Model": model()}, []),
        # Custom resources of one provider each wait for their own policy on its role, not for the others'.
        ({**PROVIDER, "First": served("Default", "FirstGrants"), "Second": served("Default", "SecondGrants")}, []),
        ({**PROVIDER, "First": served("Default", "FirstGrants"), "Second": served("Default")},
         ["First runs as Role without waiting for SecondGrants",  # a policy no resource waits for is everyone's
          "Second runs as Role without waiting for SecondGrants"]),
        ({**PROVIDER, "First": served("Default", "FirstGrants"), "Second": served("Default", "SecondGrants"),
          "Forgetful": served()},
         ["Forgetful runs as Role without waiting for Default"]),  # the role's own policy is everyone's
        ({**PROVIDER, "First": served("Default", "FirstGrants"), "Second": served("Default", "FirstGrants")},
         ["First runs as Role without waiting for SecondGrants",
          "Second runs as Role without waiting for SecondGrants"]),
        # A build project uses its role when it runs, not when CloudFormation creates it.
        ({**SPLIT_ROLE, "Build": {"Type": "AWS::CodeBuild::Project", "Properties": {
            "ServiceRole": {"Fn::GetAtt": ["Role", "Arn"]}}}}, []),
    ],
    ids=["overflow-missed", "all-waited", "none-waited", "transitive", "endpoint", "endpoint-role", "job-role",
         "custom-resource", "role-policy-missed", "role-policy-waited", "listed-by-the-role", "own-policies",
         "own-policy-missed", "own-policy-unwaited", "own-policy-mistaken", "later-use"],
)  # fmt: skip
def test_a_resource_must_wait_for_every_policy_of_the_roles_it_runs_as(
    resources: dict[str, Any], expected: list[str]
) -> None:
    assert unwaited_policies({"Resources": resources}) == expected
