"""Inference-component mode: one component with a specification per pool."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import CfnResource, IResolvable, Names
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker

from constructs import Construct

from .._core.roles import sagemaker_execution_role
from .._core.validation import check_name, check_range
from ..errors import ValidationError
from .async_inference import AsyncInference
from .model import IModel
from .pools import InstancePool


@dataclass(frozen=True)
class InferenceComponents:
    """Host the model as one inference component with a specification per pool.

    Each pool then needs ``min_memory_mb`` (and usually ``accelerators``); its ``model`` (or the
    endpoint's) runs on that instance type. ``scale_on_weighted_utilization`` then tracks the copy
    count and turns on managed instance scaling, so instances follow the copies.

    Args:
        initial_copy_count: Copies started at creation. Default: 1
        component_name: Physical name of the inference component. Default: - derived from the path
        execution_role: Role of the endpoint configuration. Default: - a role that may write
            SageMaker's logs and metrics
    """

    initial_copy_count: int = 1
    component_name: str | None = None
    execution_role: iam.IRole | None = None

    def validate(self, arg: str, *, async_inference: AsyncInference | None) -> None:
        check_name(f"{arg}.component_name", self.component_name, "InferenceComponentName")
        check_range(f"{arg}.initial_copy_count", self.initial_copy_count, 1, None)
        if async_inference is not None:
            raise ValidationError(
                f"async_inference cannot be combined with {arg}: inference components serve real-time endpoints only"
            )


def check_copy_sizes(pools: Sequence[InstancePool], *, inference_components: bool) -> None:
    """Each pool sizes a copy (``min_memory_mb``, ``accelerators``, ``cpu_cores``) with inference components,
    and only then."""
    for index, pool in enumerate(pools):
        sizes = {"accelerators": pool.accelerators, "min_memory_mb": pool.min_memory_mb, "cpu_cores": pool.cpu_cores}
        if not inference_components:
            given = [name for name, value in sizes.items() if value is not None]
            if given:
                raise ValidationError(
                    f"instance_pools[{index}].{given[0]} sizes an inference-component copy; "
                    "it needs inference_components"
                )
            continue
        if pool.min_memory_mb is None:
            raise ValidationError(
                f"instance_pools[{index}].min_memory_mb is required with inference_components ({pool.instance_type})"
            )
        check_range(f"instance_pools[{index}].min_memory_mb", pool.min_memory_mb, 128, None, "MiB")
        check_range(f"instance_pools[{index}].accelerators", pool.accelerators, 1, None)
        check_range(f"instance_pools[{index}].cpu_cores", pool.cpu_cores, 0.25, None)


def component_role(scope: Construct, options: InferenceComponents | None) -> iam.IRole:
    if options is not None and options.execution_role is not None:
        return options.execution_role
    return sagemaker_execution_role(
        scope, "ExecutionRole", "Execution role of an inference-component endpoint (cdk-genai-inference)"
    )


def create_inference_component(
    scope: Construct,
    options: InferenceComponents,
    pools: Sequence[InstancePool],
    model: IModel | None,
    *,
    endpoint_name: str,
    variant_name: str,
    endpoint: CfnResource,
    deployment_config: IResolvable | None,
    model_data_download_timeout_seconds: float | None = None,
    container_startup_health_check_timeout_seconds: float | None = None,
) -> tuple[sagemaker.CfnInferenceComponent, str]:
    """Define the inference component on ``endpoint``; return it and its name. The component runs the model,
    so the startup timeouts go on each of its specifications."""
    ic = sagemaker.CfnInferenceComponent
    startup = startup_parameters(model_data_download_timeout_seconds, container_startup_health_check_timeout_seconds)
    name = options.component_name or Names.unique_resource_name(scope, max_length=63, separator="-")
    component = ic(
        scope,
        "InferenceComponent",
        endpoint_name=endpoint_name,
        variant_name=variant_name,
        inference_component_name=name,
        # CloudFormation takes one instance type as the singular Specification, 2-5 as Specifications.
        specification=(
            ic.InferenceComponentSpecificationProperty(
                model_name=(pools[0].model or model).model_name,  # type: ignore[union-attr]
                compute_resource_requirements=compute_requirements(pools[0]),
                startup_parameters=startup,
            )
            if len(pools) == 1
            else None
        ),
        specifications=[
            ic.InferenceComponentSpecificationForInstanceTypeProperty(
                instance_type=pool.instance_type,
                model_name=(pool.model or model).model_name,  # type: ignore[union-attr]
                compute_resource_requirements=compute_requirements(pool),
                startup_parameters=startup,
            )
            for pool in pools
        ]
        if len(pools) > 1
        else None,
        runtime_config=ic.InferenceComponentRuntimeConfigProperty(copy_count=options.initial_copy_count),
        deployment_config=deployment_config,
    )
    component.node.add_dependency(endpoint)
    return component, name


def compute_requirements(
    pool: InstancePool,
) -> sagemaker.CfnInferenceComponent.InferenceComponentComputeResourceRequirementsProperty:
    return sagemaker.CfnInferenceComponent.InferenceComponentComputeResourceRequirementsProperty(
        min_memory_required_in_mb=pool.min_memory_mb,
        number_of_accelerator_devices_required=pool.accelerators,
        number_of_cpu_cores_required=pool.cpu_cores,
    )


def startup_parameters(
    model_data_download_timeout_seconds: float | None, container_startup_health_check_timeout_seconds: float | None
) -> sagemaker.CfnInferenceComponent.InferenceComponentStartupParametersProperty | None:
    """``StartupParameters`` of a specification: the timeouts of each copy's model starting up."""
    if model_data_download_timeout_seconds is None and container_startup_health_check_timeout_seconds is None:
        return None
    return sagemaker.CfnInferenceComponent.InferenceComponentStartupParametersProperty(
        model_data_download_timeout_in_seconds=model_data_download_timeout_seconds,
        container_startup_health_check_timeout_in_seconds=container_startup_health_check_timeout_seconds,
    )
