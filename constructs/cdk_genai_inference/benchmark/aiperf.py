"""Reading AIPerf output (``profile_export_aiperf.json``, sweeps, SLA searches) and gating on SLAs.

Standard library only: the benchmark handler runs a copy (the asset build adds it as ``aiperf_results``)
and the console commands import it.
Robust to the format's variety: ``schema_version`` 1.1 (the managed job's AIPerf) and 1.4 (AIPerf
0.13), stats that are missing or null, streaming-only metrics absent, unknown keys, and runs that
AIPerf marked failed by its validity gate but wrote completely.
"""

from __future__ import annotations

import functools
import json
import re
import tarfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

PROFILE = "profile_export_aiperf.json"
SEARCH_HISTORY = "search_history.json"
FAILURE_REASON = "failure_reason.txt"
ARCHIVE = "output.tar.gz"
LEVEL_DIR = re.compile(r"(?:^|/)concurrency_(\d+)/")
RUN_DIR = re.compile(r"(?:^|/)((?:trial|search_iter)_\d+)/")
"""Multi-trial sweeps write ``profile_runs/trial_NNNN/concurrency_N/``; SLA searches ``search_iter_NNNN/``."""
TO_MS = {"ms": 1.0, "ns": 1e-6, "us": 1e-3, "sec": 1e3, "s": 1e3}

HEADLINE: dict[str, tuple[str, str]] = {
    "RequestLatencyP50": ("request_latency", "p50"),
    "RequestLatencyP90": ("request_latency", "p90"),
    "RequestLatencyP99": ("request_latency", "p99"),
    "TimeToFirstTokenP50": ("time_to_first_token", "p50"),
    "TimeToFirstTokenP90": ("time_to_first_token", "p90"),
    "InterTokenLatencyP50": ("inter_token_latency", "p50"),
    "InterTokenLatencyP90": ("inter_token_latency", "p90"),
    "OutputTokenThroughput": ("output_token_throughput", "avg"),
    "RequestThroughput": ("request_throughput", "avg"),
}
"""The headline figures: name -> (AIPerf metric tag, statistic). Latencies in ms, throughput per second."""
LATENCIES = {name for name in HEADLINE if name.endswith(("P50", "P90", "P99"))}
FIGURES = (*HEADLINE, "ErrorCount", "ErrorRate", "RequestCount")
"""Every figure ``Run.headline`` returns, in order."""


class ResultsError(Exception):
    """The output cannot be read as AIPerf results."""


@dataclass(frozen=True)
class Run:
    """One AIPerf profile: a single run, or one level of a concurrency sweep."""

    label: str
    concurrency: int | None
    metrics: dict[str, dict[str, Any]]
    schema_version: str | None = None
    aiperf_version: str | None = None
    complete: bool = True
    error_summary_count: int = 0

    def value(self, metric: str, stat: str = "avg") -> float | None:
        """A statistic of a metric, or None when AIPerf did not write it (or wrote null)."""
        entry = self.metrics.get(metric)
        if not isinstance(entry, dict):
            return None
        value = entry.get(stat)
        return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

    def latency_ms(self, metric: str, stat: str) -> float | None:
        """A latency statistic in milliseconds, whatever time unit the export used."""
        value = self.value(metric, stat)
        unit = str(self.metrics.get(metric, {}).get("unit", "ms")).lower()
        if value is None:
            return None
        if unit not in TO_MS:
            raise ResultsError(f"{self.label}: {metric} is in {unit!r}, not a time unit this reader knows")
        return value * TO_MS[unit]

    @property
    def error_count(self) -> float:
        errors = self.value("error_request_count")
        return errors if errors is not None else float(self.error_summary_count)

    @property
    def error_rate(self) -> float | None:
        """Failed requests as a fraction of all requests."""
        reported = self.value("request_error_rate")  # AIPerf 0.13: percent
        if reported is not None:
            return reported / 100
        succeeded = self.value("request_count")
        if succeeded is None:
            return None
        total = succeeded + self.error_count
        return self.error_count / total if total else None

    def headline(self) -> dict[str, float | None]:
        figures: dict[str, float | None] = {
            name: self.latency_ms(*key) if name in LATENCIES else self.value(*key) for name, key in HEADLINE.items()
        }
        figures["ErrorCount"] = self.error_count
        figures["ErrorRate"] = self.error_rate
        figures["RequestCount"] = self.value("request_count")
        return figures


@dataclass(frozen=True)
class Search:
    """The answer of a max-concurrency-under-SLA search (``search_history.json``)."""

    feasible_max: float | None
    infeasible_min: float | None


