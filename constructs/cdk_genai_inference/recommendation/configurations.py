"""The deploy-ready configurations of a completed AI recommendation job, read from its description.

A recommendation is a whole deployment, not just a model: ``InstanceCount`` instances of one type, each
running ``CopyCountPerInstance`` copies of the model, each copy sharded over the tensor-parallel size
its environment names, and ``ExpectedPerformance`` measured for the whole configuration (so
``ClientSideConcurrency`` is what all ``InstanceCount x CopyCountPerInstance`` copies sustained together).

Standard library only: the resolver handler runs a copy (the asset build adds it as
``recommended_configurations``) and the console's review command imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_G = {"xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "16xlarge": 1, "12xlarge": 4, "24xlarge": 4, "48xlarge": 8}
_G7 = {"2xlarge": 1, "4xlarge": 1, "8xlarge": 2, "12xlarge": 4, "24xlarge": 4, "48xlarge": 8}
_G7E = {"2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "12xlarge": 2, "24xlarge": 4, "48xlarge": 8}
ACCELERATORS_PER_INSTANCE: dict[str, int] = {
    **{f"ml.{family}.{size}": gpus for family in ("g5", "g6", "g6e") for size, gpus in _G.items()},
    **{f"ml.g7.{size}": gpus for size, gpus in _G7.items()},
    **{f"ml.g7e.{size}": gpus for size, gpus in _G7E.items()},
    "ml.p3.2xlarge": 1,
    "ml.p3.8xlarge": 4,
    "ml.p3.16xlarge": 8,
    "ml.p4d.24xlarge": 8,
    "ml.p4de.24xlarge": 8,
    "ml.p5.4xlarge": 1,
    "ml.p5.48xlarge": 8,
    "ml.p5e.48xlarge": 8,
    "ml.p5en.48xlarge": 8,
    "ml.p6-b200.48xlarge": 8,
}  # fmt: skip
"""NVIDIA GPUs per instance of every type an AI recommendation job may recommend, as the Amazon EC2
accelerated-computing instance specifications publish them (https://aws.amazon.com/ec2/instance-types/
accelerated-computing/; G7 and G7e from their June 2026 launch). A test checks that the keys are exactly
the service model's ``AIRecommendationInstanceType`` values."""

TENSOR_PARALLEL_VARIABLES = (
    "SM_VLLM_TENSOR_PARALLEL_SIZE",
    "OPTION_TENSOR_PARALLEL_DEGREE",
    "TENSOR_PARALLEL_DEGREE",
    "SM_NUM_GPUS",
)
"""Where serving containers read the accelerators one copy spans: vLLM on SageMaker (the variable real
recommendations carry), LMI (``OPTION_``), LMI's short form, and Hugging Face TGI."""

AVERAGES = frozenset({"", "avg", "average", "mean"})
"""Spellings of the mean in ``ExpectedPerformance[].Stat`` (real output says ``avg``, the docs ``average``)."""


class ConfigurationError(Exception):
    """A recommendation lacks what a deployment of it needs."""


@dataclass(frozen=True)
class Configuration:
    """One ranked recommendation, as a deployment: where it runs, how many copies, what it sustained."""

    rank: int
    instance_type: str
    instance_count: int
    copies_per_instance: int
    tensor_parallel_size: int | None
    """The accelerators one copy spans, as the recommended environment names them (None: not named)."""
    min_memory_mb: int | None
    model_package_arn: str | None
    inference_specification_name: str | None
    image_uri: str | None = None
    description: str | None = None
    optimizations: tuple[str, ...] = ()
    performance: dict[str, float] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def total_copies(self) -> int:
        """Copies of the whole configuration: the initial copy count of an inference component."""
        return self.instance_count * self.copies_per_instance

    @property
    def concurrency(self) -> float | None:
        """``ClientSideConcurrency``: what the whole configuration sustained."""
        return self.performance.get("ClientSideConcurrency")

    @property
    def concurrency_per_copy(self) -> float | None:
        """One copy's share: the divisor of weighted scaling on ``ConcurrentRequestsPerCopy``."""
        return None if self.concurrency is None else self.concurrency / self.total_copies

    @property
    def concurrency_per_instance(self) -> float | None:
        """One instance's share: the divisor of weighted scaling on ``ConcurrentRequestsPerModel``."""
        return None if self.concurrency is None else self.concurrency / self.instance_count

    def accelerators_per_copy(self) -> int:
        """The accelerators one copy needs: the tensor-parallel size the environment names, else the
        instance's GPUs divided among its copies."""
        if self.tensor_parallel_size is not None:
            return self.tensor_parallel_size
        gpus = ACCELERATORS_PER_INSTANCE.get(self.instance_type)
        if gpus is None:
            raise ConfigurationError(
                f"the recommendation for {self.instance_type} names no tensor-parallel size "
                f"({', '.join(TENSOR_PARALLEL_VARIABLES)}) and the GPU count of {self.instance_type} is not "
                "known, so the accelerators one copy needs cannot be told"
            )
        if gpus % self.copies_per_instance:
            raise ConfigurationError(
                f"the recommendation for {self.instance_type} runs {self.copies_per_instance} copies per instance "
                f"on {gpus} GPUs and names no tensor-parallel size, so the accelerators one copy needs cannot be told"
            )
        return gpus // self.copies_per_instance


