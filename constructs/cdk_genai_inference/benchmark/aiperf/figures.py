"""The headline figures and what one figure is: a value, or a mean over repeated runs with its interval."""

from __future__ import annotations

from dataclasses import dataclass

TO_MS = {"ms": 1.0, "ns": 1e-6, "us": 1e-3, "sec": 1e3, "s": 1e3}

HEADLINE: dict[str, tuple[str, str]] = {
    "RequestLatencyP50": ("request_latency", "p50"),
    "RequestLatencyP90": ("request_latency", "p90"),
    "RequestLatencyP99": ("request_latency", "p99"),
    "TimeToFirstTokenP50": ("time_to_first_token", "p50"),
    "TimeToFirstTokenP90": ("time_to_first_token", "p90"),
    "TimeToFirstTokenP99": ("time_to_first_token", "p99"),
    "InterTokenLatencyP50": ("inter_token_latency", "p50"),
    "InterTokenLatencyP90": ("inter_token_latency", "p90"),
    "InterTokenLatencyP99": ("inter_token_latency", "p99"),
    "OutputTokenThroughput": ("output_token_throughput", "avg"),
    "RequestThroughput": ("request_throughput", "avg"),
}
"""The headline figures: name -> (AIPerf metric tag, statistic). Latencies in ms, throughput per second."""
LATENCIES = {name for name in HEADLINE if name.endswith(("P50", "P90", "P99"))}
THROUGHPUTS = {"OutputTokenThroughput", "RequestThroughput"}
FIGURES = (*HEADLINE, "ErrorCount", "ErrorRate", "RequestCount")
"""Every figure a result has, in order."""
LOWER_IS_BETTER = LATENCIES | {"ErrorCount", "ErrorRate"}
LABELS = {
    "RequestThroughput": "Req/s",
    "OutputTokenThroughput": "Out tok/s",
    **{f"RequestLatency{p}": f"Lat {p.lower()} ms" for p in ("P50", "P90", "P99")},
    **{f"TimeToFirstToken{p}": f"TTFT {p.lower()}" for p in ("P50", "P90", "P99")},
    **{f"InterTokenLatency{p}": f"ITL {p.lower()}" for p in ("P50", "P90", "P99")},
    "ErrorCount": "Errors",
    "ErrorRate": "Error %",
    "RequestCount": "Requests",
}
"""Each figure's column heading in the console's tables."""


class ResultsError(Exception):
    """The output cannot be read as AIPerf results."""


@dataclass(frozen=True)
class Estimate:
    """One figure of a result. A single run gives its value (``runs`` 1, no interval); repeated runs
    give the mean over the runs and AIPerf's t-based confidence interval of that mean (``low`` to
    ``high`` at ``confidence``), or no interval when AIPerf wrote none."""

    mean: float
    runs: int = 1
    low: float | None = None
    high: float | None = None
    confidence: float | None = None
    std: float | None = None
    cv: float | None = None

    @property
    def has_interval(self) -> bool:
        return self.low is not None and self.high is not None

    def bound(self, at_most: bool) -> float | None:
        """The conservative end for a limit: the upper bound under a maximum, the lower over a minimum."""
        return self.high if at_most else self.low

    def interval_text(self) -> str:
        """``95 % interval 46.8 to 78.6 over 3 runs``, or why there is none."""
        if not self.has_interval:
            return f"no interval: {self.runs} run{'s' if self.runs != 1 else ''}"
        level = f"{self.confidence * 100:g} % " if self.confidence is not None else ""
        return f"{level}interval {self.low:.4g} to {self.high:.4g} over {self.runs} runs"

    def describe(self) -> str:
        """``mean 62.67 (95 % interval 46.76 to 78.57 over 3 runs)``; a single run reads ``measured 70``."""
        if self.runs <= 1 and not self.has_interval:
            return f"measured {self.mean:g}"
        return f"mean {self.mean:.4g} ({self.interval_text()})"

    def scaled(self, factor: float) -> Estimate:
        def times(value: float | None) -> float | None:
            return None if value is None else value * factor

        return Estimate(
            self.mean * factor, self.runs, times(self.low), times(self.high), self.confidence, times(self.std), self.cv
        )
