"""AWS CDK constructs for generative-AI inference on Amazon SageMaker AI."""

from .alarms import RollbackAlarms
from .deployment import CapacitySize, CapacityUnit, DeploymentPolicy
from .endpoint import (
    AsyncInference,
    IInstancePoolEndpoint,
    InferenceComponents,
    InstancePoolEndpoint,
    WeightedUtilizationScaling,
)
from .errors import ValidationError
from .model import IModel, Model
from .pools import InstancePool, RoutingStrategy

__all__ = [
    "AsyncInference",
    "CapacitySize",
    "CapacityUnit",
    "DeploymentPolicy",
    "IInstancePoolEndpoint",
    "IModel",
    "InferenceComponents",
    "InstancePool",
    "InstancePoolEndpoint",
    "Model",
    "RollbackAlarms",
    "RoutingStrategy",
    "ValidationError",
    "WeightedUtilizationScaling",
]
