"""Repeated profile runs and convergence: AIPerf 0.13's ``--num-profile-runs`` family as typed options.

They render to the snake_case of their CLI flags (``--num-profile-runs`` -> ``num_profile_runs``), the rule
every documented workload parameter follows. The SageMaker documentation does not list them: whether the
managed benchmark job accepts them is unverified (``UNDOCUMENTED_PARAMETERS``), so a synth warning says so.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration

from .._core.validation import check_choice, check_duration, check_range, unresolved
from ..errors import ValidationError

CONVERGENCE_STATISTICS = ("avg", "p50", "p90", "p95", "p99", "min", "max")
"""``--convergence-stat`` choices of AIPerf 0.13.0."""
STREAMING_METRICS = frozenset(
    {"time_to_first_token", "inter_token_latency", "time_to_second_token", "output_token_throughput_per_user"}
)
METRIC_TAG = re.compile(r"^[a-z][a-z0-9_]*$")
MAX_PROFILE_RUNS = 10
"""AIPerf 0.13.0 runs 1 to 10 profile runs."""
UNDOCUMENTED_PARAMETERS = frozenset(
    {
        "num_profile_runs",
        "confidence_level",
        "profile_run_cooldown_seconds",
        "profile_run_disable_warmup_after_first",
        "convergence_metric",
        "convergence_mode",
        "convergence_threshold",
        "convergence_stat",
    }
)
"""What ``repeated_runs`` renders: AIPerf 0.13 options the SageMaker documentation does not list."""


class ConvergenceMode(enum.Enum):
    """How AIPerf decides that repeated runs have converged (``--convergence-mode``)."""

    CI_WIDTH = "ci_width"
    """The confidence interval's width relative to the mean is below the threshold (default 0.10)."""
    CV = "cv"
    """The coefficient of variation (std / mean) is below the threshold (default 0.05)."""
    DISTRIBUTION = "distribution"
    """A Kolmogorov-Smirnov test finds the latest run's requests distributed like the earlier runs'
    (p-value above the threshold, default 0.05). Needs per-request records, AIPerf's default export."""


@dataclass(frozen=True)
class Convergence:
    """Stop repeating once a metric is stable (AIPerf's adaptive mode): ``RepeatedRuns.count`` becomes
    the most runs.

    Args:
        metric: AIPerf metric tag, e.g. ``time_to_first_token`` or ``request_latency``.
        mode: Default: ConvergenceMode.CI_WIDTH
        threshold: ci_width: the largest interval width as a fraction of the mean; cv: the largest
            coefficient of variation; distribution: the KS test's p-value. Default: - AIPerf's per mode
        statistic: Which statistic of the metric: avg, p50, p90, p95, p99, min or max (ci_width and cv
            only). Default: - avg
    """

    metric: str
    mode: ConvergenceMode = ConvergenceMode.CI_WIDTH
    threshold: float | None = None
    statistic: str | None = None


@dataclass(frozen=True)
class RepeatedRuns:
    """Run the profile several times: each figure becomes the mean over the runs with a Student-t
    confidence interval, which the SLA gate and the baseline comparison can judge.

    Args:
        count: Profile runs, 2 to 10 (with ``convergence``, the most).
        confidence_level: Of the intervals, between 0 and 1. Default: - 0.95
        cooldown: Pause between runs, in whole seconds. Default: - none
        warmup_first_run_only: Warm up before the first run only (steady-state runs), or before every run
            (False). Default: - the first only (AIPerf's default)
        convergence: Stop early once a metric is stable. Default: - every run runs
    """

    count: int
    confidence_level: float | None = None
    cooldown: Duration | None = None
    warmup_first_run_only: bool | None = None
    convergence: Convergence | None = None

    def parameters(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "num_profile_runs": self.count,
            "confidence_level": self.confidence_level,
            "profile_run_cooldown_seconds": int(self.cooldown.to_seconds()) if self.cooldown is not None else None,
            "profile_run_disable_warmup_after_first": self.warmup_first_run_only,
        }
        if self.convergence is not None:
            values |= {
                "convergence_metric": self.convergence.metric,
                "convergence_mode": self.convergence.mode.value,
                "convergence_threshold": self.convergence.threshold,
                "convergence_stat": self.convergence.statistic,
            }
        return {k: v for k, v in values.items() if v is not None}


def check_repeated_runs(runs: RepeatedRuns, streaming: bool | None) -> None:
    check_range("repeated_runs.count", runs.count, 2, MAX_PROFILE_RUNS)
    level = runs.confidence_level
    if level is not None and not unresolved(level) and not 0 < level < 1:
        raise ValidationError(
            f"repeated_runs.confidence_level must be between 0 and 1 (exclusive), e.g. 0.95, got {level:g}"
        )
    check_duration("repeated_runs.cooldown", runs.cooldown, 0, None)
    convergence = runs.convergence
    if convergence is None:
        return
    if not unresolved(convergence.metric) and not METRIC_TAG.match(convergence.metric):
        raise ValidationError(
            "repeated_runs.convergence.metric must be an AIPerf metric tag such as time_to_first_token or "
            f"request_latency, got {convergence.metric!r}"
        )
    if streaming is False and convergence.metric in STREAMING_METRICS:
        raise ValidationError(
            f"repeated_runs.convergence.metric {convergence.metric!r} needs streaming responses; streaming is False"
        )
    if not isinstance(convergence.mode, ConvergenceMode):
        raise ValidationError(
            f"repeated_runs.convergence.mode must be a ConvergenceMode ({', '.join(m.name for m in ConvergenceMode)}), "
            f"got {convergence.mode!r}"
        )
    threshold = convergence.threshold
    if convergence.mode is ConvergenceMode.DISTRIBUTION:
        if threshold is not None and not unresolved(threshold) and not 0 < threshold < 1:
            raise ValidationError(
                "repeated_runs.convergence.threshold is a p-value in distribution mode, between 0 and 1 "
                f"(exclusive), got {threshold:g}"
            )
        if convergence.statistic is not None:
            raise ValidationError(
                "repeated_runs.convergence.statistic applies to the ci_width and cv modes; distribution mode "
                f"compares whole distributions, got statistic {convergence.statistic!r}"
            )
    elif threshold is not None and not unresolved(threshold) and threshold <= 0:
        raise ValidationError(
            f"repeated_runs.convergence.threshold must be positive (a fraction of the mean), got {threshold:g}"
        )
    check_choice("repeated_runs.convergence.statistic", convergence.statistic, CONVERGENCE_STATISTICS, "statistic")


def check_tooling_for_repeated_runs(runs: RepeatedRuns | None, version: str | None) -> None:
    """The options are AIPerf 0.13's; 0.13.0 also refuses distribution mode whatever the export level."""
    if runs is None or version is None or unresolved(version):
        return
    match = re.match(r"^(\d+)\.(\d+)(?:\.(\d+))?", version)
    if match is None:
        return
    major, minor = int(match[1]), int(match[2])
    if (major, minor) < (0, 13):
        raise ValidationError(
            f"repeated_runs needs AIPerf 0.13 or later (the version whose options it renders), "
            f"got tooling_version {version!r}"
        )
    convergence = runs.convergence
    if convergence is not None and convergence.mode is ConvergenceMode.DISTRIBUTION and version.startswith("0.13."):
        raise ValidationError(
            f"repeated_runs.convergence.mode DISTRIBUTION does not run on AIPerf {version}: it refuses the mode "
            "whatever the export level; use CI_WIDTH or CV, or a later tooling_version"
        )
