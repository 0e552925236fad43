"""AWS CDK constructs for generative-AI inference on Amazon SageMaker AI.

Every public construct and value type imports from this package root, e.g.
``from cdk_genai_inference import InstancePoolEndpoint``; they are listed below. Each lives in the
subpackage of its capability:

- `cdk_genai_inference.serving`: the model, instance pools, the endpoint, weighted-utilization scaling,
  guarded deployments, rollback alarms, metrics and the dashboard.
- `cdk_genai_inference.recommendation`: AI recommendation jobs and the models they recommend.
- `cdk_genai_inference.benchmark`: AI benchmark jobs, their results and the AIPerf output parser.
- `cdk_genai_inference.jobs`: what both job kinds share: the workload, waiting, naming, S3 locations,
  MLflow output and the custom-resource provider.

Three modules are imported by their own name:

- `cdk_genai_inference.scanners`: the acknowledgments of cdk-nag and checkov findings
  (`cdk_genai_inference.scanners.Waiver`, `cdk_genai_inference.scanners.NagFinding`).
- `cdk_genai_inference.testing`: snapshots of your own stacks.
- `cdk_genai_inference.console`: the ``cdk-genai-inference`` commands (``report``, ``review``).

The public names load on first use, so the console commands (which need no AWS CDK and no Node.js)
can import this package's analysis modules without starting the jsii runtime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_PUBLIC: dict[str, tuple[str, ...]] = {
    "benchmark.baseline": ("BenchmarkBaseline",),
    "benchmark.job": ("BenchmarkJob", "BenchmarkNetwork"),
    "benchmark.results": (
        "HEADLINE_FIGURES",
        "BenchmarkResults",
        "BenchmarkSla",
        "CapacityMeasurement",
        "IBenchmarkJob",
        "ResultsPublishing",
        "SlaStatistic",
    ),
    "errors": ("ValidationError",),
    "jobs.mlflow": ("MlflowTracking",),
    "jobs.repeated_runs": ("Convergence", "ConvergenceMode", "RepeatedRuns"),
    "jobs.s3": ("S3Location",),
    "jobs.wait": ("JobWait",),
    "jobs.workload": ("IWorkloadConfig", "SlaSearch", "TokenDistribution", "WorkloadConfig"),
    "recommendation.job": ("Framework", "IRecommendationJob", "LoraAdapter", "RecommendationGoal", "RecommendationJob"),
    "recommendation.models": ("RecommendedModels", "RecommendedPool"),
    "recommendation.resolution": ("PackageApproval", "PoolOrder", "RecommendationHosting"),
    "serving.alarms": ("RollbackAlarms",),
    "serving.async_inference": ("AsyncInference",),
    "serving.components": ("InferenceComponents",),
    "serving.dashboard": ("FleetDashboard",),
    "serving.deployment": ("CapacitySize", "CapacityUnit", "DeploymentKind", "DeploymentPolicy"),
    "serving.endpoint": ("InstancePoolEndpoint",),
    "serving.endpoint_base": ("IInstancePoolEndpoint",),
    "serving.model": ("IModel", "Model"),
    "serving.pools": ("InstancePool", "PrefixAwareRouting", "RoutingStrategy"),
    "serving.scaling": ("WeightedUtilizationScaling",),
}
"""Each public name's module, relative to this package."""
_HOME = {name: module for module, names in _PUBLIC.items() for name in names}
__all__ = sorted(_HOME)

if TYPE_CHECKING:  # the same names, for type checkers and editors (a test keeps both lists equal)
    from .benchmark.baseline import BenchmarkBaseline
    from .benchmark.job import BenchmarkJob, BenchmarkNetwork
    from .benchmark.results import (
        HEADLINE_FIGURES,
        BenchmarkResults,
        BenchmarkSla,
        CapacityMeasurement,
        IBenchmarkJob,
        ResultsPublishing,
        SlaStatistic,
    )
    from .errors import ValidationError
    from .jobs.mlflow import MlflowTracking
    from .jobs.repeated_runs import Convergence, ConvergenceMode, RepeatedRuns
    from .jobs.s3 import S3Location
    from .jobs.wait import JobWait
    from .jobs.workload import IWorkloadConfig, SlaSearch, TokenDistribution, WorkloadConfig
    from .recommendation.job import Framework, IRecommendationJob, LoraAdapter, RecommendationGoal, RecommendationJob
    from .recommendation.models import RecommendedModels, RecommendedPool
    from .recommendation.resolution import PackageApproval, PoolOrder, RecommendationHosting
    from .serving.alarms import RollbackAlarms
    from .serving.async_inference import AsyncInference
    from .serving.components import InferenceComponents
    from .serving.dashboard import FleetDashboard
    from .serving.deployment import CapacitySize, CapacityUnit, DeploymentKind, DeploymentPolicy
    from .serving.endpoint import InstancePoolEndpoint
    from .serving.endpoint_base import IInstancePoolEndpoint
    from .serving.model import IModel, Model
    from .serving.pools import InstancePool, PrefixAwareRouting, RoutingStrategy
    from .serving.scaling import WeightedUtilizationScaling


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
