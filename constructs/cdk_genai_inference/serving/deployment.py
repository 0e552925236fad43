"""Guarded deployments: rolling and blue/green update policies with their service ranges."""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_sagemaker as sagemaker

from .._core.validation import check_duration, check_range, duration_seconds, seconds, unresolved
from ..errors import ValidationError

_DEFAULT_WAIT_INTERVAL = Duration.minutes(5)
"""Every policy's bake time unless given; one immutable ``Duration`` that all of them share, so that the
jsii runtime is asked for its seconds once."""


class CapacityUnit(enum.Enum):
    """How a batch, canary or step size is counted."""

    CAPACITY_PERCENT = "CAPACITY_PERCENT"
    INSTANCE_COUNT = "INSTANCE_COUNT"
    COPY_COUNT = "COPY_COUNT"
    """Inference-component copies (inference-component mode only)."""


@dataclass(frozen=True)
class CapacitySize:
    """A share of the fleet: a percentage, an instance count or a copy count."""

    unit: CapacityUnit
    value: int

    @staticmethod
    def percent(value: int) -> CapacitySize:
        return CapacitySize(CapacityUnit.CAPACITY_PERCENT, value)

    @staticmethod
    def instances(value: int) -> CapacitySize:
        return CapacitySize(CapacityUnit.INSTANCE_COUNT, value)

    @staticmethod
    def copies(value: int) -> CapacitySize:
        return CapacitySize(CapacityUnit.COPY_COUNT, value)

    def _check(self, arg: str, low_percent: int, high_percent: int, inference_components: bool) -> None:
        allowed = (
            (CapacityUnit.CAPACITY_PERCENT, CapacityUnit.COPY_COUNT)
            if inference_components
            else (CapacityUnit.CAPACITY_PERCENT, CapacityUnit.INSTANCE_COUNT)
        )
        if self.unit not in allowed:
            names = " or ".join(u.name for u in allowed)
            raise ValidationError(f"{arg} must be counted in {names} here, got {self.unit.name}")
        if self.unit is CapacityUnit.CAPACITY_PERCENT:
            check_range(f"{arg} (percent)", self.value, low_percent, high_percent)
        else:
            check_range(f"{arg} ({self.unit.name.lower()})", self.value, 1, None)

    def check_share(self, arg: str, low_percent: int, high_percent: int, size: int, what: str) -> None:
        """A count must be the same share of the fleet (``size`` of ``what``) as a percentage: the API's
        "Value must be between 5% to 50% of the variant's total instance count"."""
        if self.unit is CapacityUnit.CAPACITY_PERCENT or unresolved(size) or unresolved(self.value) or size < 1:
            return
        share = 100 * self.value / size
        if not low_percent <= share <= high_percent:
            bounds = f"{low_percent}-{high_percent} %" if low_percent else f"at most {high_percent} %"
            raise ValidationError(
                f"{arg} must be {bounds} of the {size} {what} it is counted in, got {self.value} ({share:.3g} %)"
            )


class DeploymentKind(enum.Enum):
    ROLLING = "ROLLING"
    ALL_AT_ONCE = "ALL_AT_ONCE"
    CANARY = "CANARY"
    LINEAR = "LINEAR"


def check_guarded_types(arg: str, instance_types: Sequence[str]) -> None:
    """Fail for Inf1 instances, which SageMaker's deployment guardrails exclude: such an endpoint updates
    blue/green all at once, with no baking period (the guide's "Exclusions")."""
    inf1 = [t for t in instance_types if t.startswith("ml.inf1.")]
    if inf1:
        raise ValidationError(
            f"{arg}: SageMaker's deployment guardrails exclude Inf1 instances ({', '.join(inf1)}, which a pool "
            "is or may resolve to); such an endpoint updates blue/green all at once with no baking, whatever "
            "the policy says. Use another instance type (Inf2 is not excluded) or deployment=None"
        )


