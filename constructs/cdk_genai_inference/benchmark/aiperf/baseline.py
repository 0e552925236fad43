"""Regression against a baseline: the figures of the last accepted run, kept as one JSON document.

A figure regresses when it is worse than the baseline's by more than its tolerance (a fraction:
0.10 = 10 %). Where both sides have a confidence interval, only a difference the intervals show counts:
a latency regresses when the candidate's lower bound lies above the baseline's upper bound times
(1 + tolerance); a throughput when the candidate's upper bound lies below the baseline's lower bound
times (1 - tolerance). Otherwise the means (or single values) are compared the same way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .figures import FIGURES, LOWER_IS_BETTER, Estimate, ResultsError
from .gate import Verdict

VERSION = 1
COMPARABLE = tuple(name for name in FIGURES if name not in ("ErrorCount", "ErrorRate", "RequestCount"))
"""Figures a tolerance may name: latencies and throughputs (errors are for the SLA's ``max_error_rate``)."""


@dataclass(frozen=True)
class Baseline:
    """The accepted run a benchmark is compared with, and the one before it (restored when the
    deployment that accepted this one rolls back)."""

    job: str
    figures: dict[str, Estimate]
    workload: str | None = None
    accepted: str | None = None
    previous: Baseline | None = None

    def to_json(self, *, nested: bool = False) -> dict[str, Any]:
        document: dict[str, Any] = {
            "version": VERSION,
            "job": self.job,
            "workload": self.workload,
            "accepted": self.accepted,
            "figures": {name: _estimate_json(e) for name, e in self.figures.items()},
        }
        if self.previous is not None and not nested:
            document["previous"] = self.previous.to_json(nested=True)
        return document

    def dumps(self) -> str:
        return json.dumps(self.to_json(), separators=(",", ":"), sort_keys=True)

    def succeeded_by(
        self, job: str, figures: Mapping[str, Estimate | None], workload: str | None, accepted: str
    ) -> Baseline:
        """The baseline after ``job`` is accepted. A re-read of the same job keeps the one before."""
        previous = self.previous if self.job == job else self.flat()
        return accept(job, figures, workload, accepted, previous)

    def flat(self) -> Baseline:
        return Baseline(self.job, self.figures, self.workload, self.accepted)


def accept(
    job: str,
    figures: Mapping[str, Estimate | None],
    workload: str | None,
    accepted: str,
    previous: Baseline | None = None,
) -> Baseline:
    kept = {name: e for name, e in figures.items() if e is not None}
    return Baseline(job, kept, workload, accepted, previous)


def loads(text: str, where: str = "the baseline") -> Baseline:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ResultsError(f"{where} is not valid JSON: {error}") from error
    return _baseline(document, where)


def _baseline(document: Any, where: str) -> Baseline:
    if not isinstance(document, dict) or not isinstance(document.get("figures"), dict) or "job" not in document:
        raise ResultsError(f"{where} is not a baseline document (it needs job and figures)")
    if document.get("version", VERSION) > VERSION:
        raise ResultsError(f"{where} has version {document['version']}; this library reads up to {VERSION}")
    figures = {}
    for name, entry in document["figures"].items():
        if isinstance(entry, dict) and isinstance(entry.get("mean"), int | float):
            figures[name] = Estimate(
                float(entry["mean"]),
                int(entry.get("runs", 1)),
                entry.get("low"),
                entry.get("high"),
                entry.get("confidence"),
            )
    previous = document.get("previous")
    return Baseline(
        str(document["job"]),
        figures,
        document.get("workload"),
        document.get("accepted"),
        _baseline(previous, f"{where} (previous)") if isinstance(previous, dict) else None,
    )


def _estimate_json(estimate: Estimate) -> dict[str, Any]:
    entry: dict[str, Any] = {"mean": _round(estimate.mean), "runs": estimate.runs}
    if estimate.has_interval:
        entry.update(low=_round(estimate.low), high=_round(estimate.high), confidence=estimate.confidence)
    return entry


def _round(value: float | None) -> float | None:
    return None if value is None else float(f"{value:.6g}")


def regressions(
    candidate: Mapping[str, Estimate | None], baseline: Baseline, tolerances: Mapping[str, float]
) -> Verdict:
    """Compare each toleranced figure with the baseline's. A figure the candidate lacks fails; one the
    baseline lacks is not compared (this run establishes it)."""
    lines = []
    for metric, tolerance in tolerances.items():
        if metric not in COMPARABLE:
            raise ResultsError(f"a tolerance names {metric!r}; allowed: {', '.join(COMPARABLE)}")
        ours, theirs = candidate.get(metric), baseline.figures.get(metric)
        if theirs is None:
            continue
        if ours is None:
            lines.append(f"{metric} was not measured (the baseline from job {baseline.job} has it)")
            continue
        line = _regression(metric, ours, theirs, tolerance, baseline.job)
        if line:
            lines.append(line)
    return Verdict(lines)


def _regression(metric: str, ours: Estimate, theirs: Estimate, tolerance: float, job: str) -> str | None:
    worse_up = metric in LOWER_IS_BETTER
    both = ours.has_interval and theirs.has_interval
    mine = (ours.low if worse_up else ours.high) if both else ours.mean
    reference = (theirs.high if worse_up else theirs.low) if both else theirs.mean
    assert mine is not None and reference is not None
    limit = reference * (1 + tolerance) if worse_up else reference * (1 - tolerance)
    if (mine <= limit) if worse_up else (mine >= limit):
        return None
    direction = "above" if worse_up else "below"
    if both:
        compared = (
            f"its {'lower' if worse_up else 'upper'} bound {mine:.4g} lies {direction} the baseline's "
            f"{'upper' if worse_up else 'lower'} bound {reference:.4g}"
        )
    else:
        compared = (
            f"{'its mean' if ours.runs > 1 else 'its value'} {mine:.4g} lies {direction} the baseline's {reference:.4g}"
        )
    return (
        f"{metric} regressed: {compared} by more than {tolerance * 100:g} % (limit {limit:.4g}); "
        f"now {ours.describe()}, baseline {theirs.describe()} from job {job}"
    )
