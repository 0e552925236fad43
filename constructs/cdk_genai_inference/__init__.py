"""AWS CDK constructs for generative-AI inference on Amazon SageMaker AI."""

from .alarms import RollbackAlarms
from .benchmark import (
    HEADLINE_FIGURES,
    BenchmarkJob,
    BenchmarkNetwork,
    BenchmarkResults,
    BenchmarkSla,
    CapacityMeasurement,
    IBenchmarkJob,
    ResultsPublishing,
)
from .deployment import CapacitySize, CapacityUnit, DeploymentKind, DeploymentPolicy
from .endpoint import (
    AsyncInference,
    IInstancePoolEndpoint,
    InferenceComponents,
    InstancePoolEndpoint,
    WeightedUtilizationScaling,
)
from .errors import ValidationError
from .jobs import JobWait, MlflowTracking, S3Location
from .model import IModel, Model
from .pools import InstancePool, PrefixAwareRouting, RoutingStrategy
from .recommendation import (
    Framework,
    IRecommendationJob,
    LoraAdapter,
    PoolOrder,
    RecommendationGoal,
    RecommendationJob,
    RecommendedModels,
    ResolvedPool,
)
from .workload import IWorkloadConfig, SlaSearch, TokenDistribution, WorkloadConfig

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
