"""Valid values read from the installed botocore SageMaker service model, not hand-copied lists."""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session


@cache
def _model() -> Any:
    return botocore.session.get_session().get_service_model("sagemaker")


def enum(shape_name: str) -> frozenset[str]:
    """The allowed strings of a SageMaker enum shape, e.g. ``ProductionVariantInstanceType``."""
    return frozenset(_model().shape_for(shape_name).enum)


def members(shape_name: str) -> frozenset[str]:
    """The member names of a SageMaker structure shape, e.g. ``ProductionVariant``."""
    return frozenset(_model().shape_for(shape_name).members)


def hosting_instance_types() -> frozenset[str]:
    """Instance types a real-time or asynchronous endpoint variant (and its pools) accepts."""
    return enum("ProductionVariantInstanceType")


def recommendation_instance_types() -> frozenset[str]:
    """Instance types an AI recommendation job accepts in ``ComputeSpec.InstanceTypes``."""
    return enum("AIRecommendationInstanceType")


def name_rule(shape_name: str) -> tuple[str, int]:
    """The regular expression and maximum length of a SageMaker name shape, e.g. ``EndpointName``."""
    metadata = _model().shape_for(shape_name).metadata
    return metadata["pattern"], metadata["max"]


def maximum(shape_name: str) -> int:
    """The ``max`` of a SageMaker shape: a string's length, a list's or map's entries, a number's value."""
    return int(_model().shape_for(shape_name).metadata["max"])


def operation(name: str) -> Any:
    """The botocore operation model, e.g. ``CreateAIRecommendationJob``."""
    return _model().operation_model(name)
