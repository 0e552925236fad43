"""The AI-jobs provider's role and the policies of the constructs it serves: each construct's policy holds
what its resource's Delete needs, and a stack whose role would hold more inline policies than IAM allows
is refused at synth (CloudFormation would fail the deployment on the last policy it creates)."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from simulation.intrinsics import Environment, resolve
from simulation.references import policies_of_roles
from test_benchmark import OUTPUT, SLA, serving, workload

from cdk_genai_inference import BenchmarkJob, S3Location
from cdk_genai_inference._core.policy_size import ROLE_INLINE_LIMIT, pseudo_lengths, resolved_length
from synthesis import ENV, new_stack


def gated_benchmarks(count: int) -> cdk.Stack:
    """A stack of ``count`` gated benchmarks of one endpoint."""
    stack = new_stack()
    endpoint, work = serving(stack), workload(stack)
    for index in range(count):
        BenchmarkJob(
            stack,
            f"B{index}",
            endpoint=endpoint,
            workload_config=work,
            output=S3Location.from_uri(OUTPUT),
            sla=SLA,
            run_token=str(index),
        )
    return stack


@pytest.fixture(scope="module")
def nine() -> dict[str, Any]:
    return Template.from_stack(gated_benchmarks(9)).to_json()


def handler_policies(template: dict[str, Any]) -> list[str]:
    resources = template["Resources"]
    (role,) = {
        r["Properties"]["Role"]["Fn::GetAtt"][0]
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Function" and r["Properties"].get("Handler") == "ai_jobs_handler.on_event"
    }
    return sorted(p for p in policies_of_roles(resources)[role] if resources[p]["Type"] == "AWS::IAM::Policy")


def test_each_job_keeps_what_its_delete_needs_in_its_own_policy(nine: dict[str, Any]) -> None:
    policies = handler_policies(nine)
    assert len(policies) == 1 + 9, policies  # the role's own, and one per job
    resources = nine["Resources"]
    for index in range(9):
        (job_id,) = [
            k for k, r in resources.items() if r["Type"] == "Custom::AIBenchmarkJob" and k.startswith(f"B{index}")
        ]
        (own,) = [p for p in policies if p.startswith(f"B{index}ProviderGrants")]
        assert own in resources[job_id]["DependsOn"]  # created before the job, deleted after it
        statements = resources[own]["Properties"]["PolicyDocument"]["Statement"]
        actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
        assert {"sagemaker:StopAIBenchmarkJob", "sagemaker:DeleteAIBenchmarkJob"} <= actions, actions
        assert {"cloudformation:DescribeStacks", "cloudformation:ListStackResources"} <= actions, actions


def at_their_longest(template: dict[str, Any]) -> Environment:
    """What CloudFormation resolves the policies' references to, at their longest: each role's and log group's
    ARN of a generated name of 64 characters (a stack id ends in its UUID). Any other reference is unknown,
    and resolving it fails."""
    env = Environment(account=ENV.account, region=ENV.region, stack_name="Test")
    arns = {
        "AWS::IAM::Role": "arn:aws:iam::{account}:role/{name}",
        "AWS::Logs::LogGroup": "arn:aws:logs:{region}:{account}:log-group:{name}:*",
    }
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] in arns:
            name = f"Test-{logical_id}-{'X' * 64}"[:64]
            arn = arns[resource["Type"]].format(account=ENV.account, region=ENV.region, name=name)
            env.attributes[logical_id] = {"Arn": arn}
    return env


def test_the_estimate_bounds_each_policy_as_cloudformation_resolves_it(nine: dict[str, Any]) -> None:
    env = at_their_longest(nine)
    pseudo = pseudo_lengths(ENV.region, ENV.account, "Test")
    for policy in handler_policies(nine):
        document = nine["Resources"][policy]["Properties"]["PolicyDocument"]
        actual = len(json.dumps(resolve(document, env), separators=(",", ":")))
        assert actual <= resolved_length(document, pseudo) <= 1.5 * actual, policy


def test_a_stack_whose_provider_role_would_outgrow_iams_inline_limit_is_refused_at_synth(
    nine: dict[str, Any],
) -> None:
    pseudo = pseudo_lengths(ENV.region, ENV.account, "Test")
    sizes = [
        resolved_length(nine["Resources"][p]["Properties"]["PolicyDocument"], pseudo) for p in handler_policies(nine)
    ]
    assert sum(sizes) <= ROLE_INLINE_LIMIT  # nine fit
    with pytest.raises(RuntimeError, match=f"inline policies, over IAM's {ROLE_INLINE_LIMIT} per role") as refused:
        Template.from_stack(gated_benchmarks(10))
    assert "(10 here); put some of them in another stack" in str(refused.value)


@pytest.mark.parametrize(
    ("value", "length"),
    [
        ({"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::b"]]}, len("arn:aws:s3:::b")),
        ({"Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:1:x"}, len("arn:aws:ssm:us-west-2:1:x")),
        ({"Fn::GetAtt": ["Role", "Arn"]}, 160),
        ({"Ref": "AWS::StackId"}, len("arn:aws:cloudformation:us-west-2:111122223333:stack/Test/") + 36),
    ],
    ids=["join", "sub", "reference", "stack-id"],
)
def test_a_value_is_counted_at_the_longest_it_resolves_to(value: dict[str, Any], length: int) -> None:
    pseudo = pseudo_lengths("us-west-2", "111122223333", "Test")
    assert resolved_length({"Resource": value}, pseudo) == len('{"Resource":""}') + length
