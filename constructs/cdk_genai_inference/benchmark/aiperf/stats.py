"""Repeated runs: AIPerf's aggregate over its profile runs and the collated per-request pool.

``--num-profile-runs N`` writes ``profile_runs/run_000K/profile_export_aiperf.json`` per run (in a
sweep ``profile_runs/trial_000K/concurrency_C/``) and ``aggregate/[concurrency_C/]profile_export_aiperf_aggregate.json``
(schema "1.0"): ``metadata`` (``aggregation_type`` "confidence", ``num_profile_runs``,
``num_successful_runs``, ``failed_runs``, ``confidence_level``) and ``metrics.<tag>_<stat>`` =
``{mean, std, min, max, cv, se, ci_low, ci_high, t_critical, unit}``: a Student-t interval of the mean of
the runs' values. With convergence and records export also ``aggregate/profile_export_aiperf_collated.json``
(schema "1.0.0"): ``metrics.<tag>.combined`` = percentiles of every request of every run pooled.
Unknown fields are ignored; any statistic may be missing or null.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .figures import HEADLINE, LATENCIES, TO_MS, Estimate, ResultsError

AGGREGATE = "profile_export_aiperf_aggregate.json"
COLLATED = "profile_export_aiperf_collated.json"


def number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True)
class Aggregate:
    """Statistics over the runs' summary values, keyed ``<tag>_<stat>`` (``time_to_first_token_p99``)."""

    metrics: dict[str, dict[str, Any]]
    num_profile_runs: int | None = None
    num_successful_runs: int | None = None
    confidence_level: float | None = None
    failed_runs: list[Any] = field(default_factory=list)
    aggregation_type: str | None = None
    schema_version: str | None = None
    aiperf_version: str | None = None

    @property
    def runs(self) -> int:
        """Runs the statistics are over (the successful ones)."""
        if self.num_successful_runs is not None:
            return self.num_successful_runs
        return (self.num_profile_runs or 0) - len(self.failed_runs)

    def estimate(self, tag: str, stat: str) -> Estimate | None:
        """The mean over the runs of ``stat`` of ``tag`` with its interval, in the unit AIPerf wrote."""
        entry = self.metrics.get(f"{tag}_{stat}")
        if not isinstance(entry, dict):
            return None
        mean = number(entry.get("mean"))
        if mean is None:
            return None
        low, high = number(entry.get("ci_low")), number(entry.get("ci_high"))
        if low is None or high is None or self.runs < 2:
            low = high = None
        return Estimate(
            mean,
            runs=self.runs,
            low=low,
            high=high,
            confidence=self.confidence_level if low is not None else None,
            std=number(entry.get("std")),
            cv=number(entry.get("cv")),
        )

    def unit(self, tag: str, stat: str) -> str:
        entry = self.metrics.get(f"{tag}_{stat}")
        return str(entry.get("unit", "ms")).lower() if isinstance(entry, dict) else "ms"

    def figures(self) -> dict[str, Estimate | None]:
        """The headline figures over the runs (latencies in ms, the error rate a fraction); None where
        the aggregate lacks one (the caller falls back to the runs)."""
        result: dict[str, Estimate | None] = {}
        for name, (tag, stat) in HEADLINE.items():
            estimate = self.estimate(tag, stat)
            if estimate is not None and name in LATENCIES:
                unit = self.unit(tag, stat)
                if unit not in TO_MS:
                    raise ResultsError(f"aggregate: {tag}_{stat} is in {unit!r}, not a time unit this reader knows")
                estimate = estimate.scaled(TO_MS[unit])
            result[name] = estimate
        rate = self.estimate("request_error_rate", "avg")  # AIPerf 0.13: percent
        result["ErrorRate"] = rate.scaled(0.01) if rate is not None else None
        # Not the error count: AIPerf writes none for a run without errors, and aggregates a metric over the
        # runs that have it, so its mean would be over the runs that failed requests only.
        result["ErrorCount"] = None
        result["RequestCount"] = self.estimate("request_count", "avg")
        return result


@dataclass(frozen=True)
class Collated:
    """Every request of every run pooled: ``metrics.<tag>.combined`` with mean, std, p50-p99 and count."""

    metrics: dict[str, dict[str, Any]]
    runs: int | None = None

    def combined(self, tag: str, stat: str) -> float | None:
        entry = self.metrics.get(tag)
        combined = entry.get("combined") if isinstance(entry, dict) else None
        return number(combined.get("avg" if stat == "mean" else stat)) if isinstance(combined, dict) else None

    def per_run_means(self, tag: str) -> list[float]:
        entry = self.metrics.get(tag)
        runs = entry.get("per_run") if isinstance(entry, dict) else None
        values = [number(run.get("mean")) for run in runs or [] if isinstance(run, dict)]
        return [v for v in values if v is not None]


def read_aggregate(path: str, document: Any) -> Aggregate:
    if not isinstance(document, dict) or not isinstance(document.get("metrics"), dict):
        raise ResultsError(f"{path} does not hold an AIPerf aggregate (no metrics object)")
    meta: dict[str, Any] = document["metadata"] if isinstance(document.get("metadata"), dict) else {}
    failed = meta.get("failed_runs")
    runs, successful = number(meta.get("num_profile_runs")), number(meta.get("num_successful_runs"))
    return Aggregate(
        metrics={k: v for k, v in document["metrics"].items() if isinstance(v, dict)},
        num_profile_runs=int(runs) if runs is not None else None,
        num_successful_runs=int(successful) if successful is not None else None,
        confidence_level=number(meta.get("confidence_level")),
        failed_runs=list(failed) if isinstance(failed, list) else [],
        aggregation_type=meta.get("aggregation_type"),
        schema_version=str(document["schema_version"]) if document.get("schema_version") else None,
        aiperf_version=document.get("aiperf_version"),
    )


def read_collated(path: str, document: Any) -> Collated:
    if not isinstance(document, dict) or not isinstance(document.get("metrics"), dict):
        raise ResultsError(f"{path} does not hold an AIPerf collation (no metrics object)")
    meta: dict[str, Any] = document["metadata"] if isinstance(document.get("metadata"), dict) else {}
    runs = number(meta.get("num_successful_runs"))
    return Collated(
        {k: v for k, v in document["metrics"].items() if isinstance(v, dict)}, int(runs) if runs is not None else None
    )