@dataclass(frozen=True)
class DeploymentPolicy:
    """How an endpoint update replaces the fleet; build one with the static methods.

    Every policy bakes for ``wait_interval`` after each step while the rollback alarms watch.
    """

    kind: DeploymentKind
    wait_interval: Duration
    size: CapacitySize | None = None
    rollback_max_batch: CapacitySize | None = None
    termination_wait: Duration | None = None
    max_execution_timeout: Duration | None = None

    @staticmethod
    def rolling(
        *,
        max_batch: CapacitySize | None = None,
        wait_interval: Duration | None = None,
        rollback_max_batch: CapacitySize | None = None,
        max_execution_timeout: Duration | None = None,
    ) -> DeploymentPolicy:
        """Replace the fleet in batches; needs headroom for one batch, not a second fleet.

        Args:
            max_batch: Batch size, 5-50 % of the fleet. Default: 25 %
            wait_interval: Bake time after each batch, 0-3600 s. Default: 5 minutes
            rollback_max_batch: Batch size when rolling back. Default: - the whole old fleet at once
            max_execution_timeout: Bound on the whole update, 600-28800 s. Default: - service default
        """
        return DeploymentPolicy(
            DeploymentKind.ROLLING,
            wait_interval or _DEFAULT_WAIT_INTERVAL,
            size=max_batch or CapacitySize.percent(25),
            rollback_max_batch=rollback_max_batch,
            max_execution_timeout=max_execution_timeout,
        )

    @staticmethod
    def all_at_once(
        *,
        wait_interval: Duration | None = None,
        termination_wait: Duration | None = None,
        max_execution_timeout: Duration | None = None,
    ) -> DeploymentPolicy:
        """Blue/green: shift all traffic to a full new fleet, bake, then retire the old one.

        Args:
            wait_interval: Bake time after the shift, 0-3600 s. Default: 5 minutes
            termination_wait: Extra time the old fleet is kept, 0-3600 s. Default: 0
            max_execution_timeout: Bound on the whole update, 600-28800 s. Default: - service default
        """
        return DeploymentPolicy(
            DeploymentKind.ALL_AT_ONCE,
            wait_interval or _DEFAULT_WAIT_INTERVAL,
            termination_wait=termination_wait,
            max_execution_timeout=max_execution_timeout,
        )

    @staticmethod
    def canary(
        *,
        size: CapacitySize | None = None,
        wait_interval: Duration | None = None,
        termination_wait: Duration | None = None,
        max_execution_timeout: Duration | None = None,
    ) -> DeploymentPolicy:
        """Blue/green: shift a canary (at most 50 %) first, bake, then shift the rest.

        Args:
            size: The canary, at most 50 % of the fleet. Default: 10 %
            wait_interval: Bake time after the canary, 0-3600 s. Default: 5 minutes
            termination_wait: Extra time the old fleet is kept, 0-3600 s. Default: 0
            max_execution_timeout: Bound on the whole update, 600-28800 s. Default: - service default
        """
        return DeploymentPolicy(
            DeploymentKind.CANARY,
            wait_interval or _DEFAULT_WAIT_INTERVAL,
            size=size or CapacitySize.percent(10),
            termination_wait=termination_wait,
            max_execution_timeout=max_execution_timeout,
        )

    @staticmethod
    def linear(
        *,
        step: CapacitySize | None = None,
        wait_interval: Duration | None = None,
        termination_wait: Duration | None = None,
        max_execution_timeout: Duration | None = None,
    ) -> DeploymentPolicy:
        """Blue/green: shift traffic in equal steps of 10-50 %, baking after each.

        Args:
            step: The step, 10-50 % of the fleet. Default: 20 %
            wait_interval: Bake time after each step, 0-3600 s. Default: 5 minutes
            termination_wait: Extra time the old fleet is kept, 0-3600 s. Default: 0
            max_execution_timeout: Bound on the whole update, 600-28800 s. Default: - service default
        """
        return DeploymentPolicy(
            DeploymentKind.LINEAR,
            wait_interval or _DEFAULT_WAIT_INTERVAL,
            size=step or CapacitySize.percent(20),
            termination_wait=termination_wait,
            max_execution_timeout=max_execution_timeout,
        )

    @property
    def is_blue_green(self) -> bool:
        return self.kind is not DeploymentKind.ROLLING

    def validate(self, arg: str, *, inference_components: bool, fleet_size: int | None = None) -> None:
        """Check every range the service enforces, before anything is synthesized; ``fleet_size`` (the
        initial instances, or copies with inference components) bounds a size given as a count."""
        if inference_components and self.is_blue_green:
            raise ValidationError(
                f"{arg}: inference components update by rolling copies; "
                f"use DeploymentPolicy.rolling(), got {self.kind.name}"
            )
        check_duration(f"{arg}.wait_interval", self.wait_interval, 0, 3600)
        check_duration(f"{arg}.termination_wait", self.termination_wait, 0, 3600)
        check_duration(f"{arg}.max_execution_timeout", self.max_execution_timeout, 600, 28800)
        low, high = {
            DeploymentKind.ROLLING: (5, 50),
            DeploymentKind.CANARY: (1, 50),
            DeploymentKind.LINEAR: (10, 50),
            DeploymentKind.ALL_AT_ONCE: (1, 100),
        }[self.kind]
        size_arg = {DeploymentKind.ROLLING: "max_batch", DeploymentKind.CANARY: "size"}.get(self.kind, "step")
        if self.size is not None:
            self.size._check(f"{arg}.{size_arg}", low, high, inference_components)
            if fleet_size is not None:
                counted = (
                    "copies (inference_components.initial_copy_count)"
                    if inference_components
                    else "instances (initial_instance_count)"
                )
                # A canary count has no lower bound ("less than or equal to 50%"); 1 % is a percentage's.
                floor = 0 if self.kind is DeploymentKind.CANARY else low
                self.size.check_share(f"{arg}.{size_arg}", floor, high, fleet_size, counted)
        if self.rollback_max_batch is not None:
            self.rollback_max_batch._check(f"{arg}.rollback_max_batch", 1, 100, inference_components)
        self._check_execution_bound(arg)

    def _check_execution_bound(self, arg: str) -> None:
        bound = self.max_execution_timeout
        steps = self._steps()
        if bound is None or steps is None:
            return
        parts = [duration_seconds(bound), duration_seconds(self.wait_interval)]
        if self.termination_wait is not None:
            parts.append(duration_seconds(self.termination_wait))
        if any(unresolved(part) for part in parts):
            return
        waits = steps * parts[1] + (parts[2] if len(parts) > 2 else 0)
        if parts[0] <= waits:
            raise ValidationError(
                f"{arg}.max_execution_timeout must exceed the {steps} bake wait(s) plus termination wait "
                f"({waits:g} seconds), got {parts[0]:g} seconds"
            )

    def _steps(self) -> int | None:
        if self.kind is DeploymentKind.ALL_AT_ONCE:
            return 1
        if self.kind is DeploymentKind.CANARY:
            return 2
        if self.size is None or self.size.unit is not CapacityUnit.CAPACITY_PERCENT or unresolved(self.size.value):
            return None
        return math.ceil(100 / self.size.value)

    def to_endpoint_config(self, alarm_names: Sequence[str]) -> sagemaker.CfnEndpoint.DeploymentConfigProperty:
        """``AWS::SageMaker::Endpoint`` ``DeploymentConfig``."""
        rollback = _endpoint_rollback(alarm_names)
        if self.kind is DeploymentKind.ROLLING:
            return sagemaker.CfnEndpoint.DeploymentConfigProperty(
                rolling_update_policy=sagemaker.CfnEndpoint.RollingUpdatePolicyProperty(
                    maximum_batch_size=_endpoint_size(self.size),  # type: ignore[arg-type]
                    wait_interval_in_seconds=seconds(self.wait_interval),  # type: ignore[arg-type]
                    rollback_maximum_batch_size=_endpoint_size(self.rollback_max_batch),
                    maximum_execution_timeout_in_seconds=seconds(self.max_execution_timeout),
                ),
                auto_rollback_configuration=rollback,
            )
        routing = sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
            type=self.kind.value,
            wait_interval_in_seconds=seconds(self.wait_interval),
            canary_size=_endpoint_size(self.size) if self.kind is DeploymentKind.CANARY else None,
            linear_step_size=_endpoint_size(self.size) if self.kind is DeploymentKind.LINEAR else None,
        )
        return sagemaker.CfnEndpoint.DeploymentConfigProperty(
            blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
                traffic_routing_configuration=routing,
                termination_wait_in_seconds=seconds(self.termination_wait),
                maximum_execution_timeout_in_seconds=seconds(self.max_execution_timeout),
            ),
            auto_rollback_configuration=rollback,
        )

    def to_inference_component_config(
        self, alarm_names: Sequence[str]
    ) -> sagemaker.CfnInferenceComponent.InferenceComponentDeploymentConfigProperty:
        """``AWS::SageMaker::InferenceComponent`` ``DeploymentConfig`` (rolling only)."""
        ic = sagemaker.CfnInferenceComponent
        return ic.InferenceComponentDeploymentConfigProperty(
            rolling_update_policy=ic.InferenceComponentRollingUpdatePolicyProperty(
                maximum_batch_size=_component_size(self.size),
                wait_interval_in_seconds=seconds(self.wait_interval),
                rollback_maximum_batch_size=_component_size(self.rollback_max_batch),
                maximum_execution_timeout_in_seconds=seconds(self.max_execution_timeout),
            ),
            auto_rollback_configuration=ic.AutoRollbackConfigurationProperty(
                alarms=[ic.AlarmProperty(alarm_name=name) for name in alarm_names]
            )
            if alarm_names
            else None,
        )


