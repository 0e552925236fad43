"""The report on repeated runs (real AIPerf 0.13.0 output): intervals and run counts in the table, error
bars in the chart; and the ``cdk-genai-inference`` command with its subcommands."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

from aiperf_fixtures import MULTIRUN, SHARED, SWEEP_RUNS

from cdk_genai_inference.console import cli, report


def rows(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines()[2:] if line and not line.startswith("mean±h")]


def test_repeated_runs_show_mean_half_width_and_runs() -> None:
    out = io.StringIO()
    assert (
        report.main([str(MULTIRUN), str(SHARED), "--label", "multi", "--label", "single"], out=out, err=io.StringIO())
        == 0
    )
    text = out.getvalue()
    multi, single = rows(text)
    # TTFT p90: mean 62.665, interval 46.76 to 78.57 -> half-width 15.90; 3 runs
    assert multi[0:2] == ["multi", "4"] and multi[8] == "62.66±15.90" and multi[-1] == "3"
    assert multi[3] == "460±33"  # output tokens/s: 427.6 to 492.6
    assert "±" not in " ".join(single) and single[-1] == "1"
    assert text.rstrip().endswith("mean±h: the mean over the runs and the half-width h of its 95 % interval")


def test_the_chart_draws_error_bars_for_repeated_runs(tmp_path: Path) -> None:
    from matplotlib import pyplot

    drawn: list[dict] = []
    real = pyplot.Axes.errorbar

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        drawn.append(kwargs)
        return real(self, *args, **kwargs)

    pyplot.Axes.errorbar = spy  # type: ignore[method-assign]
    try:
        chart = tmp_path / "chart.png"
        code = report.main(
            [str(SWEEP_RUNS), str(SHARED), "--plot", str(chart), "--size", "640x480"],
            out=io.StringIO(),
            err=io.StringIO(),
        )
    finally:
        pyplot.Axes.errorbar = real  # type: ignore[method-assign]
    assert code == 0 and chart.stat().st_size > 10_000
    (bars,) = drawn  # the swept repeated runs have bars, the single run none
    below, above = bars["yerr"]
    assert len(below) == 2 and all(b > 0 for b in below + above)


def test_one_command_with_subcommands_runs_the_report() -> None:
    out = io.StringIO()
    assert cli.main(["report", str(MULTIRUN), "--label", "multi"], out=out, err=io.StringIO()) == 0
    same = io.StringIO()
    report.main([str(MULTIRUN), "--label", "multi"], out=same, err=io.StringIO())
    assert out.getvalue() == same.getvalue()


def test_both_commands_are_installed_and_start_without_the_cdk() -> None:
    bin_dir = Path(sys.executable).parent
    command = shutil.which("cdk-genai-inference", path=str(bin_dir))
    assert command is not None
    env = {**os.environ, "PATH": str(bin_dir)}  # no node on PATH
    helped = subprocess.run([command, "--help"], capture_output=True, text=True, env=env, check=True).stdout
    assert "usage: cdk-genai-inference" in helped and "report" in helped
    code = (
        "import sys\n"
        "from cdk_genai_inference.console import cli\n"
        "cli.main(['report', sys.argv[1]])\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'aws_cdk', 'jsii', 'constructs', 'botocore'}))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(MULTIRUN)], capture_output=True, text=True, env=env, check=True
    )
    assert run.stdout.splitlines()[-1] == "[]"
    assert shutil.which("cdk-genai-benchmark-report", path=str(bin_dir)) is not None
