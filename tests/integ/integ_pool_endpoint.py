"""A capacity-aware pool endpoint on a real account: pools by priority, least-outstanding-requests routing,
weighted-utilization scaling and a guarded rolling deployment.

Deploys two GPU instances of the first pools with capacity (default ``ml.g6.xlarge``, falling back to
``ml.g5.xlarge``) serving a small checkpoint, then asserts through the service APIs:

- SageMaker ``DescribeEndpoint``: the endpoint is ``InService`` with its variant routed by least outstanding
  requests, and its deployment configuration is the rolling one, one instance per batch, rolled back by
  the endpoint's alarms;
- SageMaker ``DescribeEndpointConfig``: the variant lists every pool with its priority and the routing;
- Application Auto Scaling ``DescribeScalingPolicies``: the target-tracking policy on the variant is registered
  with the weighted-utilization metric math;
- SageMaker Runtime ``InvokeEndpoint``: one request returns generated text;
- CloudWatch ``ListMetrics``, retried for up to 15 minutes after that request: the endpoint publishes
  ``ConcurrentRequestsPerModel`` with an ``InstanceType`` dimension beside its endpoint and variant, the
  series the scaling policy and the dashboard read (AWS documents it for variants with instance pools;
  nothing offline can show that it exists).

Settings: ``common.py``. Run: README, "Integration tests on a real account".
"""

from __future__ import annotations

import json

import aws_cdk as cdk
from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk.integ_tests_alpha import ExpectedResult, IntegTest

from common import Settings, assertion_stack, pool_endpoint, serving_model

ROUTING = {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}


def build(integ_app: cdk.App, settings: Settings) -> IntegTest:
    """The test case stack and its assertions."""
    stack = Stack(integ_app, "GenAiIntegPoolEndpoint", env=settings.env)
    endpoint = pool_endpoint(stack, settings, serving_model(stack, settings))
    scaling = endpoint.scale_on_weighted_utilization(min_capacity=2, max_capacity=3, target_utilization=0.7)
    CfnOutput(stack, "EndpointName", value=endpoint.endpoint_name)
    CfnOutput(stack, "ScalingExpression", value=scaling.expression)

    integ = IntegTest(
        integ_app,
        "PoolEndpoint",
        test_cases=[stack],
        assertion_stack=assertion_stack(integ_app, "GenAiIntegPoolEndpointAssertions", settings, stack),
        stack_update_workflow=False,  # a new endpoint per run; the update workflow would deploy two
    )
    assertions = integ.assertions

    assertions.aws_api_call("SageMaker", "describeEndpoint", {"EndpointName": endpoint.endpoint_name}).expect(
        ExpectedResult.object_like(
            {
                "EndpointName": endpoint.endpoint_name,
                "EndpointStatus": "InService",
                "ProductionVariants": [{"VariantName": endpoint.variant_name, "RoutingConfig": ROUTING}],
                "LastDeploymentConfig": {
                    "RollingUpdatePolicy": {
                        "MaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 1},
                        "WaitIntervalInSeconds": 300,
                    },
                    "AutoRollbackConfiguration": {
                        "Alarms": [{"AlarmName": alarm.alarm_name} for alarm in endpoint.rollback_alarms]
                    },
                },
            }
        )
    )

    assertions.aws_api_call(
        "SageMaker",
        "describeEndpointConfig",
        {"EndpointConfigName": endpoint.endpoint_config.attr_endpoint_config_name},
    ).expect(
        ExpectedResult.object_like(
            {
                "ProductionVariants": [
                    {
                        "VariantName": endpoint.variant_name,
                        "InitialInstanceCount": 1,
                        "InstancePools": [
                            {"InstanceType": pool.instance_type, "Priority": pool.priority}
                            for pool in endpoint.instance_pools
                        ],
                        "RoutingConfig": ROUTING,
                    }
                ]
            }
        )
    )

    # The policy's metric queries: Sum and SampleCount per pool, then the expression that returns the utilization.
    expression_query = 2 * len(endpoint.instance_pools)
    assertions.aws_api_call(
        "ApplicationAutoScaling",
        "describeScalingPolicies",
        {
            "ServiceNamespace": "sagemaker",
            "ResourceId": f"endpoint/{endpoint.endpoint_name}/variant/{endpoint.variant_name}",
            "PolicyNames": [scaling.policy.policy_name],
        },
    ).assert_at_path(
        "ScalingPolicies.0.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification"
        f".Metrics.{expression_query}.Expression",
        ExpectedResult.exact(scaling.expression),
    )

    invoke = assertions.aws_api_call(
        "SageMakerRuntime",
        "invokeEndpoint",
        {
            "EndpointName": endpoint.endpoint_name,
            "ContentType": "application/json",
            "Body": json.dumps({"inputs": "The capital of France is", "parameters": {"max_new_tokens": 16}}),
        },
    )
    invoke.assert_at_path("Body.generated_text", ExpectedResult.string_like_regexp(r"\S"))

    # The per-type series exist: whichever pool got capacity, its instance type is a dimension of them.
    per_type = assertions.aws_api_call(
        "CloudWatch",
        "listMetrics",
        {
            "Namespace": "AWS/SageMaker",
            "MetricName": endpoint.concurrency.name,
            "Dimensions": [
                {"Name": "EndpointName", "Value": endpoint.endpoint_name},
                {"Name": "VariantName", "Value": endpoint.variant_name},
                {"Name": "InstanceType"},
            ],
        },
    )
    per_type.assert_at_path("Metrics.0.MetricName", ExpectedResult.exact(endpoint.concurrency.name))
    per_type.wait_for_assertions(total_timeout=Duration.minutes(15), interval=Duration.minutes(1))
    invoke.next(per_type)
    return integ


if __name__ == "__main__":
    app = cdk.App()
    build(app, Settings.from_environment())
    app.synth()
