"""AIPerf outputs for tests: real AIPerf 0.13.0 runs under fixtures/ (one run; repeated runs; repeated
runs with convergence; a swept concurrency with repeated runs), and variants built from the documented
schemas (schema 1.1 of the managed job's AIPerf, nulls, non-streaming runs, sweeps, SLA searches)."""

from __future__ import annotations

import copy
import io
import json
import tarfile
from pathlib import Path
from typing import Any

from conftest import REPO

FIXTURES = REPO / "tests" / "fixtures"
SHARED = FIXTURES / "aiperf-0.13-mock"
MULTIRUN = FIXTURES / "aiperf-0.13-multirun"
"""3 profile runs of 30 streaming requests at concurrency 4, 95 % confidence."""
CONVERGENCE = FIXTURES / "aiperf-0.13-convergence"
"""5 profile runs of 20 requests, convergence on TTFT p90 (ci_width 0.5), with the collated pool."""
SWEEP_RUNS = FIXTURES / "aiperf-0.13-sweep-runs" / "output.tar.gz"
"""Concurrency 2 and 4, 2 trials each, 16 requests: an aggregate per level."""


def aggregate_of(folder: Path, level: int | None = None) -> dict[str, Any]:
    """The raw aggregate document of a real repeated run."""
    sub = f"concurrency_{level}/" if level is not None else ""
    return json.loads((folder / "aggregate" / sub / "profile_export_aiperf_aggregate.json").read_text())


def files_of(folder: Path) -> dict[str, Any]:
    """A real output folder as ``{relative path: parsed JSON}``, to build variants from."""
    return {str(p.relative_to(folder)): json.loads(p.read_text()) for p in sorted(folder.rglob("*.json"))}


def real_profile() -> dict[str, Any]:
    """AIPerf 0.13.0 (schema 1.4): 40 streaming requests at concurrency 4 against a mock server."""
    return json.loads((SHARED / "profile_export_aiperf.json").read_text())


def profile_v11(
    *, concurrency: int = 10, streaming: bool = True, errors: int = 10, scale: float = 1.0
) -> dict[str, Any]:
    """The shape the managed job's AIPerf 0.8 writes (schema 1.1), with the values of a real run."""

    def record(avg: float, p50: float, p90: float, p99: float, count: int = 290) -> dict[str, Any]:
        return {
            "unit": "ms",
            "avg": avg * scale,
            "p1": p50 * 0.5 * scale,
            "p50": p50 * scale,
            "p90": p90 * scale,
            "p99": p99 * scale,
            "min": p50 * 0.4 * scale,
            "max": p99 * 1.2 * scale,
            "std": 12.5,
            "count": count,
        }

    profile: dict[str, Any] = {
        "schema_version": "1.1",
        "aiperf_version": "0.8.0.dev20260515",
        "benchmark_id": "0b3c9d2e",
        "start_time": "2026-06-02T10:00:00",
        "end_time": "2026-06-02T10:04:09",
        "was_cancelled": False,
        "input_config": {
            "endpoint": {"type": "chat", "streaming": streaming},
            "loadgen": {"concurrency": concurrency, "request_count": 300},
            "cli_command": f"aiperf profile --concurrency {concurrency}",
        },
        "request_latency": record(9120.4, 8890.1, 10420.7, 12010.3),
        "output_sequence_length": {
            "unit": "tokens",
            "avg": 1986.0,
            "p50": 2001.0,
            "p90": 2048.0,
            "p99": 2048.0,
            "count": 290,
        },
        # throughput grows with concurrency and shrinks as latency (scale) grows
        "output_token_throughput": {"unit": "tokens/sec", "avg": 218.1 * concurrency / 10 / scale**0.5},
        "request_throughput": {"unit": "requests/sec", "avg": 1.16 * concurrency / 10 / scale**0.5},
        "request_count": {"unit": "requests", "avg": 300 - errors},
        "benchmark_duration": {"unit": "sec", "avg": 249.0},
        "telemetry_data": None,
        "error_summary": [
            {
                "error_details": {"type": "HTTPError", "message": "503 Service Unavailable", "cause_chain": []},
                "count": errors,
            }
        ]
        if errors
        else [],
    }
    if errors:
        profile["error_request_count"] = {"unit": "requests", "avg": errors}
    if streaming:
        profile["time_to_first_token"] = record(343.6, 270.8, 370.0, 1971.4)
        profile["inter_token_latency"] = record(4.4, 4.3, 4.9, 6.2)
        profile["output_token_throughput_per_user"] = {
            "unit": "tokens/sec/user",
            "avg": 227.3,
            "p50": 230.0,
            "p90": 240.1,
            "p99": 250.2,
            "count": 290,
        }
    return profile


def with_nulls(profile: dict[str, Any], *paths: tuple[str, str]) -> dict[str, Any]:
    """AIPerf writes non-finite statistics as null."""
    changed = copy.deepcopy(profile)
    for metric, stat in paths:
        changed[metric][stat] = None
    return changed


def tarball(files: dict[str, Any], *, prefix: str = "") -> bytes:
    """``output.tar.gz`` holding ``files`` (dicts become JSON), flat or under ``prefix``."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            body = (
                content
                if isinstance(content, bytes)
                else json.dumps(content).encode()
                if not isinstance(content, str)
                else content.encode()
            )
            info = tarfile.TarInfo(prefix + name)
            info.size = len(body)
            archive.addfile(info, io.BytesIO(body))
    return buffer.getvalue()


def sweep(levels: dict[int, float]) -> dict[str, Any]:
    """A concurrency sweep: per-level folders whose latency grows by ``levels[level]``."""
    files: dict[str, Any] = {}
    for level, scale in levels.items():
        files[f"concurrency_{level}/profile_export_aiperf.json"] = profile_v11(concurrency=level, errors=0, scale=scale)
        files[f"concurrency_{level}/profile_export.jsonl"] = "{}\n"
    return files


def write_tree(root: Path, files: dict[str, Any]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content if isinstance(content, str) else json.dumps(content))
    return root