@dataclass(frozen=True)
class BenchmarkOutput:
    """Everything one benchmark output holds."""

    runs: list[Run]
    search: Search | None = None
    failure_reason: str | None = None

    @property
    def is_sweep(self) -> bool:
        return any(run.concurrency is not None for run in self.runs) and len(self.runs) > 1

    def primary(self) -> Run:
        """The run the headline figures come from: the SLA search's answer, else the single run or
        the sweep's highest level."""
        if self.search is not None and self.search.feasible_max is not None:
            answer = [run for run in self.runs if run.concurrency == self.search.feasible_max]
            if answer:
                return answer[-1]
        return max(self.runs, key=lambda run: (run.concurrency or 0, run.label))


def load(files: Mapping[str, Callable[[], bytes]], seen: Iterable[str] = ()) -> BenchmarkOutput:
    """Parse an output given as relative path -> reader (large files are never read); ``seen`` names
    the other files, for the error message when there is no profile."""
    profiles = sorted(path for path in files if path.endswith(PROFILE))
    if not profiles:
        found = sorted(set(files) | set(seen))
        raise ResultsError(f"no {PROFILE} in the benchmark output (found: {', '.join(found[:8]) or 'nothing'})")
    runs = [_run(path, _json(path, files[path]())) for path in profiles]
    nested = [run for run in runs if run.label != "run"]
    if nested:  # sweeps and searches write a folder per run; a top-level profile beside them repeats one
        runs = nested
    search = None
    history = next((p for p in sorted(files) if p.endswith(SEARCH_HISTORY)), None)
    if history is not None:
        search = _search(_json(history, files[history]()))
    failure = next((p for p in sorted(files) if p.endswith(FAILURE_REASON)), None)
    reason = files[failure]().decode(errors="replace").strip() if failure else None
    return BenchmarkOutput(runs=runs, search=search, failure_reason=reason or None)


def load_tarball(stream: BinaryIO) -> BenchmarkOutput:
    """Parse ``output.tar.gz`` as the benchmark job writes it, reading it as a stream: only the
    small result files are kept in memory (``inputs.json`` alone can exceed 100 MB)."""
    contents: dict[str, bytes] = {}
    seen: list[str] = []
    try:
        with tarfile.open(fileobj=stream, mode="r|*") as archive:
            for member in archive:
                name = member.name.removeprefix("./")
                seen.append(name)
                if member.isfile() and _wanted(name):
                    contents[name] = archive.extractfile(member).read()  # type: ignore[union-attr]
    except (tarfile.TarError, EOFError, OSError) as error:
        raise ResultsError(f"the benchmark output is not a readable tar archive: {error}") from error
    return load({name: functools.partial(bytes, body) for name, body in contents.items()}, seen)


def load_path(path: Path) -> BenchmarkOutput:
    """Parse a local output: a folder (extracted) or an ``output.tar.gz``."""
    if path.is_dir():
        files = {str(p.relative_to(path)): p for p in path.rglob("*") if p.is_file() and _wanted(p.name)}
        return load({name: p.read_bytes for name, p in files.items()})
    with path.open("rb") as stream:
        return load_tarball(stream)


def _once(request: Callable[[], Any]) -> Any:
    return request()


def find_archive(
    s3: Any,
    output_location: str,
    job_name: str = "",
    created: Any = None,
    call: Callable[[Callable[[], Any]], Any] = _once,
) -> tuple[str, str]:
    """The job's ``output.tar.gz``: listed under its output location, never assumed at a fixed key.
    Archives older than the job (``created``) are earlier runs'; of the rest, one whose key names the
    job wins, then the newest. ``call`` sends each listing request (the handler retries there)."""
    bucket, _, prefix = output_location.removeprefix("s3://").partition("/")
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        paging = {"ContinuationToken": token} if token else {}
        page = call(functools.partial(s3.list_objects_v2, Bucket=bucket, Prefix=prefix, **paging))
        found += [
            obj
            for obj in page.get("Contents", [])
            if obj["Key"].endswith(ARCHIVE) and (created is None or obj["LastModified"] >= created)
        ]
        token = page.get("NextContinuationToken")
        if not page.get("IsTruncated") or not token:
            break
    if not found:
        whose = f"AI benchmark job {job_name} left no" if job_name else "there is no"
        raise ResultsError(f"{whose} {ARCHIVE} under {output_location}")
    best = max(found, key=lambda obj: (bool(job_name) and job_name in obj["Key"], obj["LastModified"]))
    return bucket, best["Key"]


