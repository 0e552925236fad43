"""The weighted-utilization metric-math expression for a mixed-instance fleet.

Every instance of pool ``i`` publishes its concurrency (``ConcurrentRequestsPerModel``, or
``ConcurrentRequestsPerCopy`` per copy) to the per-type series of its instance type, and sustains
``m_i`` concurrent requests; ``w_i`` is the pool's scaling weight (default 1). Per evaluation period,
``s_i`` is the ``Sum`` of the samples of that series and ``n_i`` their ``SampleCount``. The expression is

    (sum_i w_i * FILL(s_i, 0) / m_i) / (sum_i w_i * FILL(n_i, 0))

``s_i / m_i`` adds up the utilization of every sample of pool ``i``, and ``n_i`` counts those samples,
so the quotient is the mean utilization over all samples of all instances: the true per-instance
utilization of the fleet that exists, whatever the pools' sizes. Every instance publishes at the same
rate, so a pool with three instances weighs three times a pool with one. An empty fallback pool
publishes nothing; ``FILL(..., 0)`` turns its gap into 0 in both sums, so it neither dilutes the
result nor counts as idle. With every pool empty the denominator is 0, CloudWatch drops the
datapoint, and target tracking does nothing (it never reads "no data" as idle).

The result is the same whether CloudWatch counts a missing operand as 0 (its documented rule for
arithmetic between time series), as missing, or leaves a FILL of a series with no data at all empty:
every missing value meets a ``FILL`` or a sum with reporting pools first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from aws_cdk import Annotations, Duration, Names, Tokenization
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_sagemaker as sagemaker

from constructs import Construct

from .._core.validation import check_duration, check_range, seconds, unresolved
from ..errors import ValidationError
from .metrics import INVOCATION_NAMESPACE, EndpointMetric
from .pools import CountRange, CountSource, InstancePool, count_source_of

MAX_METRICS_PER_EXPRESSION = 10
"""CloudWatch metric-math alarms (which target tracking creates) read at most 10 metrics."""

METRICS_PER_POOL = 2
"""``Sum`` and ``SampleCount`` of the pool's per-type concurrency."""

MAX_EXPRESSION_LENGTH = 2048
"""Application Auto Scaling's limit on one ``Expression``."""

ID_PATTERN = re.compile(r"^[a-z][a-zA-Z0-9_]*$")
"""Metric data query ids: letters, digits and underscores, starting lower-case."""

TOKEN_PLACEHOLDER_LENGTH = 12
"""Characters assumed for a deploy-time number when checking the expression length."""

EXCLUDED_RETAINED_VARIANT_PROPERTIES = ("DesiredWeight",)
"""What a scaled endpoint takes from its configuration on update; it retains everything else. (The API
also lists DataCaptureConfig, documented "Not currently supported".)"""


class ScalableEndpoint(Protocol):
    """What weighted-utilization scaling reads from the endpoint it scales."""

    instance_pools: list[InstancePool]
    initial_instance_count: int
    initial_copy_count: int | None
    endpoint_name: str
    variant_name: str
    inference_component_name: str | None
    inference_component: sagemaker.CfnInferenceComponent | None
    resource: sagemaker.CfnEndpoint

    @property
    def concurrency(self) -> EndpointMetric: ...

    def metric_dimensions(self, namespace: str = ..., instance_type: str | None = None) -> dict[str, str]: ...


