"""Instance pools: the instance types one endpoint variant may run on, by priority."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol, runtime_checkable

from aws_cdk import Duration, Reference, Tokenization

from constructs import Construct

from .._core import service_model
from .._core.validation import check_choice, check_range, check_unique, unresolved
from ..errors import ValidationError
from .model import IModel

MAX_POOLS = 5
"""``ProductionVariant.InstancePools`` holds 1 to 5 pools."""
INSTANCE_STORE_FAMILIES = frozenset({
    "c5d", "c6gd", "dl1", "g4dn", "g5", "g6", "g6e", "g7e", "m5d", "m6gd", "p4d", "p4de", "p5", "p5e", "p5en",
    "p6-b200", "p6-b300", "p6e-gb200", "r5d", "r6gd", "r7gd", "trn1", "trn1n", "trn2",
})  # fmt: skip
"""Hosting families whose storage is local NVMe, encrypted by a hardware module on the instance
(XTS-AES-256). SageMaker rejects an endpoint configuration's ``KmsKeyId`` when any of its instance
types is one of them. A family missing here is treated as EBS-backed."""


def local_nvme_types(instance_types: Sequence[str]) -> list[str]:
    """Those of ``instance_types`` whose storage is hardware-encrypted local NVMe."""
    return [t for t in instance_types if t.count(".") == 2 and t.split(".")[1] in INSTANCE_STORE_FAMILIES]


class RoutingStrategy(enum.Enum):
    """How SageMaker routes requests among the variant's instances."""

    LEAST_OUTSTANDING_REQUESTS = "LEAST_OUTSTANDING_REQUESTS"
    """Send each request to the instance with the fewest in flight: faster types take more traffic."""
    RANDOM = "RANDOM"
    PREFIX_AWARE = "PREFIX_AWARE"
    """Send requests that share a prompt prefix to the same instance (set ``prefix_aware_routing``)."""


@dataclass(frozen=True)
class CountRange:
    """A count that weighted scaling's range must hold: the endpoint's ``argument`` that takes it, and
    each bound with the name of the argument that sets it."""

    argument: str
    count: float
    low: tuple[str, float]
    high: tuple[str, float]


@runtime_checkable
class CountSource(Protocol):
    """What resolves numbers at deploy time and can check them there (``RecommendedModels``): a scope
    of the resource that a count's or a bound's token references."""

    def check_ranges(self, scope: Construct, id: str, ranges: Sequence[CountRange]) -> Construct:
        """A resource ``id`` under ``scope`` that fails the deployment when one of ``ranges`` does not hold."""
        ...


def count_source_of(value: object) -> CountSource | None:
    """The innermost ``CountSource`` above the resource whose attribute or ``Ref`` ``value`` is; ``None``
    for a value known at synth, a parameter's, or one computed by an intrinsic function."""
    if not unresolved(value):
        return None
    reference = Tokenization.reverse(value)
    if not isinstance(reference, Reference):
        return None
    return next((s for s in reversed(reference.target.node.scopes) if isinstance(s, CountSource)), None)


@dataclass(frozen=True)
class PrefixAwareRouting:
    """Settings of prefix-aware routing.

    Args:
        prefix_length: Bytes of the request body (characters of the messages, for the OpenAI API)
            that make the prefix, 1024-65536.
        concurrency_threshold: In-flight requests on the chosen instance (or copy) at which the
            endpoint routes elsewhere, 1-1024.
    """

    prefix_length: int
    concurrency_threshold: int


@dataclass(frozen=True)
class InstancePool:
    """One instance type of an instance-pool variant.

    Args:
        instance_type: A SageMaker hosting instance type, e.g. ``ml.p5.48xlarge``.
        model: The model this pool runs (``ModelNameOverride``; in inference-component mode the
            model of this type's specification). Default: - the endpoint's ``model``
        max_concurrency: Concurrent requests one instance (one copy, with inference components) of
            this type sustains; the divisor of weighted-utilization scaling. Default: - none; required
            by ``scale_on_weighted_utilization``
        priority: 1 (tried first) to 5. Default: - the pool's position in the list
        scaling_weight: Relative weight of this pool in weighted-utilization scaling; a higher
            weight makes the policy more sensitive to this pool. Default: 1
        model_latency_threshold: Rollback-alarm threshold for ``ModelLatency`` on this instance type,
            whole milliseconds from 1 ms (a deploy-time one as ``Duration.millis``).
            Default: - the endpoint's ``RollbackAlarms.model_latency``
        accelerators: Accelerator devices one copy needs (inference-component mode).
            Default: - none required
        min_memory_mb: Memory one copy needs, in MiB (inference-component mode; required there).
            Default: - none
        cpu_cores: CPU cores one copy needs (inference-component mode). Default: - none required
        candidate_types: What an ``instance_type`` known only at deploy time may resolve to (a ranked
            recommendation sets the job's instance types). Default: - nothing known
    """

    instance_type: str
    model: IModel | None = None
    max_concurrency: float | None = None
    priority: int | None = None
    scaling_weight: float = 1.0
    model_latency_threshold: Duration | None = None
    accelerators: int | None = None
    min_memory_mb: int | None = None
    cpu_cores: float | None = None
    candidate_types: tuple[str, ...] = ()

    @property
    def possible_instance_types(self) -> tuple[str, ...]:
        """The instance types this pool may run at deploy time; empty when nothing is known."""
        return self.candidate_types if unresolved(self.instance_type) else (self.instance_type,)


def prioritized(pools: Sequence[InstancePool], arg: str = "instance_pools") -> list[InstancePool]:
    """Validate ``pools`` and return them with explicit priorities, highest priority first."""
    if not pools:
        raise ValidationError(f"{arg} needs at least 1 pool, got 0")
    if len(pools) > MAX_POOLS:
        raise ValidationError(f"{arg} allows at most {MAX_POOLS} pools, got {len(pools)}")
    allowed = service_model.hosting_instance_types()
    for index, pool in enumerate(pools):
        check_choice(
            f"{arg}[{index}].instance_type",
            pool.instance_type,
            allowed,
            "SageMaker hosting instance type",
        )
        check_range(f"{arg}[{index}].priority", pool.priority, 1, MAX_POOLS)
        if pool.max_concurrency is not None and not unresolved(pool.max_concurrency) and pool.max_concurrency <= 0:
            raise ValidationError(f"{arg}[{index}].max_concurrency must be positive, got {pool.max_concurrency:g}")
        if not unresolved(pool.scaling_weight) and pool.scaling_weight <= 0:
            raise ValidationError(f"{arg}[{index}].scaling_weight must be positive, got {pool.scaling_weight:g}")
    check_unique(f"{arg} instance types", (p.instance_type for p in pools))

    explicit = [p.priority is not None for p in pools]
    if any(explicit) and not all(explicit):
        raise ValidationError(f"{arg}: give a priority to every pool or to none (list order), got a mix")
    ordered = [p if p.priority is not None else replace(p, priority=i + 1) for i, p in enumerate(pools)]
    check_unique(f"{arg} priorities", (p.priority for p in ordered))
    if any(unresolved(p.priority) for p in ordered):
        return ordered
    return sorted(ordered, key=lambda p: p.priority or 0)