def endpoint_deployment_config(
    policy: DeploymentPolicy | None, alarm_names: Sequence[str]
) -> sagemaker.CfnEndpoint.DeploymentConfigProperty | None:
    """An endpoint's ``DeploymentConfig``: the policy, or SageMaker's default update when there is none,
    rolled back by ``alarm_names``; none for neither."""
    if policy is not None:
        return policy.to_endpoint_config(alarm_names)
    return rollback_only_config(alarm_names) if alarm_names else None


def component_deployment_config(
    policy: DeploymentPolicy | None, alarm_names: Sequence[str]
) -> sagemaker.CfnInferenceComponent.InferenceComponentDeploymentConfigProperty | None:
    """An inference component's ``DeploymentConfig``: the policy (rolling by default, when only alarms
    are given), rolled back by ``alarm_names``; none for neither."""
    if policy is None and not alarm_names:
        return None
    return (policy or DeploymentPolicy.rolling()).to_inference_component_config(alarm_names)


def rollback_only_config(
    alarm_names: Sequence[str],
) -> sagemaker.CfnEndpoint.DeploymentConfigProperty:
    """Auto-rollback alarms on SageMaker's default update (blue/green, all at once, no bake)."""
    return sagemaker.CfnEndpoint.DeploymentConfigProperty(auto_rollback_configuration=_endpoint_rollback(alarm_names))


def _endpoint_rollback(
    alarm_names: Sequence[str],
) -> sagemaker.CfnEndpoint.AutoRollbackConfigProperty | None:
    if not alarm_names:
        return None
    return sagemaker.CfnEndpoint.AutoRollbackConfigProperty(
        alarms=[sagemaker.CfnEndpoint.AlarmProperty(alarm_name=name) for name in alarm_names]
    )


def _endpoint_size(size: CapacitySize | None) -> sagemaker.CfnEndpoint.CapacitySizeProperty | None:
    if size is None:
        return None
    return sagemaker.CfnEndpoint.CapacitySizeProperty(type=size.unit.value, value=size.value)


def _component_size(
    size: CapacitySize | None,
) -> sagemaker.CfnInferenceComponent.InferenceComponentCapacitySizeProperty | None:
    if size is None:
        return None
    return sagemaker.CfnInferenceComponent.InferenceComponentCapacitySizeProperty(
        type=size.unit.value, value=size.value
    )
