"""AWS CDK constructs for generative-AI inference on Amazon SageMaker AI."""

from .alarms import RollbackAlarms
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
    "AsyncInference",
    "CapacitySize",
    "CapacityUnit",
    "DeploymentKind",
    "DeploymentPolicy",
    "Framework",
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
    "RollbackAlarms",
    "RoutingStrategy",
    "S3Location",
    "SlaSearch",
    "TokenDistribution",
    "ValidationError",
    "WeightedUtilizationScaling",
    "WorkloadConfig",
]
