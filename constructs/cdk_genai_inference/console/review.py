"""``cdk-genai-inference review``: a recommendation job's ranked recommendations, compared before deploying.

The input is a job's name (described with the AWS SDK) or a saved ``DescribeAIRecommendationJob`` response
(``aws sagemaker describe-ai-recommendation-job ... > job.json``). Each recommendation is one row: its rank,
where it runs (instance type, instances, copies per instance, tensor-parallel size), the optimizations it
applies, and what the job measured. ``--benchmark`` sets what a benchmark of the deployment measured beside
what was recommended: did the deployment deliver it?
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from ..benchmark import aiperf
from ..recommendation import configurations as recommended
from .text import number, render_table

COMPARED = (
    "OutputTokenThroughput",
    "RequestThroughput",
    "RequestLatencyP50",
    "RequestLatencyP90",
    "RequestLatencyP99",
    "TimeToFirstTokenP50",
    "TimeToFirstTokenP90",
    "InterTokenLatencyP50",
    "InterTokenLatencyP90",
)
"""Figures a recommendation and a benchmark both report, under the same names."""
COLUMNS = (
    *((name, None) for name in ("Rank", "Instance type", "Inst", "Copies", "TP", "Optimizations")),
    *((aiperf.LABELS[f], f) for f in COMPARED),
    ("Concurrency", "ClientSideConcurrency"),
)


class ReviewError(Exception):
    """The job or the saved response cannot be read as a recommendation job."""


SUMMARY = "the ranked recommendations of a recommendation job, beside what a benchmark measured"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("job", help="a recommendation job's name, or a saved DescribeAIRecommendationJob JSON file")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON, for scripts")
    parser.add_argument("--plot", type=Path, help="write a PNG of throughput against p90 latency here")
    parser.add_argument("--benchmark", help="a benchmark's output (folder, output.tar.gz or s3:// URI) to compare")
    parser.add_argument("--instance-type", help="the recommendation the benchmark measured (default: rank 1)")


def run(
    args: argparse.Namespace,
    parser: argparse.ArgumentParser,
    *,
    sagemaker: Any = None,
    s3: Any = None,
    out: TextIO,
    err: TextIO,
) -> int:
    try:
        configurations = recommended.read(load_description(args.job, sagemaker=sagemaker))
        if not configurations:
            raise ReviewError(f"{args.job}: the job holds no recommendations (has it completed?)")
        comparison = None
        if args.benchmark:
            from .report import DownloadError, load_input  # the benchmark reader and its S3 download

            try:
                measured = load_input(args.benchmark, s3=s3, progress=err)
            except (DownloadError, aiperf.ResultsError, OSError) as error:
                raise ReviewError(f"{args.benchmark}: {error}") from error
            comparison = compare(configurations, measured, args.instance_type)
    except (ReviewError, recommended.ConfigurationError) as error:
        print(f"error: {error}", file=err)
        return 1
    if args.json:
        document: dict[str, Any] = {"recommendations": [row(c) for c in configurations]}
        if comparison is not None:
            document["comparison"] = comparison
        out.write(json.dumps(document, indent=2) + "\n")
    else:
        out.write(table(configurations))
        if comparison is not None:
            out.write("\n" + comparison_table(comparison))
    if args.plot:
        plot(configurations, args.plot)
        print(f"wrote {args.plot}", file=err)
    return 0


def load_description(job: str, *, sagemaker: Any = None) -> dict[str, Any]:
    """A saved response (a path) or the job described now (a name)."""
    path = Path(job)
    if path.suffix == ".json" or path.is_file():
        try:
            document = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as error:
            raise ReviewError(f"{job}: {error}") from error
        if not isinstance(document, dict) or "AIRecommendationJobName" not in document:
            raise ReviewError(f"{job} is not a DescribeAIRecommendationJob response")
        return document
    from botocore.exceptions import BotoCoreError, ClientError  # only when describing: a file needs no SDK

    try:
        client = sagemaker or _sagemaker_client()
        response: dict[str, Any] = client.describe_ai_recommendation_job(AIRecommendationJobName=job)
    except (BotoCoreError, ClientError) as error:
        raise ReviewError(f"describing {job}: {error}") from error
    return response


def row(configuration: recommended.Configuration) -> dict[str, Any]:
    """One recommendation as a reviewer reads it (``--json`` prints these)."""
    return {
        "rank": configuration.rank,
        "instance_type": configuration.instance_type,
        "instance_count": configuration.instance_count,
        "copies_per_instance": configuration.copies_per_instance,
        "tensor_parallel_size": configuration.tensor_parallel_size,
        "optimizations": list(configuration.optimizations),
        "model_package_arn": configuration.model_package_arn,
        "inference_specification_name": configuration.inference_specification_name,
        "expected": dict(sorted(configuration.performance.items())),
    }


def table(configurations: Sequence[recommended.Configuration]) -> str:
    rows = [[name for name, _ in COLUMNS]]
    for c in configurations:
        cells = [str(c.rank), c.instance_type, str(c.instance_count), str(c.copies_per_instance)]
        cells += [str(c.tensor_parallel_size or "-"), ", ".join(c.optimizations) or "none"]
        cells += [number(c.performance.get(key)) for key in COMPARED]
        cells.append(number(c.performance.get("ClientSideConcurrency"), whole=True))  # a count of clients
        rows.append(cells)
    return render_table(rows, left=(0, 1, 5))


def compare(
    configurations: Sequence[recommended.Configuration], measured: aiperf.BenchmarkOutput, instance_type: str | None
) -> dict[str, Any]:
    """What the benchmark measured beside what the recommendation expected, at the recommendation's
    concurrency (a sweep's level closest to it); repeated runs give their mean and interval."""
    chosen = next((c for c in configurations if c.instance_type == instance_type), None) if instance_type else None
    if instance_type and chosen is None:
        offered = ", ".join(dict.fromkeys(c.instance_type for c in configurations))
        raise ReviewError(f"--instance-type {instance_type} has no recommendation; the job recommended: {offered}")
    chosen = chosen or configurations[0]
    target = chosen.concurrency
    level = min(
        measured.levels(),
        key=lambda lv: abs((lv.concurrency or 0) - target) if target is not None and lv.concurrency is not None else 0,
    )
    estimates = level.estimates()
    lines = []
    for key in COMPARED:
        expected, estimate = chosen.performance.get(key), estimates.get(key)
        actual = estimate.mean if estimate is not None else None
        ratio = actual / expected if expected and actual is not None else None
        interval = [estimate.low, estimate.high] if estimate is not None and estimate.has_interval else None
        lines.append(
            {
                "figure": key,
                "expected": expected,
                "measured": actual,
                "interval": interval,
                "measured_over_expected": ratio,
            }
        )
    runs = max((e.runs for e in estimates.values() if e is not None), default=len(level.runs))
    return {
        "recommendation": {"rank": chosen.rank, "instance_type": chosen.instance_type, "concurrency": target},
        "benchmark": {"concurrency": level.concurrency, "runs": runs},
        "figures": lines,
    }


def comparison_table(comparison: dict[str, Any]) -> str:
    recommendation, benchmark = comparison["recommendation"], comparison["benchmark"]
    runs = f"{benchmark['runs']} run{'s' if benchmark['runs'] != 1 else ''}"
    level = benchmark["concurrency"] if benchmark["concurrency"] is not None else "-"
    heading = (
        f"Recommendation {recommendation['rank']} ({recommendation['instance_type']}, concurrency "
        f"{number(recommendation['concurrency'], whole=True)}) against the benchmark (concurrency {level}, {runs}):\n"
    )
    rows = [["Figure", "Expected", "Measured", "Interval", "Measured/expected"]]
    for line in comparison["figures"]:
        ratio, interval = line["measured_over_expected"], line["interval"]
        span = "-" if interval is None else f"{number(interval[0])} to {number(interval[1])}"
        measured = number(ratio, digits=2)
        rows.append([line["figure"], number(line["expected"]), number(line["measured"]), span, measured])
    return heading + render_table(rows)


def plot(configurations: Sequence[recommended.Configuration], path: Path) -> None:
    """Output tokens per second against p90 request latency, one labelled point per recommendation."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError as error:  # pragma: no cover - depends on the install
        raise SystemExit("the chart needs matplotlib: pip install 'cdk-genai-inference[report]'") from error
    figure, axes = pyplot.subplots(figsize=(12, 8), dpi=100)
    for c in configurations:
        x, y = c.performance.get("RequestLatencyP90"), c.performance.get("OutputTokenThroughput")
        if x is None or y is None:
            continue
        axes.scatter([x], [y])
        label = f"#{c.rank} {c.instance_type.removeprefix('ml.')} x{c.instance_count}, {c.copies_per_instance} copies"
        axes.annotate(label, (x, y), textcoords="offset points", xytext=(5, 5), fontsize=8)
    axes.set_xlabel("expected p90 request latency (ms)")
    axes.set_ylabel("expected output tokens per second")
    axes.set_title("Ranked recommendations: throughput against latency")
    axes.grid(True, alpha=0.3)
    figure.savefig(path)
    pyplot.close(figure)


def _sagemaker_client() -> Any:
    import boto3

    return boto3.client("sagemaker")
