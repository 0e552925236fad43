"""The weighted-utilization metric-math expression for a mixed-instance fleet.

Each pool ``i`` reports ``c_i``, the average concurrent requests per instance (or per copy) of its
instance type, and sustains ``m_i`` per instance; ``w_i`` is its scaling weight (default 1).
The expression is

    (sum_i w_i * FILL(c_i, 0) / m_i) / (sum_i w_i * FILL(c_i * 0 + 1, 0))

The numerator is the weighted sum of the per-pool utilizations ``c_i / m_i``. The denominator counts
(with weights) only the pools that report data: ``c_i * 0 + 1`` is 1 wherever ``c_i`` has a datapoint
and missing wherever it has none, and ``FILL(..., 0)`` turns that gap into 0. An empty fallback pool
therefore drops out of both sums instead of diluting the result, which is the weighted mean
utilization of the pools that have instances. With every pool empty the denominator is 0, CloudWatch
drops the datapoint, and target tracking does nothing (it never reads "no data" as idle).

The result is the same whether CloudWatch treats a missing operand as 0 (its documented rule for
arithmetic between time series) or as missing: every missing value meets a ``FILL`` before any
arithmetic with another series.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Tokenization

from ._validate import unresolved
from .errors import ValidationError

MAX_METRICS_PER_EXPRESSION = 10
"""CloudWatch metric-math alarms (which target tracking creates) read at most 10 metrics."""

MAX_EXPRESSION_LENGTH = 2048
"""Application Auto Scaling's limit on one ``Expression``."""

ID_PATTERN = re.compile(r"^[a-z][a-zA-Z0-9_]*$")
"""Metric data query ids: letters, digits and underscores, starting lower-case."""

TOKEN_PLACEHOLDER_LENGTH = 12
"""Characters assumed for a deploy-time number when checking the expression length."""


@dataclass(frozen=True)
class UtilizationTerm:
    """One pool's contribution: its metric id, instance type, capacity and weight."""

    metric_id: str
    instance_type: str
    max_concurrency: float
    weight: float = 1.0


def metric_id(instance_type: str, position: int) -> str:
    """A readable metric-math id for a pool, e.g. ``p5_48xlarge`` for ``ml.p5.48xlarge``."""
    if unresolved(instance_type):
        return f"pool{position}"
    name = re.sub(r"[^a-zA-Z0-9]+", "_", instance_type.removeprefix("ml."))
    return name if ID_PATTERN.match(name) else f"pool{position}_{name}".lower()


def weighted_utilization_expression(terms: Sequence[UtilizationTerm]) -> str:
    """Render the expression for ``terms`` after checking the service limits."""
    if not terms:
        raise ValidationError("weighted utilization needs at least one instance pool, got none")
    if len(terms) > MAX_METRICS_PER_EXPRESSION:
        raise ValidationError(
            f"weighted utilization reads one metric per pool and CloudWatch allows at most "
            f"{MAX_METRICS_PER_EXPRESSION} metrics in one expression, got {len(terms)}"
        )
    for term in terms:
        if not ID_PATTERN.match(term.metric_id):
            raise ValidationError(
                f"metric id {term.metric_id!r} must start with a lower-case letter and contain "
                "only letters, digits and underscores"
            )
    numerator = " + ".join(_scaled(f"FILL({t.metric_id},0)", t.weight, t.max_concurrency) for t in terms)
    presence = " + ".join(_scaled(f"FILL({t.metric_id}*0+1,0)", t.weight, None) for t in terms)
    expression = f"({numerator}) / ({presence})"
    length = expression_length(expression)
    if length > MAX_EXPRESSION_LENGTH:
        raise ValidationError(
            f"the weighted utilization expression would be {length} characters and "
            f"Application Auto Scaling allows at most {MAX_EXPRESSION_LENGTH}"
        )
    return expression


def expression_length(expression: str) -> int:
    """Length of the expression once deploy-time numbers resolve (estimated for tokens)."""
    return len(re.sub(r"\$\{Token\[[^\]]*\]\}", "x" * TOKEN_PLACEHOLDER_LENGTH, expression))


def _scaled(series: str, weight: float, divisor: float | None) -> str:
    text = series if weight == 1 else f"{series}*{format_number(weight)}"
    return text if divisor is None else f"{text}/{format_number(divisor)}"


def format_number(value: float) -> str:
    """A number as metric math writes it; deploy-time numbers stay tokens inside the string."""
    if unresolved(value):
        return Tokenization.stringify_number(value)
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.6g}"


__all__ = [
    "MAX_EXPRESSION_LENGTH",
    "MAX_METRICS_PER_EXPRESSION",
    "UtilizationTerm",
    "metric_id",
    "weighted_utilization_expression",
]
