"""The benchmark gate against an endpoint: an SLA the endpoint meets lets the deployment complete.

Deploys a pool endpoint (as ``integ_pool_endpoint.py``), then an AI benchmark job runs AIPerf against it;
the deployment waits for the results and checks them against a generous SLA (p99 request latency within a
minute, time to first token within 10 s, at most 5 % errors). That the deployment completes is the gate's
pass: the results resource fails it when the SLA is breached or the run's ``output.tar.gz`` cannot be read,
and the figures it read are the stack's outputs. The assertion reads the job back through SageMaker
``DescribeAIBenchmarkJob``: it has ``Completed``, against this endpoint, writing in its own folder of the
output location (the results were read from there, so the archive is in it).

``integ_benchmark_breach.py`` proves the other half: a breached SLA fails the deployment.
Settings: ``common.py``. Run: README, "Integration tests on a real account".
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import Stack
from aws_cdk.integ_tests_alpha import ExpectedResult, IntegTest

from cdk_genai_inference import BenchmarkSla
from common import Settings, assertion_stack, benchmark_gate

SLA = BenchmarkSla(request_latency_p99_ms=60_000, time_to_first_token_p90_ms=10_000, max_error_rate=0.05)


def build(integ_app: cdk.App, settings: Settings) -> IntegTest:
    """The endpoint with its gate, and the assertions."""
    stack = Stack(integ_app, "GenAiIntegBenchmarkGate", env=settings.env)
    endpoint, benchmark = benchmark_gate(stack, settings, SLA)

    integ = IntegTest(
        integ_app,
        "BenchmarkGate",
        test_cases=[stack],
        assertion_stack=assertion_stack(integ_app, "GenAiIntegBenchmarkGateAssertions", settings, stack),
        stack_update_workflow=False,
    )
    integ.assertions.aws_api_call(
        "SageMaker", "describeAIBenchmarkJob", {"AIBenchmarkJobName": benchmark.job_name}
    ).expect(
        ExpectedResult.object_like(
            {
                "AIBenchmarkJobName": benchmark.job_name,
                "AIBenchmarkJobStatus": "Completed",
                "BenchmarkTarget": {"Endpoint": {"Identifier": endpoint.endpoint_name}},
                "OutputConfig": {"S3OutputLocation": benchmark.output.uri},  # the job's own folder
            }
        )
    )
    return integ


if __name__ == "__main__":
    app = cdk.App()
    build(app, Settings.from_environment())
    app.synth()