class WeightedUtilizationScaling:
    """Target tracking on an endpoint's weighted utilization: what ``scale_on_weighted_utilization`` defines.

    Scaling is its own object, as aws-sagemaker-alpha keeps ``ScalableInstanceCount`` apart from the
    variant it scales, but its resources stay the endpoint's children ``ScalableTarget`` and
    ``WeightedUtilizationScaling``: construct ids are API, and a new logical id would replace the
    scalable target, whose replacement deregisters the very target it replaced.

    Capacity is the instance count, or the copy count with inference components; the scalable target
    has no ``RoleARN``, so Application Auto Scaling uses its SageMaker service-linked role.

    Attributes:
        scalable_target: The ``AWS::ApplicationAutoScaling::ScalableTarget``.
        policy: The target-tracking ``AWS::ApplicationAutoScaling::ScalingPolicy``.
        expression: The metric-math expression the policy tracks.
        max_capacity: The most instances (or copies) scaling may reach.
    """

    def __init__(
        self,
        scope: Construct,
        endpoint: ScalableEndpoint,
        *,
        min_capacity: int,
        max_capacity: int,
        target_utilization: float = 0.7,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
        disable_scale_in: bool = False,
    ) -> None:
        ic_mode = endpoint.inference_component is not None
        check_range("min_capacity", min_capacity, 1, None)
        check_range("max_capacity", max_capacity, 1, None)
        if not unresolved(min_capacity) and not unresolved(max_capacity) and max_capacity < min_capacity:
            raise ValidationError(f"max_capacity must be at least min_capacity ({min_capacity}), got {max_capacity}")
        # With components, instances range over 1..max_capacity, and the copies being scaled start in range.
        low_name, low = ("1", 1) if ic_mode else ("min_capacity", min_capacity)
        high = ("max_capacity", max_capacity)
        starts = [CountRange("initial_instance_count", endpoint.initial_instance_count, (low_name, low), high)]
        if endpoint.initial_copy_count is not None:
            copies = endpoint.initial_copy_count
            starts.append(
                CountRange("inference_components.initial_copy_count", copies, ("min_capacity", min_capacity), high)
            )
        at_deploy_time = [start for start in starts if not _check_start(start)]
        if not unresolved(target_utilization) and not 0 < target_utilization <= 1:
            raise ValidationError(f"target_utilization must be above 0 and at most 1, got {target_utilization:g}")
        check_duration("scale_in_cooldown", scale_in_cooldown, 0, 3600)
        check_duration("scale_out_cooldown", scale_out_cooldown, 0, 3600)
        terms = utilization_terms(endpoint.instance_pools, "scale_on_weighted_utilization")
        self.expression = weighted_utilization_expression(terms)
        self.max_capacity = max_capacity
        self._inference_components = ic_mode

        if ic_mode:
            resource_id = f"inference-component/{endpoint.inference_component_name}"
            dimension = "sagemaker:inference-component:DesiredCopyCount"
        else:
            resource_id = f"endpoint/{endpoint.endpoint_name}/variant/{endpoint.variant_name}"
            dimension = "sagemaker:variant:DesiredInstanceCount"
        # No RoleARN: Application Auto Scaling uses its SageMaker service-linked role.
        self.scalable_target = appscaling.CfnScalableTarget(
            scope,
            "ScalableTarget",
            service_namespace="sagemaker",
            resource_id=resource_id,
            scalable_dimension=dimension,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
        )
        # The resource id names the endpoint by its synth-time name: declare the dependency.
        self.scalable_target.add_resource_dependency(endpoint.inference_component or endpoint.resource)
        self.policy = appscaling.CfnScalingPolicy(
            scope,
            "WeightedUtilizationScaling",
            policy_name=f"{Names.unique_resource_name(scope, max_length=200)}-weighted-utilization",
            policy_type="TargetTrackingScaling",
            scaling_target_id=self.scalable_target.ref,
            target_tracking_scaling_policy_configuration=_target_tracking(
                endpoint,
                terms,
                self.expression,
                target_utilization,
                seconds(scale_in_cooldown) if scale_in_cooldown is not None else 300,
                seconds(scale_out_cooldown) if scale_out_cooldown is not None else 60,
                disable_scale_in,
            ),
        )
        if at_deploy_time:  # once every check has passed, so a refused call leaves nothing behind
            _check_at_deploy_time(scope, endpoint, at_deploy_time)

    @property
    def managed_instance_scaling(self) -> sagemaker.CfnEndpointConfig.ManagedInstanceScalingProperty | None:
        """With inference components, instances follow the copies (1 to ``max_capacity``): SageMaker adds
        an instance when a copy has no room. Without, scaling sets the instance count itself."""
        if not self._inference_components:
            return None
        return sagemaker.CfnEndpointConfig.ManagedInstanceScalingProperty(
            status="ENABLED", min_instance_count=1, max_instance_count=self.max_capacity
        )

    @property
    def excluded_retained_variant_properties(self) -> list[sagemaker.CfnEndpoint.VariantPropertyProperty]:
        """A scaled endpoint keeps its scaled instance count across updates (``RetainAllVariantProperties``);
        weight and data capture still follow the configuration."""
        return [
            sagemaker.CfnEndpoint.VariantPropertyProperty(variant_property_type=kind)
            for kind in EXCLUDED_RETAINED_VARIANT_PROPERTIES
        ]


