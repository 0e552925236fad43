"""The SLA gate: each threshold judged on a figure's value, its mean over repeated runs, or the
conservative bound of its confidence interval; and the concurrency a sweep or search sustains."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from .figures import Estimate, ResultsError
from .profiles import BenchmarkOutput, Level, Run

REPEAT_HINT = "WorkloadConfig(repeated_runs=RepeatedRuns(count=3 or more))"


@dataclass(frozen=True)
class Threshold:
    """One SLA bound: ``metric`` (a headline figure name) must be at most / at least ``limit``.

    ``on_bound`` judges the conservative end of the figure's confidence interval instead of its mean:
    the upper bound under a maximum (a latency), the lower bound over a minimum (a throughput).
    """

    metric: str
    limit: float
    at_most: bool = True
    on_bound: bool = False

    def describe(self) -> str:
        return f"{self.metric} {'<=' if self.at_most else '>='} {self.limit:g}"

    @property
    def side(self) -> str:
        return "upper" if self.at_most else "lower"

    def breached_by(self, value: float) -> bool:
        """Equality passes."""
        return value > self.limit if self.at_most else value < self.limit


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: each breach, regression or missing metric is a line of the message."""

    breaches: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.breaches

    def message(self, subject: str, what: str = "breaches its SLA") -> str:
        return f"{subject} {what}: " + "; ".join(self.breaches)


def gate(subject: Run | Level, thresholds: Iterable[Threshold]) -> Verdict:
    """Check every threshold; a metric the run does not have is a failure, never a silent pass, and
    so is a threshold on the bound of a figure without an interval. A level of repeated runs that AIPerf
    did not aggregate passes only if each of its runs does."""
    level = subject if isinstance(subject, Level) else Level(subject.concurrency, [subject])
    limits = list(thresholds)
    incomplete = [run.label for run in level.runs if not run.complete]
    breaches = (
        [f"{', '.join(incomplete)} did not complete (AIPerf marked it cancelled or incomplete)"] if incomplete else []
    )
    if level.failed_runs and level.aggregate is not None:
        total = level.aggregate.num_profile_runs or level.aggregate.runs + level.failed_runs
        breaches.append(f"{level.failed_runs} of {total} profile runs failed")
    if level.aggregate is None and len(level.runs) > 1:
        for run in level.runs:
            breaches += [f"{run.label}: {line}" for line in _judge(Level(run.concurrency, [run]).estimates(), limits)]
        return Verdict(breaches)
    return Verdict(breaches + _judge(level.estimates(), limits))


def _judge(estimates: dict[str, Estimate | None], thresholds: list[Threshold]) -> list[str]:
    breaches = []
    for threshold in thresholds:
        estimate = estimates.get(threshold.metric)
        if estimate is None:
            breaches.append(f"{threshold.metric} was not measured (threshold {threshold.describe()})")
            continue
        if threshold.on_bound:
            bound = estimate.bound(threshold.at_most)
            if bound is None:
                breaches.append(
                    f"{threshold.metric} has no confidence interval ({estimate.interval_text()}, "
                    f"{estimate.describe()}), so its {threshold.side} bound cannot be judged: repeat the runs with "
                    f"{REPEAT_HINT} (threshold {threshold.describe()} on the {threshold.side} bound)"
                )
            elif threshold.breached_by(bound):
                breaches.append(
                    f"{threshold.metric} {threshold.side} bound {bound:.4g} (mean {estimate.mean:.4g}, "
                    f"{estimate.interval_text()}), threshold {threshold.describe()} on the {threshold.side} bound"
                )
        elif threshold.breached_by(estimate.mean):
            on = " on the mean" if estimate.runs > 1 else ""
            breaches.append(f"{threshold.metric} {estimate.describe()}, threshold {threshold.describe()}{on}")
    return breaches


def sustainable_concurrency(output: BenchmarkOutput, thresholds: Iterable[Threshold]) -> float:
    """The highest concurrency that meets the SLA: the search's answer, or the best passing sweep level."""
    if output.search is not None:
        if output.search.feasible_max is None:
            bound = output.search.infeasible_min
            raise ResultsError(
                "the SLA search found no concurrency that meets the SLA"
                + (f" (it failed from {bound:g})" if bound is not None else "")
            )
        return output.search.feasible_max
    limits = list(thresholds)
    levels = [level for level in output.levels() if level.concurrency is not None]
    if not levels:
        raise ResultsError("no concurrency levels to choose from: run a sweep or an SLA search")
    verdicts = [(level.concurrency or 0, gate(level, limits)) for level in levels]
    passing = [concurrency for concurrency, verdict in verdicts if verdict.passed]
    if not passing:
        tried = ", ".join(str(concurrency) for concurrency, _ in verdicts)
        reasons = "; ".join(f"at {c}: {', '.join(verdict.breaches)}" for c, verdict in verdicts)
        raise ResultsError(f"no concurrency level meets the SLA (tried {tried}); {reasons}")
    return float(max(passing))
