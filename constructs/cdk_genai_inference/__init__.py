"""AWS CDK constructs for generative-AI inference on Amazon SageMaker AI.

The public names load on first use, so the console commands (which need no AWS CDK and no Node.js)
can import this package's analysis modules without starting the jsii runtime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_PUBLIC: dict[str, tuple[str, ...]] = {
    "benchmark.job": ("BenchmarkJob", "BenchmarkNetwork"),
    "benchmark.results": (
        "HEADLINE_FIGURES",
        "BenchmarkResults",
        "BenchmarkSla",
        "CapacityMeasurement",
        "IBenchmarkJob",
        "ResultsPublishing",
    ),
    "errors": ("ValidationError",),
    "jobs.mlflow": ("MlflowTracking",),
    "jobs.s3": ("S3Location",),
    "jobs.wait": ("JobWait",),
    "jobs.workload": ("IWorkloadConfig", "SlaSearch", "TokenDistribution", "WorkloadConfig"),
    "recommendation.job": ("Framework", "IRecommendationJob", "LoraAdapter", "RecommendationGoal", "RecommendationJob"),
    "recommendation.models": ("PoolOrder", "RecommendedModels", "ResolvedPool"),
    "serving.alarms": ("RollbackAlarms",),
    "serving.async_inference": ("AsyncInference",),
    "serving.components": ("InferenceComponents",),
    "serving.dashboard": ("FleetDashboard",),
    "serving.deployment": ("CapacitySize", "CapacityUnit", "DeploymentKind", "DeploymentPolicy"),
    "serving.endpoint": ("IInstancePoolEndpoint", "InstancePoolEndpoint"),
    "serving.model": ("IModel", "Model"),
    "serving.pools": ("InstancePool", "PrefixAwareRouting", "RoutingStrategy"),
    "serving.scaling": ("WeightedUtilizationScaling",),
}
"""Each public name's module, relative to this package."""
_HOME = {name: module for module, names in _PUBLIC.items() for name in names}
__all__ = sorted(_HOME)

if TYPE_CHECKING:  # the same names, for type checkers and editors (a test keeps both lists equal)
    from .benchmark.job import BenchmarkJob as BenchmarkJob
    from .benchmark.job import BenchmarkNetwork as BenchmarkNetwork
    from .benchmark.results import (
        HEADLINE_FIGURES as HEADLINE_FIGURES,
    )
    from .benchmark.results import (
        BenchmarkResults as BenchmarkResults,
    )
    from .benchmark.results import (
        BenchmarkSla as BenchmarkSla,
    )
    from .benchmark.results import (
        CapacityMeasurement as CapacityMeasurement,
    )
    from .benchmark.results import (
        IBenchmarkJob as IBenchmarkJob,
    )
    from .benchmark.results import (
        ResultsPublishing as ResultsPublishing,
    )
    from .errors import ValidationError as ValidationError
    from .jobs.mlflow import MlflowTracking as MlflowTracking
    from .jobs.s3 import S3Location as S3Location
    from .jobs.wait import JobWait as JobWait
    from .jobs.workload import (
        IWorkloadConfig as IWorkloadConfig,
    )
    from .jobs.workload import (
        SlaSearch as SlaSearch,
    )
    from .jobs.workload import (
        TokenDistribution as TokenDistribution,
    )
    from .jobs.workload import (
        WorkloadConfig as WorkloadConfig,
    )
    from .recommendation.job import (
        Framework as Framework,
    )
    from .recommendation.job import (
        IRecommendationJob as IRecommendationJob,
    )
    from .recommendation.job import (
        LoraAdapter as LoraAdapter,
    )
    from .recommendation.job import (
        RecommendationGoal as RecommendationGoal,
    )
    from .recommendation.job import (
        RecommendationJob as RecommendationJob,
    )
    from .recommendation.models import (
        PoolOrder as PoolOrder,
    )
    from .recommendation.models import (
        RecommendedModels as RecommendedModels,
    )
    from .recommendation.models import (
        ResolvedPool as ResolvedPool,
    )
    from .serving.alarms import RollbackAlarms as RollbackAlarms
    from .serving.async_inference import AsyncInference as AsyncInference
    from .serving.components import InferenceComponents as InferenceComponents
    from .serving.dashboard import FleetDashboard as FleetDashboard
    from .serving.deployment import (
        CapacitySize as CapacitySize,
    )
    from .serving.deployment import (
        CapacityUnit as CapacityUnit,
    )
    from .serving.deployment import (
        DeploymentKind as DeploymentKind,
    )
    from .serving.deployment import (
        DeploymentPolicy as DeploymentPolicy,
    )
    from .serving.endpoint import (
        IInstancePoolEndpoint as IInstancePoolEndpoint,
    )
    from .serving.endpoint import (
        InstancePoolEndpoint as InstancePoolEndpoint,
    )
    from .serving.model import IModel as IModel
    from .serving.model import Model as Model
    from .serving.pools import (
        InstancePool as InstancePool,
    )
    from .serving.pools import (
        PrefixAwareRouting as PrefixAwareRouting,
    )
    from .serving.pools import (
        RoutingStrategy as RoutingStrategy,
    )
    from .serving.scaling import WeightedUtilizationScaling as WeightedUtilizationScaling


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
