"""The recommendation path, part 2 of 2: resolve the completed job into models and host them as recommended.

``RecommendationJob.from_job_name`` imports the job ``integ_recommendation_job.py`` started (its name derives
from the same settings, or comes from ``GENAI_INTEG_RECOMMENDATION_JOB``). ``RecommendedModels`` resolves it
into one model per instance type and approves the packages it resolves (``PackageApproval.APPROVE_ON_RESOLVE``;
the default requires packages to be Approved already). The endpoint hosts them on an inference component, with
the copies, accelerators and memory the job recommended. The assertions read back through SageMaker:

- ``DescribeAIRecommendationJob``: the job has ``Completed``;
- ``DescribeModel``: the first pool's model runs a package of the job's model package group;
- ``DescribeModelPackage``: that package is ``Approved``;
- ``DescribeEndpoint`` and ``DescribeInferenceComponent``: both are ``InService``;
- SageMaker Runtime ``InvokeEndpoint`` on the inference component: one request returns generated text.

Deploy it only once the job has completed: the resolution fails the deployment, naming the job's status, while
it runs. Settings: ``common.py``. Run: README, "Integration tests on a real account".
"""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import CfnOutput, Stack
from aws_cdk.integ_tests_alpha import ExpectedResult, IntegTest

from cdk_genai_inference import (
    InstancePoolEndpoint,
    PackageApproval,
    RecommendationJob,
    RecommendedModels,
)
from common import Settings, assertion_stack, recommendation_job_name


def build(integ_app: cdk.App, settings: Settings) -> IntegTest:
    """The serving stack over the resolved job, and its assertions."""
    stack = Stack(integ_app, "GenAiIntegRecommendedModels", env=settings.env)
    job = RecommendationJob.from_job_name(stack, "Job", recommendation_job_name(settings))
    models = RecommendedModels(
        stack,
        "Recommended",
        job=job,
        instance_types=list(settings.recommendation_types),
        model_data=[settings.output("recommendations"), settings.model_data],  # what the packages reference
        approval=PackageApproval.APPROVE_ON_RESOLVE,
    )
    endpoint = InstancePoolEndpoint(
        stack,
        "Endpoint",
        instance_pools=models.instance_pools,
        inference_components=models.inference_components,
        initial_instance_count=models.initial_instance_count,
    )
    endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=2)  # copies
    CfnOutput(stack, "EndpointName", value=endpoint.endpoint_name)
    CfnOutput(stack, "ModelPackageArn", value=models.pools[0].model_package_arn)

    integ = IntegTest(
        integ_app,
        "RecommendedModels",
        test_cases=[stack],
        assertion_stack=assertion_stack(integ_app, "GenAiIntegRecommendedModelsAssertions", settings, stack),
        stack_update_workflow=False,
    )
    assertions = integ.assertions
    # A completed job's description lists its recommendations, beyond a custom resource's 4 KB: read one path.
    assertions.aws_api_call(
        "SageMaker", "describeAIRecommendationJob", {"AIRecommendationJobName": job.job_name}
    ).assert_at_path("AIRecommendationJobStatus", ExpectedResult.exact("Completed"))
    first = models.pools[0]
    assertions.aws_api_call("SageMaker", "describeModel", {"ModelName": first.model.model_name}).assert_at_path(
        "PrimaryContainer.ModelPackageName",
        ExpectedResult.string_like_regexp(f":model-package/{job.model_package_group}/"),
    )
    assertions.aws_api_call(
        "SageMaker", "describeModelPackage", {"ModelPackageName": first.model_package_arn}
    ).assert_at_path("ModelApprovalStatus", ExpectedResult.exact("Approved"))
    assertions.aws_api_call("SageMaker", "describeEndpoint", {"EndpointName": endpoint.endpoint_name}).assert_at_path(
        "EndpointStatus", ExpectedResult.exact("InService")
    )
    assertions.aws_api_call(
        "SageMaker", "describeInferenceComponent", {"InferenceComponentName": endpoint.inference_component_name}
    ).assert_at_path("InferenceComponentStatus", ExpectedResult.exact("InService"))
    assertions.aws_api_call(
        "SageMakerRuntime",
        "invokeEndpoint",
        {
            "EndpointName": endpoint.endpoint_name,
            "InferenceComponentName": endpoint.inference_component_name,
            "ContentType": "application/json",
            "Body": json.dumps({"inputs": "The capital of France is", "parameters": {"max_new_tokens": 16}}),
        },
    ).assert_at_path("Body.generated_text", ExpectedResult.string_like_regexp(r"\S"))
    return integ


if __name__ == "__main__":
    app = cdk.App()
    build(app, Settings.from_environment())
    app.synth()
