"""The benchmark gate against an endpoint: a breached SLA fails the deployment.

The same endpoint and benchmark as ``integ_benchmark_gate.py``, gated by an SLA no endpoint meets (a million
output tokens per second). The test passes when the deployment fails with the gate's message
(``... breaches its SLA: OutputTokenThroughput measured ...``) and CloudFormation rolls the stack back; its
test case says so (``expectError``), so integ-runner and ``./dev integ`` count that failure as the pass.

Settings: ``common.py``. Run: README, "Integration tests on a real account".
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import Acknowledgment, Stack
from aws_cdk.cloud_assembly_schema import CdkCommands, DeployCommand
from aws_cdk.integ_tests_alpha import IntegTest

from cdk_genai_inference import BenchmarkSla
from common import Settings, assertion_stack, benchmark_gate

SLA = BenchmarkSla(min_output_tokens_per_second=1_000_000)
BREACH = "breaches its SLA"


def build(integ_app: cdk.App, settings: Settings) -> IntegTest:
    """The endpoint with a gate it cannot pass."""
    stack = Stack(integ_app, "GenAiIntegBenchmarkBreach", env=settings.env)
    benchmark_gate(stack, settings, SLA)
    assertions = assertion_stack(integ_app, "GenAiIntegBenchmarkBreachAssertions", settings, stack)
    # The failed deployment is the pass: nothing is left to assert, and the CLI skips a stack without resources.
    cdk.Validations.of(assertions).acknowledge(
        Acknowledgment(id="CloudFormation-Validate::F0001", reason="An empty assertion stack: the CLI skips it.")
    )
    return IntegTest(
        integ_app,
        "BenchmarkBreach",
        test_cases=[stack],
        assertion_stack=assertions,
        stack_update_workflow=False,
        cdk_command_options=CdkCommands(deploy=DeployCommand(expect_error=True, expected_message=BREACH)),
    )


if __name__ == "__main__":
    app = cdk.App()
    build(app, Settings.from_environment())
    app.synth()
