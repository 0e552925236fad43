"""``BenchmarkBaseline``: compare a benchmark with the last accepted run of the same endpoint."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import ArnFormat, Stack

from constructs import Construct

from .._core.validation import check_range, unresolved
from ..errors import ValidationError
from ..jobs.provider import AiJobsProvider
from .aiperf import COMPARABLE, THROUGHPUTS

PARAMETER_ROOT = "/cdk-genai-inference/baselines"
PARAMETER_PATTERN = re.compile(r"^/[A-Za-z0-9_.\-/]{1,1010}$")
BASELINE_ACTIONS = ("ssm:GetParameter", "ssm:PutParameter", "ssm:DeleteParameter")
"""Read it, replace it when a run is accepted, and remove it when a first run's deployment rolls back."""


@dataclass(frozen=True)
class BenchmarkBaseline:
    """Fail the deployment when a figure is worse than the baseline's by more than its tolerance.

    The baseline is the last accepted run of the same endpoint: the figures (with their intervals and
    run counts) of the last benchmark whose deployment step passed, kept as one JSON document in an SSM
    parameter. The first run finds none and establishes it. Where both sides have intervals, only a
    difference the intervals show is a regression (see ``aiperf.baseline``).

    Args:
        tolerances: Figure name -> how much worse it may be, as a fraction: ``{"TimeToFirstTokenP99": 0.10}``
            allows 10 % more latency; ``{"OutputTokenThroughput": 0.05}`` 5 % less throughput.
        parameter_name: The SSM parameter (String, standard tier) holding the baseline.
            Default: - ``/cdk-genai-inference/baselines/<endpoint name>`` for a ``BenchmarkJob``;
            required for results of an imported job
    """

    tolerances: Mapping[str, float] = field(default_factory=dict)
    parameter_name: str | None = None

    def validate(self, arg: str, *, needs_name: bool) -> None:
        if not self.tolerances:
            raise ValidationError(f"{arg}.tolerances needs at least one figure, e.g. {{'TimeToFirstTokenP99': 0.1}}")
        for metric, tolerance in self.tolerances.items():
            if metric not in COMPARABLE:
                raise ValidationError(
                    f"{arg}.tolerances got {metric!r}, which is not a figure a baseline compares; allowed: "
                    f"{', '.join(COMPARABLE)} (bound errors with the sla's max_error_rate)"
                )
            check_range(f"{arg}.tolerances[{metric!r}]", tolerance, 0, None)
            if metric in THROUGHPUTS and not unresolved(tolerance) and tolerance >= 1:
                raise ValidationError(
                    f"{arg}.tolerances[{metric!r}] must be below 1 (a throughput cannot fall by 100 % or more), "
                    f"got {tolerance:g}"
                )
        name = self.parameter_name
        if name is None:
            if needs_name:
                raise ValidationError(
                    f"{arg}.parameter_name is needed for the results of an imported job (no endpoint to name the "
                    "baseline after), e.g. '/cdk-genai-inference/baselines/my-endpoint'"
                )
            return
        if unresolved(name):
            return
        if not PARAMETER_PATTERN.match(name) or name.lower().startswith(("/aws", "/ssm")):
            raise ValidationError(
                f"{arg}.parameter_name must be an SSM parameter path: '/' then letters, digits, '_', '.', '-' "
                f"and '/', at most 1011 characters, not under /aws or /ssm, got {name!r}"
            )

    def settings(self) -> dict[str, Any]:
        """As the results handler reads them."""
        return {"ParameterName": self.parameter_name, "Tolerances": dict(self.tolerances)}


def default_parameter_name(endpoint_name: str) -> str:
    return f"{PARAMETER_ROOT}/{endpoint_name}"


def grant_baseline(scope: Construct, provider: AiJobsProvider, parameter_name: str) -> str:
    """Allow the handlers ``BASELINE_ACTIONS`` on exactly this parameter; returns its ARN."""
    arn = Stack.of(scope).format_arn(
        service="ssm",
        resource="parameter",
        resource_name=parameter_name.removeprefix("/"),  # the ARN holds the path without its leading slash
        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
    )
    provider.grant_through_delete(scope, list(BASELINE_ACTIONS), [arn])
    return arn
