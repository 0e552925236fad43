"""AWS CDK constructs for generative-AI inference on Amazon SageMaker AI."""

from .benchmark.job import BenchmarkJob, BenchmarkNetwork
from .benchmark.results import (
    HEADLINE_FIGURES,
    BenchmarkResults,
    BenchmarkSla,
    CapacityMeasurement,
    IBenchmarkJob,
    ResultsPublishing,
)
from .errors import ValidationError
from .jobs.mlflow import MlflowTracking
from .jobs.s3 import S3Location
from .jobs.wait import JobWait
from .jobs.workload import IWorkloadConfig, SlaSearch, TokenDistribution, WorkloadConfig
from .recommendation.job import Framework, IRecommendationJob, LoraAdapter, RecommendationGoal, RecommendationJob
from .recommendation.models import PoolOrder, RecommendedModels, ResolvedPool
from .serving.alarms import RollbackAlarms
from .serving.deployment import CapacitySize, CapacityUnit, DeploymentKind, DeploymentPolicy
from .serving.endpoint import (
    AsyncInference,
    IInstancePoolEndpoint,
    InferenceComponents,
    InstancePoolEndpoint,
    WeightedUtilizationScaling,
)
from .serving.model import IModel, Model
from .serving.pools import InstancePool, PrefixAwareRouting, RoutingStrategy

__all__ = [
    "HEADLINE_FIGURES",
    "AsyncInference",
    "BenchmarkJob",
    "BenchmarkNetwork",
    "BenchmarkResults",
    "BenchmarkSla",
    "CapacityMeasurement",
    "CapacitySize",
    "CapacityUnit",
    "DeploymentKind",
    "DeploymentPolicy",
    "Framework",
    "IBenchmarkJob",
    "IInstancePoolEndpoint",
    "IModel",
    "IRecommendationJob",
    "IWorkloadConfig",
    "InferenceComponents",
    "InstancePool",
    "InstancePoolEndpoint",
    "JobWait",
    "LoraAdapter",
    "MlflowTracking",
    "Model",
    "PoolOrder",
    "PrefixAwareRouting",
    "RecommendationGoal",
    "RecommendationJob",
    "RecommendedModels",
    "ResolvedPool",
    "ResultsPublishing",
    "RollbackAlarms",
    "RoutingStrategy",
    "S3Location",
    "SlaSearch",
    "TokenDistribution",
    "ValidationError",
    "WeightedUtilizationScaling",
    "WorkloadConfig",
]