@dataclass(frozen=True)
class UtilizationTerm:
    """One pool's contribution: its metric-id stem, instance type, capacity and weight."""

    metric_id: str
    instance_type: str
    max_concurrency: float
    weight: float = 1.0

    @property
    def sum_id(self) -> str:
        return f"{self.metric_id}_sum"

    @property
    def count_id(self) -> str:
        return f"{self.metric_id}_n"


def _check_start(start: CountRange) -> bool:
    """Each bound known at synth is checked on its own, and a token bound is named without its value;
    ``False`` when the count or a bound is known only at deploy time."""
    low, high = start.low, start.high
    if not unresolved(start.count) and (
        (not unresolved(low[1]) and start.count < low[1]) or (not unresolved(high[1]) and start.count > high[1])
    ):
        bounds = [f"{n} ({b})" if not unresolved(b) else n for n, b in (low, high)]
        raise ValidationError(f"{start.argument} ({start.count}) must lie between {bounds[0]} and {bounds[1]}")
    return not any(unresolved(value) for value in (start.count, low[1], high[1]))


def _check_at_deploy_time(scope: Construct, endpoint: ScalableEndpoint, ranges: Sequence[CountRange]) -> None:
    """Ranges known only at deploy time are checked there, before the endpoint and its component are
    created or updated, by what resolves the count (or else a bound): Application Auto Scaling would
    move a count outside the range into it, silently. Where a recommendation is involved, a deploy-time
    count that none resolves is said to go unchecked; a bound from a parameter is the user's choice."""
    checks: list[tuple[CountSource, list[CountRange]]] = []
    unchecked = []
    for wanted in ranges:
        source = next(filter(None, map(count_source_of, (wanted.count, wanted.low[1], wanted.high[1]))), None)
        if source is None:
            unchecked.append(wanted)
            continue
        own = next((own for known, own in checks if known is source), None)
        if own is None:
            checks.append((source, own := []))
        own.append(wanted)
    for position, (source, own) in enumerate(checks, start=1):
        check = source.check_ranges(scope, "ScalingRangeCheck" + (str(position) if position > 1 else ""), own)
        for user in (endpoint.resource, endpoint.inference_component):
            if user is not None:
                user.node.add_dependency(check)
    pools = endpoint.instance_pools
    recommended = checks or any(count_source_of(v) for p in pools for v in (p.instance_type, p.max_concurrency))
    counts = [wanted.argument for wanted in unchecked if unresolved(wanted.count)]
    if recommended and counts:
        Annotations.of(scope).add_warning_v2(
            "cdk-genai-inference:counts-unchecked",
            f"{', '.join(counts)} resolve at deploy time from something other than a recommendation (a parameter, "
            "an import), so nothing checks them against the scaling range",
        )


def utilization_terms(pools: Sequence[InstancePool], caller: str) -> list[UtilizationTerm]:
    """One term per pool, highest priority first; every pool needs ``max_concurrency``."""
    missing = [p.instance_type for p in pools if p.max_concurrency is None]
    if missing:
        raise ValidationError(
            f"{caller} needs max_concurrency on every instance pool, missing for {', '.join(missing)}"
        )
    return [
        UtilizationTerm(
            metric_id(pool.instance_type, position),
            pool.instance_type,
            pool.max_concurrency,  # type: ignore[arg-type]
            pool.scaling_weight,
        )
        for position, pool in enumerate(pools, start=1)
    ]


def metric_id(instance_type: str, position: int) -> str:
    """A readable metric-math id stem for a pool, e.g. ``p5_48xlarge`` for ``ml.p5.48xlarge``."""
    if unresolved(instance_type):
        return f"pool{position}"
    name = re.sub(r"[^a-zA-Z0-9]+", "_", instance_type.removeprefix("ml."))
    return name if ID_PATTERN.match(name) else f"pool{position}_{name}".lower()


