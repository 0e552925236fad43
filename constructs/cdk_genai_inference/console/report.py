"""``cdk-genai-inference report`` (also ``cdk-genai-benchmark-report``): compare benchmark outputs in a
table and a throughput-latency chart.

Each input is a local folder, an ``output.tar.gz``, or an ``s3://`` URI (of the archive, or of a job's
output location, where the newest ``output.tar.gz`` is used). ``--label`` names the inputs, in order.
The chart plots output tokens per second against p90 request latency, one line per configuration
through its concurrency levels: the chart that shows "same latency, twice the tokens/s". With repeated
runs each figure is the mean over the runs, shown with the half-width of its confidence interval
(``62.67±15.9``) and the run count, and the chart draws the intervals as error bars.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ..benchmark import aiperf
from .text import number, render_table

TABULATED = (
    "RequestThroughput",
    "OutputTokenThroughput",
    "RequestLatencyP50",
    "RequestLatencyP90",
    "RequestLatencyP99",
    "TimeToFirstTokenP50",
    "TimeToFirstTokenP90",
    "InterTokenLatencyP50",
    "InterTokenLatencyP90",
    "ErrorCount",
    "ErrorRate",
)
COLUMNS = (("Concurrency", None), *((aiperf.LABELS[f], f) for f in TABULATED), ("Runs", None))
SUMMARY = "compare benchmark outputs in a table and a throughput-latency chart"
LARGE_DOWNLOAD = 5 * 1024 * 1024
"""Downloads at least this big report their progress."""
PLOT_X = "RequestLatencyP90"
PLOT_Y = "OutputTokenThroughput"


class DownloadError(Exception):
    """An ``s3://`` input could not be listed or downloaded."""


@dataclass(frozen=True)
class LabelledOutput:
    """One compared input: its label and its parsed output."""

    label: str
    output: aiperf.BenchmarkOutput


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", help="folder, output.tar.gz or s3:// URI")
    parser.add_argument("--label", action="append", default=[], help="a name per input, in order")
    parser.add_argument("--plot", type=Path, help="write a PNG chart here")
    parser.add_argument("--size", default="1200x800", help="chart size in pixels, WIDTHxHEIGHT (default 1200x800)")


def run(args: argparse.Namespace, parser: argparse.ArgumentParser, *, s3: Any = None, out: TextIO, err: TextIO) -> int:
    if args.label and len(args.label) != len(args.inputs):
        parser.error(f"--label given {len(args.label)} times for {len(args.inputs)} inputs")
    try:
        width, height = (int(part) for part in args.size.lower().split("x"))
    except ValueError:
        width = height = 0
    if not (100 <= width <= 10_000 and 100 <= height <= 10_000):
        parser.error(f"--size must be WIDTHxHEIGHT, each 100 to 10000 pixels, got {args.size!r}")
    configurations = []
    for index, spec in enumerate(args.inputs):
        label = args.label[index] if args.label else _default_label(spec)
        try:
            configurations.append(LabelledOutput(label, load_input(spec, s3=s3, progress=err)))
        except (aiperf.ResultsError, DownloadError, OSError) as error:
            print(f"error: {spec}: {error}", file=err)
            return 1
    out.write(table(configurations))
    if args.plot:
        plot(configurations, args.plot, width, height)
        print(f"wrote {args.plot} ({width}x{height})", file=err)
    return 0


def main(
    argv: Sequence[str] | None = None, *, s3: Any = None, out: TextIO = sys.stdout, err: TextIO = sys.stderr
) -> int:
    """``cdk-genai-benchmark-report``: the ``report`` command on its own."""
    parser = argparse.ArgumentParser(prog="cdk-genai-benchmark-report", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv), parser, s3=s3, out=out, err=err)


def load_input(spec: str, *, s3: Any = None, progress: TextIO = sys.stderr) -> aiperf.BenchmarkOutput:
    """Parse one input: local path or S3 URI."""
    if not spec.startswith("s3://"):
        return aiperf.load_path(Path(spec))
    from botocore.exceptions import BotoCoreError, ClientError  # only for s3:// inputs: local ones need no SDK

    client = s3 or _s3_client()
    with tempfile.TemporaryDirectory() as folder:
        local = Path(folder) / aiperf.ARCHIVE
        try:
            bucket, key = _archive_location(client, spec)
            response = client.get_object(Bucket=bucket, Key=key)
            report = _progress(f"s3://{bucket}/{key}", int(response.get("ContentLength") or 0), progress)
            with local.open("wb") as file:
                for chunk in response["Body"].iter_chunks(chunk_size=1024 * 1024):
                    file.write(chunk)
                    report(len(chunk))
        except (BotoCoreError, ClientError) as error:
            raise DownloadError(str(error)) from error
        return aiperf.load_path(local)


