"""The reference serving stack: the capacity-aware-pools launch setup, as one construct."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnOutput, Duration, Stack

from cdk_genai_inference import (
    BenchmarkJob,
    BenchmarkSla,
    CapacitySize,
    DeploymentPolicy,
    IInstancePoolEndpoint,
    InferenceComponents,
    InstancePool,
    InstancePoolEndpoint,
    JobWait,
    Model,
    RollbackAlarms,
    S3Location,
    TokenDistribution,
    ValidationError,
    WorkloadConfig,
)
from constructs import Construct

from .config import BenchmarkConfig, ServingConfig


class ServingStack(Stack):
    """A model on ``ml.p5.48xlarge`` falling back to ``ml.g6.48xlarge`` (by default), routed by least
    outstanding requests, scaled on weighted utilization, updated by a guarded rolling deployment,
    and gated by a benchmark of the endpoint it just deployed."""

    def __init__(
        self, scope: Construct, id: str, *, config: ServingConfig, benchmark: BenchmarkConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, id, **kwargs)
        model = Model(self, "Model", image_uri=config.imageUri, model_data_url=config.modelDataUrl)
        pools = [_pool(index, spec) for index, spec in enumerate(config.pools)]
        self.endpoint = serve(self, config, pools, model=model)
        self.benchmark = gate(self, self.endpoint, benchmark)


def gate(
    scope: Construct, endpoint: IInstancePoolEndpoint, config: BenchmarkConfig, run_token: str | None = None
) -> BenchmarkJob:
    """Benchmark the endpoint after every change to it (and for every new ``run_token``); a breach of
    the SLA fails the deployment."""
    workload = WorkloadConfig(
        scope,
        "BenchmarkWorkload",
        input_tokens=TokenDistribution(config.inputTokensMean),
        output_tokens=TokenDistribution(config.outputTokensMean),
        concurrency=config.concurrency,
        streaming=True,
    )
    return BenchmarkJob(
        scope,
        "Benchmark",
        endpoint=endpoint,
        workload_config=workload,
        output=S3Location.from_uri(config.outputUri),
        sla=BenchmarkSla(
            request_latency_p99_ms=config.requestLatencyP99Ms,
            time_to_first_token_p90_ms=config.timeToFirstTokenP90Ms,
            min_output_tokens_per_second=config.minOutputTokensPerSecond,
            max_error_rate=config.maxErrorRate,
        ),
        run_token=run_token,
        wait=JobWait.in_deployment(Duration.hours(config.waitHours)),
    )


def serve(
    scope: Construct,
    config: ServingConfig,
    pools: Sequence[InstancePool],
    *,
    model: Model | None = None,
    inference_components: InferenceComponents | None = None,
    initial_instance_count: int | None = None,
    name_suffix: str = "",
) -> InstancePoolEndpoint:
    """The reference endpoint over ``pools``: scaling, guarded deployment and outputs from ``config``. With
    inference components (a recommendation's copies), capacity counts copies."""
    endpoint = InstancePoolEndpoint(
        scope,
        "Endpoint",
        endpoint_name=config.endpointName + name_suffix,
        model=model,
        instance_pools=pools,
        inference_components=inference_components,
        initial_instance_count=initial_instance_count or config.initialInstanceCount,
        provisioning_timeout=Duration.seconds(config.provisioningTimeoutSeconds),
        deployment=_deployment(config),
        rollback_alarms=RollbackAlarms(
            error_rate_percent=config.errorRatePercent,
            model_latency=Duration.millis(config.modelLatencyP90Ms),
        ),
    )
    scaling = endpoint.scale_on_weighted_utilization(
        min_capacity=config.minCapacity,
        max_capacity=config.maxCapacity,
        target_utilization=config.targetUtilization,
    )
    CfnOutput(scope, "EndpointName", value=endpoint.endpoint_name)
    CfnOutput(scope, "ScalingExpression", value=scaling.expression)
    return endpoint


def _pool(index: int, spec: dict[str, Any]) -> InstancePool:
    unknown = set(spec) - {"instanceType", "maxConcurrency", "priority"}
    if "instanceType" not in spec or unknown:
        raise ValidationError(
            f"context serving:pools[{index}] needs instanceType and may have maxConcurrency and priority, got {spec!r}"
        )
    return InstancePool(spec["instanceType"], max_concurrency=spec.get("maxConcurrency"), priority=spec.get("priority"))


def _deployment(config: ServingConfig) -> DeploymentPolicy:
    bake = Duration.minutes(config.bakeMinutes)
    if config.deployment == "rolling":
        return DeploymentPolicy.rolling(max_batch=CapacitySize.percent(config.rollingBatchPercent), wait_interval=bake)
    if config.deployment == "canary":
        return DeploymentPolicy.canary(wait_interval=bake)
    if config.deployment == "linear":
        return DeploymentPolicy.linear(wait_interval=bake)
    if config.deployment == "all-at-once":
        return DeploymentPolicy.all_at_once(wait_interval=bake)
    raise ValidationError(
        f"context serving:deployment must be rolling, canary, linear or all-at-once, got {config.deployment!r}"
    )
