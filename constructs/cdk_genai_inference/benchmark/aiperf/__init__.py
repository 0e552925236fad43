"""Reading AIPerf output and judging it: the SLA gate (on values, means or interval bounds) and the
regression check against a baseline.

Standard library only: the benchmark handler runs a copy of this package (the asset build adds it as
``aiperf_results``) and the console commands import it. Its modules import one way only:
``figures`` <- ``stats`` <- ``profiles`` <- ``gate`` <- ``baseline``.
"""

from .baseline import COMPARABLE, Baseline, accept, loads, regressions
from .figures import (
    FIGURES,
    HEADLINE,
    LABELS,
    LATENCIES,
    LOWER_IS_BETTER,
    THROUGHPUTS,
    TO_MS,
    Estimate,
    ResultsError,
)
from .gate import Threshold, Verdict, gate, sustainable_concurrency
from .profiles import (
    ARCHIVE,
    FAILURE_REASON,
    PROFILE,
    SEARCH_HISTORY,
    BenchmarkOutput,
    Level,
    Run,
    Search,
    find_archive,
    load,
    load_path,
    load_tarball,
)
from .stats import AGGREGATE, COLLATED, Aggregate, Collated

__all__ = [
    "AGGREGATE",
    "ARCHIVE",
    "COLLATED",
    "COMPARABLE",
    "FAILURE_REASON",
    "FIGURES",
    "HEADLINE",
    "LABELS",
    "LATENCIES",
    "LOWER_IS_BETTER",
    "PROFILE",
    "SEARCH_HISTORY",
    "THROUGHPUTS",
    "TO_MS",
    "Aggregate",
    "Baseline",
    "BenchmarkOutput",
    "Collated",
    "Estimate",
    "Level",
    "ResultsError",
    "Run",
    "Search",
    "Threshold",
    "Verdict",
    "accept",
    "find_archive",
    "gate",
    "load",
    "load_path",
    "load_tarball",
    "loads",
    "regressions",
    "sustainable_concurrency",
]
