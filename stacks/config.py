"""The reference app's configuration: ``cdk.json`` context, overridable with ``-c key=value``."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any, Self

from cdk_genai_inference import ValidationError
from constructs import Node

_TYPES: dict[str, type | tuple[type, ...]] = {
    "str": str,
    "int": int,
    "float": (int, float),
    "list[str]": list,
    "list[int]": list,
    "list[dict[str, Any]]": list,
}


class _FromContext:
    """Reads each dataclass field from the context key ``<PREFIX><field>``."""

    PREFIX = ""

    @classmethod
    def from_context(cls, node: Node) -> Self:
        """Read every setting; values given with ``-c`` arrive as strings and are parsed as JSON."""
        values: dict[str, Any] = {}
        for field in fields(cls):  # type: ignore[arg-type]
            key = cls.PREFIX + field.name
            raw = node.try_get_context(key)
            if raw is None:
                raise ValidationError(f"context key {key!r} is missing; add it to cdk.json or pass -c {key}=...")
            values[field.name] = _parse(key, raw, str(field.type))
        return cls(**values)


@dataclass(frozen=True)
class ServingConfig(_FromContext):
    """Settings of the reference serving stacks; each is the context key ``serving:<name>``."""

    PREFIX = "serving:"

    endpointName: str
    imageUri: str
    modelDataUrl: str
    pools: list[dict[str, Any]]
    initialInstanceCount: int
    minCapacity: int
    maxCapacity: int
    targetUtilization: float
    provisioningTimeoutSeconds: int
    deployment: str
    rollingBatchPercent: int
    bakeMinutes: int
    errorRatePercent: float
    modelLatencyP90Ms: int


@dataclass(frozen=True)
class RecommendationConfig(_FromContext):
    """Settings of the reference recommendation flow; each is the context key ``recommendation:<name>``."""

    PREFIX = "recommendation:"

    modelSourceUri: str
    outputUri: str
    instanceTypes: list[str]
    goal: str
    inputTokensMean: int
    inputTokensStddev: float
    outputTokensMean: int
    outputTokensStddev: float
    concurrency: list[int]
    waitHours: int
    jobNamePrefix: str
    runToken: str
    """A new value starts a new job of the same definition (empty: none), e.g. once the weights are in place."""


@dataclass(frozen=True)
class BenchmarkConfig(_FromContext):
    """The benchmark gate of the reference serving stack; each is the context key ``benchmark:<name>``."""

    PREFIX = "benchmark:"

    outputUri: str
    inputTokensMean: int
    outputTokensMean: int
    concurrency: list[int]
    requestLatencyP99Ms: float
    timeToFirstTokenP90Ms: float
    minOutputTokensPerSecond: float
    maxErrorRate: float
    waitHours: int


@dataclass(frozen=True)
class PipelineConfig(_FromContext):
    """The reference delivery pipeline; each is the context key ``pipeline:<name>``."""

    PREFIX = "pipeline:"

    repository: str
    branch: str
    connectionArn: str
    region: str
    pipelineAccount: str
    stagingAccount: str
    productionAccount: str
    runToken: str
    modelName: str


def _parse(key: str, raw: Any, annotation: str) -> Any:
    if isinstance(raw, str) and annotation != "str":
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ValidationError(f"context key {key!r} must be JSON ({annotation}), got {raw!r}") from error
    if not isinstance(raw, _TYPES[annotation]) or isinstance(raw, bool):
        raise ValidationError(f"context key {key!r} must be {annotation}, got {raw!r}")
    return raw