def weighted_utilization_expression(terms: Sequence[UtilizationTerm]) -> str:
    """Render the expression for ``terms`` after checking the service limits."""
    if not terms:
        raise ValidationError("weighted utilization needs at least one instance pool, got none")
    metrics = METRICS_PER_POOL * len(terms)
    if metrics > MAX_METRICS_PER_EXPRESSION:
        raise ValidationError(
            f"weighted utilization reads {METRICS_PER_POOL} metrics per pool and CloudWatch allows at most "
            f"{MAX_METRICS_PER_EXPRESSION} metrics in one expression, got {len(terms)} pools ({metrics} metrics)"
        )
    for term in terms:
        if not ID_PATTERN.match(term.metric_id):
            raise ValidationError(
                f"metric id {term.metric_id!r} must start with a lower-case letter and contain "
                "only letters, digits and underscores"
            )
    numerator = " + ".join(_scaled(f"FILL({t.sum_id},0)", t.weight, t.max_concurrency) for t in terms)
    samples = " + ".join(_scaled(f"FILL({t.count_id},0)", t.weight, None) for t in terms)
    expression = f"({numerator}) / ({samples})"
    length = expression_length(expression)
    if length > MAX_EXPRESSION_LENGTH:
        raise ValidationError(
            f"the weighted utilization expression would be {length} characters and "
            f"Application Auto Scaling allows at most {MAX_EXPRESSION_LENGTH}"
        )
    return expression


def expression_length(expression: str) -> int:
    """Length of the expression once deploy-time numbers resolve (estimated for tokens)."""
    return len(re.sub(r"\$\{Token\[[^\]]*\]\}", "x" * TOKEN_PLACEHOLDER_LENGTH, expression))


def _scaled(series: str, weight: float, divisor: float | None) -> str:
    text = series if weight == 1 else f"{series}*{format_number(weight)}"
    return text if divisor is None else f"{text}/{format_number(divisor)}"


def format_number(value: float) -> str:
    """A plain decimal as metric math reads it (never exponent notation); tokens stay tokens."""
    if unresolved(value):
        return Tokenization.stringify_number(value)
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.9f}".rstrip("0").rstrip(".")


def _target_tracking(
    endpoint: ScalableEndpoint,
    terms: Sequence[UtilizationTerm],
    expression: str,
    target: float,
    scale_in_cooldown_seconds: float | None,
    scale_out_cooldown_seconds: float | None,
    disable_scale_in: bool,
) -> appscaling.CfnScalingPolicy.TargetTrackingScalingPolicyConfigurationProperty:
    policy = appscaling.CfnScalingPolicy
    queries = []
    for term in terms:
        dimensions = endpoint.metric_dimensions(INVOCATION_NAMESPACE, term.instance_type)
        capacity = f"max {format_number(term.max_concurrency)} concurrent"
        for query_id, stat in ((term.sum_id, "Sum"), (term.count_id, "SampleCount")):
            queries.append(
                policy.TargetTrackingMetricDataQueryProperty(
                    id=query_id,
                    label=f"{term.instance_type} ({capacity}): {stat}",
                    return_data=False,
                    metric_stat=policy.TargetTrackingMetricStatProperty(
                        stat=stat,
                        metric=policy.TargetTrackingMetricProperty(
                            namespace=INVOCATION_NAMESPACE,
                            metric_name=endpoint.concurrency.name,
                            dimensions=[
                                policy.TargetTrackingMetricDimensionProperty(name=k, value=v)
                                for k, v in dimensions.items()
                            ],
                        ),
                    ),
                )
            )
    queries.append(
        policy.TargetTrackingMetricDataQueryProperty(
            id="utilization", label="Weighted utilization", expression=expression, return_data=True
        )
    )
    return policy.TargetTrackingScalingPolicyConfigurationProperty(
        target_value=target,
        scale_in_cooldown=scale_in_cooldown_seconds,
        scale_out_cooldown=scale_out_cooldown_seconds,
        disable_scale_in=disable_scale_in or None,
        customized_metric_specification=policy.CustomizedMetricSpecificationProperty(metrics=queries),
    )
