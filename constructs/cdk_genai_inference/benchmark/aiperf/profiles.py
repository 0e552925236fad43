"""Reading AIPerf output: ``profile_export_aiperf.json`` per run, sweeps, SLA searches, repeated runs.

Robust to the format's variety: ``schema_version`` 1.1 (the managed job's AIPerf), 1.4 (AIPerf 0.13) and
later (1.5 renames telemetry fields: every unknown key is ignored), stats that are missing or null,
streaming-only metrics absent, and runs that AIPerf marked failed by its validity gate but wrote completely.
"""

from __future__ import annotations

import functools
import json
import re
import statistics
import tarfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from .figures import FIGURES, HEADLINE, LATENCIES, TO_MS, Estimate, ResultsError
from .stats import AGGREGATE, COLLATED, Aggregate, Collated, read_aggregate, read_collated

PROFILE = "profile_export_aiperf.json"
SEARCH_HISTORY = "search_history.json"
FAILURE_REASON = "failure_reason.txt"
ARCHIVE = "output.tar.gz"
LEVEL_DIR = re.compile(r"(?:^|/)concurrency_(\d+)/")
RUN_DIR = re.compile(r"(?:^|/)((?:run|trial|search_iter)_\d+)/")
"""Repeated runs write ``profile_runs/run_NNNN/``, multi-trial sweeps ``profile_runs/trial_NNNN/concurrency_N/``,
SLA searches ``search_iter_NNNN/``."""


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
        succeeded = self.succeeded
        if succeeded is None:
            return None
        total = succeeded + self.error_count
        return self.error_count / total if total else None

    @property
    def succeeded(self) -> float | None:
        """The requests that succeeded. AIPerf writes ``request_count`` from the valid requests only, so
        a run in which every request failed has none: it counts 0, not "not measured"."""
        succeeded = self.value("request_count")
        if succeeded is None and self.error_count > 0:
            return 0.0
        return succeeded

    def headline(self) -> dict[str, float | None]:
        figures: dict[str, float | None] = {
            name: self.latency_ms(*key) if name in LATENCIES else self.value(*key) for name, key in HEADLINE.items()
        }
        figures["ErrorCount"] = self.error_count
        figures["ErrorRate"] = self.error_rate
        figures["RequestCount"] = self.succeeded
        return figures


@dataclass(frozen=True)
class Search:
    """The answer of a max-concurrency-under-SLA search (``search_history.json``)."""

    feasible_max: float | None
    infeasible_min: float | None


@dataclass(frozen=True)
class Level:
    """The runs at one concurrency (all of them when the output is no sweep) and AIPerf's aggregate
    over them, when it ran them repeatedly."""

    concurrency: int | None
    runs: list[Run]
    aggregate: Aggregate | None = None
    collated: Collated | None = None

    @property
    def label(self) -> str:
        return f"concurrency_{self.concurrency}" if self.concurrency is not None else self.runs[-1].label

    @property
    def complete(self) -> bool:
        return all(run.complete for run in self.runs)

    @property
    def failed_runs(self) -> int:
        return len(self.aggregate.failed_runs) if self.aggregate is not None else 0

    @property
    def repeated(self) -> bool:
        return self.aggregate is not None or len(self.runs) > 1

    def estimates(self) -> dict[str, Estimate | None]:
        """Every figure: AIPerf's mean and interval over the runs where it aggregated them, else the
        mean of the runs' values (one run: its value, no interval)."""
        aggregated = self.aggregate.figures() if self.aggregate is not None else {}
        per_run = [run.headline() for run in self.runs]
        result: dict[str, Estimate | None] = {}
        for name in FIGURES:
            estimate = aggregated.get(name)
            if estimate is None:
                values = [v for figures in per_run if (v := figures[name]) is not None]
                estimate = Estimate(statistics.fmean(values), runs=len(values)) if values else None
            result[name] = estimate
        return result

    def headline(self) -> dict[str, float | None]:
        """The figures' values: a single run's, or the mean over the runs."""
        return {name: e.mean if e is not None else None for name, e in self.estimates().items()}


@dataclass(frozen=True)
class BenchmarkOutput:
    """Everything one benchmark output holds."""

    runs: list[Run]
    search: Search | None = None
    failure_reason: str | None = None
    aggregates: dict[int | None, Aggregate] = field(default_factory=dict)
    """AIPerf's aggregate per concurrency level (key None: the output is no sweep)."""
    collated: dict[int | None, Collated] = field(default_factory=dict)

    @property
    def is_sweep(self) -> bool:
        return len({run.concurrency for run in self.runs if run.concurrency is not None}) > 1

    @property
    def is_repeated(self) -> bool:
        """Whether AIPerf ran each profile several times (``--num-profile-runs``)."""
        return bool(self.aggregates) or any(run.label.startswith(("run_", "trial_")) for run in self.runs)

    def levels(self) -> list[Level]:
        """One level per concurrency, lowest first; runs without a known concurrency form one level."""
        grouped: dict[int | None, list[Run]] = {}
        for run in self.runs:
            grouped.setdefault(run.concurrency, []).append(run)
        single = len(grouped) == 1
        return [
            Level(
                concurrency,
                runs,
                self.aggregates.get(concurrency) or (self.aggregates.get(None) if single else None),
                self.collated.get(concurrency) or (self.collated.get(None) if single else None),
            )
            for concurrency, runs in sorted(grouped.items(), key=lambda item: item[0] or 0)
        ]

    def primary_level(self) -> Level:
        """The level the headline figures come from: the SLA search's answer, else the highest level."""
        levels = self.levels()
        if self.search is not None and self.search.feasible_max is not None:
            answer = [level for level in levels if level.concurrency == self.search.feasible_max]
            if answer:
                return answer[-1]
        return levels[-1]

    def primary(self) -> Run:
        """The last run of the primary level (the SLA search's answer, else the single run or the
        sweep's highest level)."""
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
    aggregates = {_level(p): read_aggregate(p, _json(p, files[p]())) for p in sorted(files) if p.endswith(AGGREGATE)}
    collated = {_level(p): read_collated(p, _json(p, files[p]())) for p in sorted(files) if p.endswith(COLLATED)}
    return BenchmarkOutput(
        runs=runs, search=search, failure_reason=reason or None, aggregates=aggregates, collated=collated
    )


def _level(path: str) -> int | None:
    level = LEVEL_DIR.search("/" + path)
    return int(level.group(1)) if level else None


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
    return name.endswith((PROFILE, SEARCH_HISTORY, FAILURE_REASON, AGGREGATE, COLLATED))


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
