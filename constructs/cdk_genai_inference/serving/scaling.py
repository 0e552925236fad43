"""The weighted-utilization metric-math expression for a mixed-instance fleet.

Every instance of pool ``i`` publishes its concurrency (``ConcurrentRequestsPerModel``, or
``ConcurrentRequestsPerCopy`` per copy) to the per-type series of its instance type, and sustains
``m_i`` concurrent requests; ``w_i`` is the pool's scaling weight (default 1). Per evaluation period,
``s_i`` is the ``Sum`` of the samples of that series and ``n_i`` their ``SampleCount``. The expression is

    (sum_i w_i * FILL(s_i, 0) / m_i) / (sum_i w_i * FILL(n_i, 0))

``s_i / m_i`` adds up the utilization of every sample of pool ``i``, and ``n_i`` counts those samples,
so the quotient is the mean utilization over all samples of all instances: the true per-instance
utilization of the fleet that exists, whatever the pools' sizes. Every instance publishes at the same
rate, so a pool with three instances weighs three times a pool with one. An empty fallback pool
publishes nothing; ``FILL(..., 0)`` turns its gap into 0 in both sums, so it neither dilutes the
result nor counts as idle. With every pool empty the denominator is 0, CloudWatch drops the
datapoint, and target tracking does nothing (it never reads "no data" as idle).

The result is the same whether CloudWatch counts a missing operand as 0 (its documented rule for
arithmetic between time series), as missing, or leaves a FILL of a series with no data at all empty:
every missing value meets a ``FILL`` or a sum with reporting pools first.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Tokenization

from .._core.validation import unresolved
from ..errors import ValidationError

MAX_METRICS_PER_EXPRESSION = 10
"""CloudWatch metric-math alarms (which target tracking creates) read at most 10 metrics."""

METRICS_PER_POOL = 2
"""``Sum`` and ``SampleCount`` of the pool's per-type concurrency."""

MAX_EXPRESSION_LENGTH = 2048
"""Application Auto Scaling's limit on one ``Expression``."""

ID_PATTERN = re.compile(r"^[a-z][a-zA-Z0-9_]*$")
"""Metric data query ids: letters, digits and underscores, starting lower-case."""

TOKEN_PLACEHOLDER_LENGTH = 12
"""Characters assumed for a deploy-time number when checking the expression length."""


@dataclass(frozen=True)
class UtilizationTerm:
    """One pool's contribution: its metric-id stem, instance type, capacity and weight."""

    metric_id: str
    instance_type: str
    max_concurrency: float
    weight: float = 1.0

    @property
    def sum_id(self) -> str:
        return f"{self.metric_id}_sum"

    @property
    def count_id(self) -> str:
        return f"{self.metric_id}_n"


def metric_id(instance_type: str, position: int) -> str:
    """A readable metric-math id stem for a pool, e.g. ``p5_48xlarge`` for ``ml.p5.48xlarge``."""
    if unresolved(instance_type):
        return f"pool{position}"
    name = re.sub(r"[^a-zA-Z0-9]+", "_", instance_type.removeprefix("ml."))
    return name if ID_PATTERN.match(name) else f"pool{position}_{name}".lower()


def weighted_utilization_expression(terms: Sequence[UtilizationTerm]) -> str:
    """Render the expression for ``terms`` after checking the service limits."""
    if not terms:
        raise ValidationError("weighted utilization needs at least one instance pool, got none")
    metrics = METRICS_PER_POOL * len(terms)
    if metrics > MAX_METRICS_PER_EXPRESSION:
        raise ValidationError(
            f"weighted utilization reads {METRICS_PER_POOL} metrics per pool and CloudWatch allows at most "
            f"{MAX_METRICS_PER_EXPRESSION} metrics in one expression, got {len(terms)} pools ({metrics} metrics)"
        )
    for term in terms:
        if not ID_PATTERN.match(term.metric_id):
            raise ValidationError(
                f"metric id {term.metric_id!r} must start with a lower-case letter and contain "
                "only letters, digits and underscores"
            )
    numerator = " + ".join(_scaled(f"FILL({t.sum_id},0)", t.weight, t.max_concurrency) for t in terms)
    samples = " + ".join(_scaled(f"FILL({t.count_id},0)", t.weight, None) for t in terms)
    expression = f"({numerator}) / ({samples})"
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
    """A plain decimal as metric math reads it (never exponent notation); tokens stay tokens."""
    if unresolved(value):
        return Tokenization.stringify_number(value)
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.9f}".rstrip("0").rstrip(".")