def table(configurations: Sequence[LabelledOutput]) -> str:
    """A plain-text comparison: one row per configuration and concurrency level."""
    header = ["Configuration", *(name for name, _ in COLUMNS)]
    rows: list[list[str] | str] = [header]
    repeated = False
    for configuration in configurations:
        for level in configuration.output.levels():
            figures = level.estimates()
            cells = [configuration.label, str(level.concurrency) if level.concurrency is not None else "-"]
            cells += [_cell(figures.get(key), whole=key == "ErrorCount") for key in TABULATED if key != "ErrorRate"]
            rate = figures.get("ErrorRate")
            cells.append("-" if rate is None else _cell(rate, scale=100, digits=2))
            runs = max((e.runs for e in figures.values() if e is not None), default=len(level.runs))
            cells.append(str(runs))
            repeated = repeated or any(e is not None and e.has_interval for e in figures.values())
            rows.append(cells)
        if configuration.output.failure_reason:
            rows.append(f"  ! {configuration.output.failure_reason}")
    text = render_table(rows)
    if repeated:
        text += f"\nmean±h: the mean over the runs and the half-width h of its {_confidence(configurations)} interval\n"
    return text


def plot(configurations: Sequence[LabelledOutput], path: Path, width: int, height: int) -> None:
    """Throughput against latency, one line per configuration, points labelled with concurrency."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError as error:  # pragma: no cover - depends on the install
        raise SystemExit("the chart needs matplotlib: pip install 'cdk-genai-inference[report]'") from error
    dpi = 100
    figure, axes = pyplot.subplots(figsize=(width / dpi, height / dpi), dpi=dpi)
    for configuration in configurations:
        points = [
            (figures[PLOT_X], figures[PLOT_Y], level.concurrency)
            for level in configuration.output.levels()
            if (figures := level.estimates())[PLOT_X] is not None and figures[PLOT_Y] is not None
        ]
        if not points:
            continue
        xs = [x.mean for x, _, _ in points]  # type: ignore[union-attr]
        ys = [y.mean for _, y, _ in points]  # type: ignore[union-attr]
        line = axes.plot(xs, ys, marker="o", label=configuration.label)[0]
        if any(x.has_interval or y.has_interval for x, y, _ in points):  # type: ignore[union-attr]
            axes.errorbar(
                xs,
                ys,
                xerr=_error_bars([x for x, _, _ in points]),  # type: ignore[misc]
                yerr=_error_bars([y for _, y, _ in points]),  # type: ignore[misc]
                fmt="none",
                ecolor=line.get_color(),
                capsize=4,
                alpha=0.7,
            )
        for x, y, level in zip(xs, ys, (p[2] for p in points), strict=True):
            if level is not None:
                axes.annotate(f"c={level}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)
    axes.set_xlabel("p90 request latency (ms)")
    axes.set_ylabel("output tokens per second")
    axes.set_title(
        "Throughput against latency per configuration"
        + (f" (bars: {_confidence(configurations)} intervals)" if _any_interval(configurations) else "")
    )
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.savefig(path, dpi=dpi)
    pyplot.close(figure)


def _archive_location(client: Any, uri: str) -> tuple[str, str]:
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if key.endswith(".tar.gz"):
        return bucket, key
    return aiperf.find_archive(client, uri)


def _progress(name: str, total: int, stream: TextIO) -> Callable[[int], None]:
    """Report a download every 10 % (only for downloads large enough to wait for)."""
    state = {"done": 0, "shown": -1}

    def update(chunk: int) -> None:
        state["done"] += chunk
        if total < LARGE_DOWNLOAD:
            return
        tenth = state["done"] * 10 // total
        if tenth > state["shown"]:
            state["shown"] = tenth
            done, size = number(state["done"] / 1e6, whole=True), number(total / 1e6, whole=True)
            print(f"downloading {name}: {done} of {size} MB ({tenth * 10}%)", file=stream)

    return update


def _s3_client() -> Any:
    import boto3

    return boto3.client("s3")


def _default_label(spec: str) -> str:
    parts = [p for p in spec.rstrip("/").replace("s3://", "").split("/") if p and p not in ("output", "output.tar.gz")]
    return parts[-1] if parts else spec


def _cell(estimate: aiperf.Estimate | None, *, whole: bool = False, scale: float = 1, digits: int | None = None) -> str:
    """An estimate's mean, and the half-width of its interval when it has one (``mean±h``)."""
    if estimate is None:
        return "-"
    mean = estimate.mean * scale
    shown = number(mean, whole=whole, digits=digits)
    if not estimate.has_interval:
        return shown
    half = (estimate.high - estimate.low) * scale / 2  # type: ignore[operator]
    return f"{shown}±{number(half, whole=whole, digits=digits, magnitude=mean)}"


def _error_bars(estimates: Sequence[aiperf.Estimate]) -> list[list[float]]:
    """Below and above each mean: to the interval's ends, or nothing without one."""
    below = [e.mean - e.low if e.low is not None else 0.0 for e in estimates]
    above = [e.high - e.mean if e.high is not None else 0.0 for e in estimates]
    return [below, above]


def _intervals(configurations: Sequence[LabelledOutput]) -> list[aiperf.Estimate]:
    return [
        e
        for c in configurations
        for level in c.output.levels()
        for e in level.estimates().values()
        if e is not None and e.has_interval
    ]


def _any_interval(configurations: Sequence[LabelledOutput]) -> bool:
    return bool(_intervals(configurations))


def _confidence(configurations: Sequence[LabelledOutput]) -> str:
    levels = sorted({e.confidence for e in _intervals(configurations) if e.confidence is not None})
    return " / ".join(f"{level * 100:g} %" for level in levels) or "confidence"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
