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
from .model import IModel, Model
from .pools import InstancePool, PrefixAwareRouting, RoutingStrategy

__all__ = [
    "AsyncInference",
    "CapacitySize",
    "CapacityUnit",
    "DeploymentKind",
    "DeploymentPolicy",
    "IInstancePoolEndpoint",
    "IModel",
    "InferenceComponents",
    "InstancePool",
    "InstancePoolEndpoint",
    "Model",
    "PrefixAwareRouting",
    "RollbackAlarms",
    "RoutingStrategy",
    "ValidationError",
    "WeightedUtilizationScaling",
]
