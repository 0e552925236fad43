"""The reference app's configuration: ``cdk.json`` context, overridable with ``-c key=value``."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

from cdk_genai_inference import ValidationError
from constructs import Node

PREFIX = "serving:"


@dataclass(frozen=True)
class ServingConfig:
    """Settings of the reference serving stack; each is the context key ``serving:<name>``."""

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

    @classmethod
    def from_context(cls, node: Node) -> ServingConfig:
        """Read every setting; values given with ``-c`` arrive as strings and are parsed as JSON."""
        values: dict[str, Any] = {}
        for field in fields(cls):
            key = PREFIX + field.name
            raw = node.try_get_context(key)
            if raw is None:
                raise ValidationError(f"context key {key!r} is missing; add it to cdk.json or pass -c {key}=...")
            values[field.name] = _parse(key, raw, field.type)
        return cls(**values)


def _parse(key: str, raw: Any, annotation: Any) -> Any:
    if isinstance(raw, str) and annotation != "str":
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ValidationError(f"context key {key!r} must be JSON ({annotation}), got {raw!r}") from error
    types: dict[str, type | tuple[type, ...]] = {
        "str": str,
        "int": int,
        "float": (int, float),
        "list[dict[str, Any]]": list,
    }
    expected = types[annotation]
    if not isinstance(raw, expected) or isinstance(raw, bool):
        raise ValidationError(f"context key {key!r} must be {annotation}, got {raw!r}")
    return raw
