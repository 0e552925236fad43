"""The recommendation path, part 1 of 2: start an AI recommendation job without waiting for it.

The deployment starts the job (``JobWait.none()``) and moves on; the assertions read the job back through
SageMaker ``DescribeAIRecommendationJob``: it exists under the name the construct derived from its
definition, runs (or has already finished), and carries the goal and instance types the stack gave it.

The job runs for an hour or more, so this test keeps its stack (integ-runner's destroy is turned off for
it, and the README's commands leave it in place): destroying the stack stops the job. Once the job has
completed, part 2 (``integ_recommended_models.py``) resolves it; then destroy this stack.

Settings: ``common.py``. Run: README, "Integration tests on a real account".
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import CfnOutput, Stack
from aws_cdk.cloud_assembly_schema import CdkCommands, DestroyCommand
from aws_cdk.integ_tests_alpha import ExpectedResult, IntegTest, Match

from common import RECOMMENDATION_JOB_STACK, Settings, assertion_stack, recommendation_job


def build(integ_app: cdk.App, settings: Settings) -> IntegTest:
    """The job's stack and its assertions."""
    stack = Stack(integ_app, RECOMMENDATION_JOB_STACK, env=settings.env)
    job = recommendation_job(stack, settings)
    CfnOutput(stack, "RecommendationJobName", value=job.job_name)

    integ = IntegTest(
        integ_app,
        "RecommendationJob",
        test_cases=[stack],
        assertion_stack=assertion_stack(integ_app, f"{RECOMMENDATION_JOB_STACK}Assertions", settings, stack),
        stack_update_workflow=False,
        # Part 2 resolves the job once it has completed; destroying the stack would stop it.
        cdk_command_options=CdkCommands(destroy=DestroyCommand(enabled=False)),
    )
    integ.assertions.aws_api_call(
        "SageMaker", "describeAIRecommendationJob", {"AIRecommendationJobName": job.job_name}
    ).expect(
        ExpectedResult.object_like(
            {
                "AIRecommendationJobName": job.job_name,
                "AIRecommendationJobStatus": Match.string_like_regexp("^(InProgress|Completed)$"),
                "PerformanceTarget": {"Constraints": [{"Metric": "cost"}]},
                "ComputeSpec": {"InstanceTypes": list(settings.recommendation_types)},
            }
        )
    )
    return integ


if __name__ == "__main__":
    app = cdk.App()
    build(app, Settings.from_environment())
    app.synth()