def read(description: Mapping[str, Any]) -> list[Configuration]:
    """Every recommendation of a ``DescribeAIRecommendationJob`` response, in the service's rank order."""
    configurations = []
    for rank, recommendation in enumerate(description.get("Recommendations") or [], start=1):
        configuration = _configuration(rank, recommendation)
        if configuration is not None:
            configurations.append(configuration)
    return configurations


def best_per_instance_type(configurations: Iterable[Configuration]) -> dict[str, Configuration]:
    """The best-ranked configuration of each instance type, in rank order."""
    best: dict[str, Configuration] = {}
    for configuration in sorted(configurations, key=lambda c: c.rank):
        best.setdefault(configuration.instance_type, configuration)
    return best


def expected_performance(metrics: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """``ExpectedPerformance`` as numbers keyed ``<Metric>`` (averages) or ``<Metric><Stat>``, e.g.
    ``OutputTokenThroughput`` or ``RequestLatencyP90``; values the service writes as strings."""
    performance: dict[str, float] = {}
    for metric in metrics:
        stat = str(metric.get("Stat") or "").lower()
        suffix = "" if stat in AVERAGES else stat.capitalize()
        try:
            performance[f"{metric['Metric']}{suffix}"] = float(metric["Value"])
        except (KeyError, TypeError, ValueError):
            continue
    return performance


def tensor_parallel_size(environment: Mapping[str, str]) -> int | None:
    """The accelerators one copy spans, from the first variable of ``TENSOR_PARALLEL_VARIABLES`` that
    holds a whole number (LMI's ``max`` means "all of them": unknown here)."""
    for name in TENSOR_PARALLEL_VARIABLES:
        value = str(environment.get(name, "")).strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


def _configuration(rank: int, recommendation: Mapping[str, Any]) -> Configuration | None:
    deployment = recommendation.get("DeploymentConfiguration") or {}
    details = recommendation.get("ModelDetails") or {}
    instances = details.get("InstanceDetails") or []
    instance_type = deployment.get("InstanceType") or next(
        (d.get("InstanceType") for d in instances if d.get("InstanceType")), None
    )
    if not instance_type:
        return None
    sizing = next((d for d in instances if d.get("InstanceType") == instance_type), deployment)
    environment = {str(k): str(v) for k, v in (deployment.get("EnvironmentVariables") or {}).items()}
    memory = deployment.get("MinCpuMemoryRequiredInMb")
    return Configuration(
        rank=rank,
        instance_type=str(instance_type),
        instance_count=int(sizing.get("InstanceCount") or deployment.get("InstanceCount") or 1),
        copies_per_instance=int(sizing.get("CopyCountPerInstance") or deployment.get("CopyCountPerInstance") or 1),
        tensor_parallel_size=tensor_parallel_size(environment),
        min_memory_mb=int(memory) if memory else None,
        model_package_arn=details.get("ModelPackageArn") or None,
        inference_specification_name=details.get("InferenceSpecificationName") or None,
        image_uri=deployment.get("ImageUri") or None,
        description=recommendation.get("RecommendationDescription") or None,
        optimizations=tuple(
            str(o.get("OptimizationType"))
            for o in recommendation.get("OptimizationDetails") or []
            if o.get("OptimizationType")
        ),
        performance=expected_performance(recommendation.get("ExpectedPerformance") or []),
        environment=environment,
    )


RECORD_PREFIX = "cdk-genai-inference:"
"""Key prefix of the resolutions a stack records on the model packages it approves, one key per instance
type (``CustomerMetadataProperties`` values allow letters, digits, spaces and ``_.:/=+-@`` only)."""


def record(configuration: Configuration, priority: int, accelerators: int | None) -> tuple[str, str]:
    """The metadata entry that lets another account deploy ``configuration`` as it was resolved here."""
    parts = {
        "spec": configuration.inference_specification_name,
        "rank": configuration.rank,
        "priority": priority,
        "instances": configuration.instance_count,
        "copies": configuration.copies_per_instance,
        "accelerators": accelerators,
        "memory-mb": configuration.min_memory_mb,
        "concurrency": configuration.concurrency,
    }
    value = " ".join(f"{k}={_number(v)}" for k, v in parts.items() if v is not None)
    return f"{RECORD_PREFIX}{configuration.instance_type}", value


def recorded(package_arn: str, metadata: Mapping[str, str]) -> list[tuple[int, Configuration]]:
    """The configurations recorded on one package (by ``record``), each with the priority it had."""
    found = []
    for key, value in metadata.items():
        if not key.startswith(RECORD_PREFIX):
            continue
        fields = dict(part.split("=", 1) for part in value.split() if "=" in part)
        try:
            configuration = Configuration(
                rank=int(fields["rank"]),
                instance_type=key.removeprefix(RECORD_PREFIX),
                instance_count=int(fields["instances"]),
                copies_per_instance=int(fields["copies"]),
                tensor_parallel_size=int(fields["accelerators"]) if "accelerators" in fields else None,
                min_memory_mb=int(fields["memory-mb"]) if "memory-mb" in fields else None,
                model_package_arn=package_arn,
                inference_specification_name=fields.get("spec"),
                performance={"ClientSideConcurrency": float(fields["concurrency"])} if "concurrency" in fields else {},
            )
        except (KeyError, ValueError) as error:
            raise ConfigurationError(f"model package {package_arn} holds an unreadable {key}: {value!r}") from error
        found.append((int(fields.get("priority", configuration.rank)), configuration))
    return found


def _number(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