def _wanted(name: str) -> bool:
    return name.endswith((PROFILE, SEARCH_HISTORY, FAILURE_REASON))


def _json(path: str, body: bytes) -> Any:
    try:
        return json.loads(body)
    except json.JSONDecodeError as error:
        raise ResultsError(f"{path} is not valid JSON: {error}") from error


def _run(path: str, document: Any) -> Run:
    if not isinstance(document, dict):
        raise ResultsError(f"{path} does not hold an AIPerf profile object")
    metrics = {k: v for k, v in document.items() if isinstance(v, dict) and "unit" in v}
    level = LEVEL_DIR.search("/" + path)
    folder = RUN_DIR.search("/" + path)
    errors = document.get("error_summary") or []
    parts = [folder.group(1) if folder else None, f"concurrency_{level.group(1)}" if level else None]
    return Run(
        label="/".join(p for p in parts if p) or "run",
        concurrency=int(level.group(1)) if level else _configured_concurrency(document),
        metrics=metrics,
        schema_version=str(document.get("schema_version")) if document.get("schema_version") else None,
        aiperf_version=document.get("aiperf_version"),
        complete=document.get("is_complete", True) is not False and not document.get("was_cancelled", False),
        error_summary_count=sum(int(e.get("count", 0)) for e in errors if isinstance(e, dict)),
    )


def _configured_concurrency(document: dict[str, Any]) -> int | None:
    """The concurrency AIPerf ran at, from ``input_config`` (its shape differs between versions)."""
    config = document.get("input_config") or {}
    candidates = [(config.get("loadgen") or {}).get("concurrency")]  # AIPerf 0.8 (schema 1.1)
    phases = config.get("phases")  # AIPerf 0.13 (schema 1.4): a list of phases
    if isinstance(phases, list):
        candidates += [p.get("concurrency") for p in phases if isinstance(p, dict) and p.get("kind") == "profiling"]
    return next((c for c in candidates if isinstance(c, int) and not isinstance(c, bool)), None)


def _search(document: Any) -> Search:
    """The search's answer; a search that never bounded anything has a null summary."""
    summary = document.get("boundary_summary") if isinstance(document, dict) else None
    if not isinstance(summary, dict):
        return Search(None, None)
    return Search(_boundary(summary.get("feasible_max")), _boundary(summary.get("infeasible_min")))


def _boundary(node: Any) -> float | None:
    value = node.get("value") if isinstance(node, dict) else node
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


# ---------------------------------------------------------------------------------------------- SLA


@dataclass(frozen=True)
class Threshold:
    """One SLA bound: ``metric`` (a headline figure name) must be at most / at least ``limit``."""

    metric: str
    limit: float
    at_most: bool = True

    def describe(self) -> str:
        return f"{self.metric} {'<=' if self.at_most else '>='} {self.limit:g}"


@dataclass(frozen=True)
class Verdict:
    """The outcome of gating one run: each breach or missing metric is a line of the message."""

    breaches: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.breaches

    def message(self, subject: str) -> str:
        return f"{subject} breaches its SLA: " + "; ".join(self.breaches)


def gate(run: Run, thresholds: Iterable[Threshold]) -> Verdict:
    """Check every threshold; a metric the run does not have is a failure, never a silent pass.
    Equality passes (``<=`` and ``>=``)."""
    figures = run.headline()
    breaches = [] if run.complete else [f"{run.label} did not complete (AIPerf marked it cancelled or incomplete)"]
    for threshold in thresholds:
        value = figures.get(threshold.metric)
        if value is None:
            breaches.append(f"{threshold.metric} was not measured (threshold {threshold.describe()})")
        elif (value > threshold.limit) if threshold.at_most else (value < threshold.limit):
            breaches.append(f"{threshold.metric} measured {value:g}, threshold {threshold.describe()}")
    return Verdict(breaches)


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
    levels = [run for run in output.runs if run.concurrency is not None]
    if not levels:
        raise ResultsError("no concurrency levels to choose from: run a sweep or an SLA search")
    verdicts: dict[int, bool] = {}
    for run in levels:  # with several trials, a level passes only if every trial does
        level = run.concurrency or 0
        verdicts[level] = verdicts.get(level, True) and gate(run, limits).passed
    passing = [level for level, ok in verdicts.items() if ok]
    if not passing:
        tried = ", ".join(str(level) for level in sorted(verdicts))
        raise ResultsError(f"no concurrency level meets the SLA (tried {tried})")
    return float(max(passing))
