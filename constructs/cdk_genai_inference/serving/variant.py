"""The production variant of an instance-pool endpoint: routing, overrides, storage encryption and timeouts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import Annotations, Duration, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker

from constructs import Construct

from .._core import service_model
from .._core.validation import check_range, duration_seconds, unresolved
from ..errors import ValidationError
from ..scanners import NagFinding, Waiver
from .model import IModel, Model
from .pools import InstancePool, PrefixAwareRouting, RoutingStrategy, local_nvme_types

MANAGED_VARIANT_PROPERTIES = {
    "VariantName": "variant_name",
    "ModelName": "model",
    "InitialInstanceCount": "initial_instance_count",
    "InstancePools": "instance_pools",
    "VariantInstanceProvisionTimeoutInSeconds": "provisioning_timeout",
    "RoutingConfig": "routing_strategy",
    "ManagedInstanceScaling": "scale_on_weighted_utilization (with inference_components)",
    "VolumeSizeInGB": "volume_size_gb",
    "ModelDataDownloadTimeoutInSeconds": "model_data_download_timeout",
    "ContainerStartupHealthCheckTimeoutInSeconds": "container_startup_health_check_timeout",
}
INCOMPATIBLE_VARIANT_PROPERTIES = {
    "InstanceType": "an instance-pool variant takes its instance types from instance_pools",
    "ServerlessConfig": "a serverless variant has no instances, so it cannot use instance_pools",
}


def production_variant(
    variant_name: str,
    pools: Sequence[InstancePool],
    *,
    model: IModel | None,
    inference_components: bool,
    initial_instance_count: int,
    routing: sagemaker.CfnEndpointConfig.RoutingConfigProperty,
    provisioning_timeout_seconds: float | None = None,
    volume_size_gb: int | None = None,
    model_data_download_timeout_seconds: float | None = None,
    container_startup_health_check_timeout_seconds: float | None = None,
    managed_instance_scaling: sagemaker.CfnEndpointConfig.ManagedInstanceScalingProperty | None = None,
) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
    """The endpoint's one ``ProductionVariant``: its instance pools by priority, and the model of each
    (with inference components the variant hosts no model; the component's specifications name them)."""
    variant = sagemaker.CfnEndpointConfig
    return variant.ProductionVariantProperty(
        variant_name=variant_name,
        model_name=None if inference_components else (model or pools[0].model).model_name,  # type: ignore[union-attr]
        initial_instance_count=initial_instance_count,
        instance_pools=[
            variant.InstancePoolProperty(
                instance_type=pool.instance_type,
                priority=pool.priority,  # type: ignore[arg-type]
                model_name_override=(
                    pool.model.model_name if pool.model is not None and not inference_components else None
                ),
            )
            for pool in pools
        ],
        variant_instance_provision_timeout_in_seconds=provisioning_timeout_seconds,
        routing_config=routing,
        volume_size_in_gb=volume_size_gb,
        model_data_download_timeout_in_seconds=model_data_download_timeout_seconds,
        container_startup_health_check_timeout_in_seconds=container_startup_health_check_timeout_seconds,
        managed_instance_scaling=managed_instance_scaling,
    )


def routing_config(
    strategy: RoutingStrategy, prefix_aware: PrefixAwareRouting | None
) -> sagemaker.CfnEndpointConfig.RoutingConfigProperty:
    return sagemaker.CfnEndpointConfig.RoutingConfigProperty(
        routing_strategy=strategy.value,
        prefix_aware_routing_config=sagemaker.CfnEndpointConfig.PrefixAwareRoutingConfigProperty(
            prefix_length=prefix_aware.prefix_length, concurrency_threshold=prefix_aware.concurrency_threshold
        )
        if prefix_aware
        else None,
    )


def check_routing(strategy: RoutingStrategy, prefix_aware: PrefixAwareRouting | None) -> None:
    if not isinstance(strategy, RoutingStrategy):
        raise ValidationError(
            f"routing_strategy must be a RoutingStrategy, got {strategy!r}; "
            f"allowed: {', '.join(r.name for r in RoutingStrategy)}"
        )
    if (strategy is RoutingStrategy.PREFIX_AWARE) != (prefix_aware is not None):
        raise ValidationError(
            "prefix_aware_routing goes with routing_strategy=RoutingStrategy.PREFIX_AWARE and is required by it, "
            f"got routing_strategy={strategy.name}, prefix_aware_routing={prefix_aware!r}"
        )
    if prefix_aware is not None:
        check_range("prefix_aware_routing.prefix_length", prefix_aware.prefix_length, 1024, 65536)
        check_range("prefix_aware_routing.concurrency_threshold", prefix_aware.concurrency_threshold, 1, 1024)


def check_variant_overrides(overrides: Mapping[str, Any]) -> None:
    allowed = service_model.members("ProductionVariant")
    for key in overrides:
        if key in INCOMPATIBLE_VARIANT_PROPERTIES:
            raise ValidationError(f"variant_overrides cannot set {key}: {INCOMPATIBLE_VARIANT_PROPERTIES[key]}")
        if key in MANAGED_VARIANT_PROPERTIES:
            raise ValidationError(
                f"variant_overrides cannot set {key}; use the {MANAGED_VARIANT_PROPERTIES[key]} argument"
            )
        if key not in allowed:
            others = sorted(allowed - MANAGED_VARIANT_PROPERTIES.keys() - INCOMPATIBLE_VARIANT_PROPERTIES.keys())
            raise ValidationError(
                f"variant_overrides got unknown ProductionVariant property {key!r}; allowed: {', '.join(others)}"
            )


ENDPOINT_CREATE_TIMEOUT_MINUTES = 160
"""How long CloudFormation waits for an ``AWS::SageMaker::Endpoint`` to be created: ``handlers.create.
timeoutInMinutes`` in the resource's schema as cfn-lint ships it (the provider meta-schema defines it as
"the timeout for the entire operation to be interpreted by the invoker of the handler"). No documentation
page states it for this resource, so it backs a warning, not an error."""


def warn_creation_timeouts(
    scope: Construct,
    provisioning_timeout: Duration | None,
    model_data_download_timeout: Duration | None,
    container_startup_health_check_timeout: Duration | None,
) -> None:
    """Warn when the startup timeouts given add up past ``ENDPOINT_CREATE_TIMEOUT_MINUTES``.

    The limit is weak evidence: it is the handler's figure, no page documents it for endpoints, SageMaker's
    steps may overlap, and image pulls and instance boots take time that no timeout bounds. The service's
    defaults for the timeouts not given are undocumented and count for nothing: the sum is a lower bound.
    """
    timeouts = {
        "provisioning_timeout": provisioning_timeout,
        "model_data_download_timeout": model_data_download_timeout,
        "container_startup_health_check_timeout": container_startup_health_check_timeout,
    }
    given = {name: duration_seconds(value) for name, value in timeouts.items() if value is not None}
    total, limit = sum(given.values()), ENDPOINT_CREATE_TIMEOUT_MINUTES
    if any(unresolved(value) for value in given.values()) or total <= limit * 60:
        return
    *rest, last = given
    names = f"{', '.join(rest)} and {last}" if rest else last
    Annotations.of(scope).add_warning_v2(
        "cdk-genai-inference:endpoint-create-timeout",
        f"{names} add up to {total:g} seconds ({total / 60:g} minutes), more than the {limit} minutes "
        "CloudFormation waits for an AWS::SageMaker::Endpoint to be created (its resource schema's create "
        "timeout): an endpoint that needs them all fails the stack while SageMaker still starts it; keep their "
        f"total at {limit * 60} seconds or less",
    )


def check_encryption_key(pools: Sequence[InstancePool], key: kms.IKey | None) -> None:
    if key is not None:
        _check_ebs_backed(pools, "encryption_key", "a KMS key")


def check_volume_size(pools: Sequence[InstancePool], volume_size_gb: float | None) -> None:
    if volume_size_gb is not None:
        _check_ebs_backed(pools, "volume_size_gb", "an EBS volume size")


def _check_ebs_backed(pools: Sequence[InstancePool], argument: str, what: str) -> None:
    """``argument`` configures the EBS volume, which an instance with local NVMe does not have."""
    for index, pool in enumerate(pools):
        nvme = local_nvme_types(pool.possible_instance_types)
        if nvme:
            subject = (
                f"instance_pools[{index}].instance_type, which resolves at deploy time to one of "
                f"{', '.join(nvme)}: these store"
                if unresolved(pool.instance_type)
                else f"instance_pools[{index}].instance_type {pool.instance_type!r}: it stores"
            )
            raise ValidationError(
                f"{argument} cannot be used with {subject} on local NVMe that a hardware module on the "
                f"instance encrypts, and SageMaker rejects {what} for an endpoint with such a type; drop "
                f"{argument}, or use only EBS-backed instance types"
            )


def hardware_encryption_waiver(nvme_types: Sequence[str]) -> Waiver:
    return Waiver(
        f"The pools run (or may run) {', '.join(dict.fromkeys(nvme_types))}, whose storage is local NVMe that a "
        "hardware module on the instance encrypts (XTS-AES-256); SageMaker rejects a KMS key for an endpoint "
        "configuration with any such type.",
        nag=(NagFinding.ENDPOINT_CONFIG_WITHOUT_KMS_KEY,),
    )


def check_models(pools: Sequence[InstancePool], model: IModel | None, ic_mode: bool) -> None:
    """A pool without a model of its own runs ``model`` (or, without inference components, the first pool's)."""
    if model is None and any(p.model is None for p in pools) and (ic_mode or pools[0].model is None):
        missing = [p.instance_type for p in pools if p.model is None]
        raise ValidationError(
            f"model is required unless every instance pool has its own; missing for {', '.join(missing)}"
        )


SCALING_KEYS = frozenset({"managedInstanceScaling"})
"""What scaling adds to a variant (as ``Stack.resolve`` renders it): not part of what an endpoint serves."""


def resolve_served_definition(
    stack: Stack,
    endpoint_config: sagemaker.CfnEndpointConfig,
    models: Sequence[IModel],
    component: sagemaker.CfnInferenceComponent | None,
    variant_overrides: Mapping[str, Any],
) -> Any:
    """What an endpoint serves, resolved: its variant (with its overrides), its models' containers (with
    what decides at deploy time what they hold) and its inference component. Scaling is left out: it
    changes how many instances serve, not what each serves, and it may be added later (a benchmark's
    name must not depend on the order). So are a model's network isolation and VPC, which govern the
    container's own outbound traffic, and, of the endpoint configuration, all but its variants (the
    asynchronous-inference settings, the storage key)."""
    parts: list[Any] = [endpoint_config.production_variants]
    for model in models:
        cfn = model.node.default_child if isinstance(model, Construct) else None
        if isinstance(cfn, sagemaker.CfnModel):
            container: list[Any] = [cfn.primary_container, cfn.containers, cfn.execution_role_arn]
            if isinstance(model, Model) and model.package_source is not None:  # only then, as for overrides
                container.append({"PackageSource": model.package_source})
            parts.append(container)
    if component is not None:
        parts.append([component.specification, component.specifications, component.runtime_config])
    if variant_overrides:  # appended only when given, so that an endpoint without any keeps its identity
        parts.append({"VariantOverrides": dict(variant_overrides)})
    resolved = stack.resolve(parts)  # one round trip to the jsii runtime for all of it
    resolved[0] = [{k: v for k, v in variant.items() if k not in SCALING_KEYS} for variant in resolved[0]]
    return resolved
