"""Inference-component mode: one component with a specification per pool, scaled on copy count."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration

from cdk_genai_inference import (
    CapacitySize,
    DeploymentPolicy,
    InferenceComponents,
    InstancePool,
    InstancePoolEndpoint,
    Model,
    RollbackAlarms,
)
from synthesis import IMAGE, MODEL_DATA, new_stack, only, synth

P5, G6 = "ml.p5.48xlarge", "ml.g6.48xlarge"


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    stack = new_stack("Components")
    tp8 = Model(stack, "Tp8", image_uri=IMAGE, model_data_url=MODEL_DATA, environment={"TENSOR_PARALLEL_DEGREE": "8"})
    tp4 = Model(stack, "Tp4", image_uri=IMAGE, model_data_url=MODEL_DATA, environment={"TENSOR_PARALLEL_DEGREE": "4"})
    endpoint = InstancePoolEndpoint(
        stack,
        "Endpoint",
        model=tp8,
        instance_pools=[
            InstancePool(P5, accelerators=8, min_memory_mb=65536, cpu_cores=16, max_concurrency=32),
            InstancePool(G6, model=tp4, accelerators=4, min_memory_mb=32768, max_concurrency=6),
        ],
        inference_components=InferenceComponents(initial_copy_count=2),
        deployment=DeploymentPolicy.rolling(max_batch=CapacitySize.copies(1), wait_interval=Duration.minutes(2)),
        rollback_alarms=RollbackAlarms(model_latency=Duration.seconds(20)),
    )
    scaling = endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=6)
    template = synth(stack)
    return {"stack": stack, "endpoint": endpoint, "scaling": scaling, "template": template}


def test_variant_has_pools_but_no_model_and_an_execution_role(built: dict[str, Any]) -> None:
    config = only(built["template"], "AWS::SageMaker::EndpointConfig")
    variant = config["ProductionVariants"][0]
    assert "ModelName" not in variant
    assert [p["InstanceType"] for p in variant["InstancePools"]] == [P5, G6]
    assert all("ModelNameOverride" not in p for p in variant["InstancePools"])
    assert "ExecutionRoleArn" in config


def test_component_has_one_specification_per_pool(built: dict[str, Any]) -> None:
    component = only(built["template"], "AWS::SageMaker::InferenceComponent")
    stack = built["stack"]
    tp8 = stack.get_logical_id(stack.node.find_child("Tp8").node.default_child)
    tp4 = stack.get_logical_id(stack.node.find_child("Tp4").node.default_child)
    assert component["Specifications"] == [
        {
            "InstanceType": P5,
            "ModelName": {"Fn::GetAtt": [tp8, "ModelName"]},
            "ComputeResourceRequirements": {
                "MinMemoryRequiredInMb": 65536,
                "NumberOfAcceleratorDevicesRequired": 8,
                "NumberOfCpuCoresRequired": 16,
            },
        },
        {
            "InstanceType": G6,
            "ModelName": {"Fn::GetAtt": [tp4, "ModelName"]},
            "ComputeResourceRequirements": {
                "MinMemoryRequiredInMb": 32768,
                "NumberOfAcceleratorDevicesRequired": 4,
            },
        },
    ]
    assert component["RuntimeConfig"] == {"CopyCount": 2}
    assert component["InferenceComponentName"] == built["endpoint"].inference_component_name
    assert component["VariantName"] == "AllTraffic"


def test_rolling_copies_with_rollback_alarms_go_to_the_component(built: dict[str, Any]) -> None:
    component = only(built["template"], "AWS::SageMaker::InferenceComponent")
    deployment = component["DeploymentConfig"]
    assert deployment["RollingUpdatePolicy"] == {
        "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
        "WaitIntervalInSeconds": 120,
    }
    assert len(deployment["AutoRollbackConfiguration"]["Alarms"]) == 3
    assert "DeploymentConfig" not in only(built["template"], "AWS::SageMaker::Endpoint")


def test_scaling_tracks_copies_per_type_and_instances_follow(built: dict[str, Any]) -> None:
    target = only(built["template"], "AWS::ApplicationAutoScaling::ScalableTarget")
    name = built["endpoint"].inference_component_name
    assert target["ResourceId"] == f"inference-component/{name}"
    assert target["ScalableDimension"] == "sagemaker:inference-component:DesiredCopyCount"
    assert target["MinCapacity"] == 1
    policy = only(built["template"], "AWS::ApplicationAutoScaling::ScalingPolicy")
    metrics = policy["TargetTrackingScalingPolicyConfiguration"]["CustomizedMetricSpecification"]["Metrics"]
    stat = metrics[0]["MetricStat"]["Metric"]
    assert stat["MetricName"] == "ConcurrentRequestsPerCopy"
    assert {d["Name"]: d["Value"] for d in stat["Dimensions"]} == {
        "InferenceComponentName": name,
        "InstanceType": P5,
    }
    variant = only(built["template"], "AWS::SageMaker::EndpointConfig")["ProductionVariants"][0]
    assert variant["ManagedInstanceScaling"] == {
        "Status": "ENABLED",
        "MinInstanceCount": 1,
        "MaxInstanceCount": 6,
    }


def test_a_changed_max_capacity_makes_a_new_endpoint_configuration_which_no_policy_guards() -> None:
    """What the README tells users to plan for: the instance ceiling is the configuration's, and only the
    component carries a deployment policy."""

    def built(max_capacity: int) -> tuple[dict[str, Any], dict[str, Any]]:
        stack = new_stack("Ceiling")
        endpoint = InstancePoolEndpoint(
            stack,
            "Endpoint",
            model=Model(stack, "Model", image_uri=IMAGE),
            instance_pools=[InstancePool(G6, accelerators=4, min_memory_mb=16384, max_concurrency=6)],
            inference_components=InferenceComponents(initial_copy_count=2),
            deployment=DeploymentPolicy.rolling(max_batch=CapacitySize.copies(1)),
            dashboard=False,
        )
        endpoint.scale_on_weighted_utilization(min_capacity=1, max_capacity=max_capacity)
        template = synth(stack)
        return only(template, "AWS::SageMaker::EndpointConfig"), only(template, "AWS::SageMaker::Endpoint")

    (config, endpoint), (wider, _) = built(4), built(8)
    assert config != wider and config["ProductionVariants"][0]["ManagedInstanceScaling"]["MaxInstanceCount"] == 4
    assert "DeploymentConfig" not in endpoint


def test_one_pool_uses_the_singular_specification() -> None:
    stack = new_stack("OneComponent")
    InstancePoolEndpoint(
        stack,
        "Endpoint",
        model=Model(stack, "Model", image_uri=IMAGE),
        instance_pools=[InstancePool(G6, accelerators=4, min_memory_mb=16384)],
        inference_components=InferenceComponents(component_name="llm"),
        dashboard=False,
    )
    component = only(synth(stack), "AWS::SageMaker::InferenceComponent")
    assert "Specifications" not in component
    assert component["Specification"]["ComputeResourceRequirements"] == {
        "MinMemoryRequiredInMb": 16384,
        "NumberOfAcceleratorDevicesRequired": 4,
    }
    assert "InstanceType" not in component["Specification"]
    assert component["InferenceComponentName"] == "llm"


def test_the_startup_timeouts_reach_every_specification_of_the_component() -> None:
    """With inference components the model runs in the component, whose specifications take the timeouts
    as StartupParameters (CreateInferenceComponent's InferenceComponentStartupParameters). The variant keeps
    them too, as the SageMaker Python SDK sends them for a component endpoint's variant. The template passes
    cfn-lint and the API model's ranges (synth)."""
    stack = new_stack("StartupTimeouts")
    model = Model(stack, "Model", image_uri=IMAGE, model_data_url=MODEL_DATA)
    InstancePoolEndpoint(
        stack,
        "Pools",
        model=model,
        instance_pools=[
            InstancePool(P5, accelerators=8, min_memory_mb=65536),
            InstancePool(G6, accelerators=8, min_memory_mb=65536),
        ],
        inference_components=InferenceComponents(),
        model_data_download_timeout=Duration.minutes(30),
        container_startup_health_check_timeout=Duration.minutes(10),
        dashboard=False,
    )
    InstancePoolEndpoint(
        stack,
        "One",
        model=model,
        instance_pools=[InstancePool(G6, accelerators=4, min_memory_mb=16384)],
        inference_components=InferenceComponents(),
        container_startup_health_check_timeout=Duration.hours(1),
        dashboard=False,
    )
    template = synth(stack)
    components = {
        logical_id.split("InferenceComponent")[0]: resource["Properties"]
        for logical_id, resource in template.find_resources("AWS::SageMaker::InferenceComponent").items()
    }
    both = {"ModelDataDownloadTimeoutInSeconds": 1800, "ContainerStartupHealthCheckTimeoutInSeconds": 600}
    assert [spec["StartupParameters"] for spec in components["Pools"]["Specifications"]] == [both, both]
    assert components["One"]["Specification"]["StartupParameters"] == {
        "ContainerStartupHealthCheckTimeoutInSeconds": 3600
    }
    variants = {
        logical_id.split("EndpointConfig")[0]: resource["Properties"]["ProductionVariants"][0]
        for logical_id, resource in template.find_resources("AWS::SageMaker::EndpointConfig").items()
    }
    assert {k: variants["Pools"][k] for k in both} == both
    assert "ModelDataDownloadTimeoutInSeconds" not in variants["One"]


def test_the_component_endpoints_role_may_read_its_rollback_alarms() -> None:
    """With inference components the deployment runs as the endpoint configuration's execution role (and the
    models' roles, since the guide does not say which one a component update uses): both may read the alarms."""
    stack = new_stack()
    model = Model(stack, "Model", image_uri=IMAGE, model_data_url=MODEL_DATA)
    endpoint = InstancePoolEndpoint(
        stack,
        "Endpoint",
        model=model,
        inference_components=InferenceComponents(initial_copy_count=2),
        instance_pools=[InstancePool("ml.g6.12xlarge", accelerators=4, min_memory_mb=65536)],
        deployment=DeploymentPolicy.rolling(max_batch=CapacitySize.copies(1)),
        dashboard=False,
    )
    template = synth(stack).to_json()
    arns = [stack.resolve(a.alarm_arn) for a in endpoint.rollback_alarms]
    for role in (stack.node.find_child("Endpoint").node.find_child("ExecutionRole"), model.role):
        role_ref = {"Ref": stack.get_logical_id(role.node.default_child)}
        statements = [
            s
            for policy in template["Resources"].values()
            if policy["Type"] == "AWS::IAM::Policy" and role_ref in policy["Properties"]["Roles"]
            for s in policy["Properties"]["PolicyDocument"]["Statement"]
            if s["Action"] == "cloudwatch:DescribeAlarms"
        ]
        assert [s["Resource"] for s in statements] == [arns if len(arns) > 1 else arns[0]]
