"""The comparison report: table, PNG chart, local and S3 inputs, progress, errors."""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from aiperf_fixtures import SHARED, real_profile, sweep, tarball
from botocore.response import StreamingBody
from botocore.stub import Stubber

from cdk_genai_inference.console import report


@pytest.fixture
def archives(tmp_path: Path) -> dict[str, Path]:
    fast = tmp_path / "g6e" / "output.tar.gz"
    slow = tmp_path / "g6" / "output.tar.gz"
    for path, levels in ((fast, {4: 0.5, 8: 0.7, 16: 1.0}), (slow, {4: 0.9, 8: 1.4})):
        path.parent.mkdir()
        path.write_bytes(tarball(sweep(levels)))
    return {"fast": fast, "slow": slow}


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_table_and_chart_compare_configurations(archives, tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    chart = tmp_path / "chart.png"
    code = report.main(
        [
            str(archives["fast"]),
            str(archives["slow"]),
            str(SHARED),
            "--label",
            "g6e",
            "--label",
            "g6",
            "--label",
            "mock",
            "--plot",
            str(chart),
            "--size",
            "640x480",
        ],
        out=out,
        err=err,
    )
    assert code == 0, err.getvalue()
    lines = out.getvalue().splitlines()
    assert lines[0].split() == [
        "Configuration",
        "Concurrency",
        "Req/s",
        "Out",
        "tok/s",
        "Lat",
        "p50",
        "ms",
        "Lat",
        "p90",
        "ms",
        "Lat",
        "p99",
        "ms",
        "TTFT",
        "p50",
        "TTFT",
        "p90",
        "ITL",
        "p50",
        "ITL",
        "p90",
        "Errors",
        "Error",
        "%",
        "Runs",
    ]
    rows = [line.split() for line in lines[2:]]
    assert [(r[0], r[1]) for r in rows] == [
        ("g6e", "4"),
        ("g6e", "8"),
        ("g6e", "16"),
        ("g6", "4"),
        ("g6", "8"),
        ("mock", "4"),
    ]
    raw = real_profile()
    assert rows[-1][3] == f"{raw['output_token_throughput']['avg']:,.0f}"
    assert png_size(chart) == (640, 480)
    assert chart.stat().st_size > 10_000  # axes, two lines, labels: more than an empty canvas


def test_s3_inputs_are_found_downloaded_with_progress_and_read(tmp_path: Path) -> None:
    noise = random.Random(3).randbytes(6 * 1024 * 1024)  # incompressible: a large download
    archive = tarball({**sweep({4: 1.0}), "inputs.json": noise})
    s3 = boto3.client("s3", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(s3) as stub:
        stub.add_response(
            "list_objects_v2",
            {
                "Contents": [
                    {
                        "Key": "bench/job-1/output/output.tar.gz",
                        "LastModified": dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
                    }
                ],
                "IsTruncated": False,
            },
            {"Bucket": "artifacts", "Prefix": "bench/"},
        )
        stub.add_response(
            "get_object",
            {"Body": StreamingBody(io.BytesIO(archive), len(archive)), "ContentLength": len(archive)},
            {"Bucket": "artifacts", "Key": "bench/job-1/output/output.tar.gz"},
        )
        out, err = io.StringIO(), io.StringIO()
        assert report.main(["s3://artifacts/bench/"], s3=s3, out=out, err=err) == 0
    assert "bench  " in out.getvalue()  # labelled after the location
    progress = err.getvalue().splitlines()
    assert progress[0].startswith("downloading s3://artifacts/bench/job-1/output/output.tar.gz: ")
    assert progress[-1].endswith("(100%)")


def test_a_bad_input_fails_with_its_name(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    err = io.StringIO()
    assert report.main([str(empty)], out=io.StringIO(), err=err) == 1
    assert err.getvalue() == f"error: {empty}: no profile_export_aiperf.json in the benchmark output (found: nothing)\n"


def test_labels_must_match_the_inputs(archives) -> None:
    with pytest.raises(SystemExit) as exit_info:
        report.main([str(archives["fast"]), "--label", "a", "--label", "b"], out=io.StringIO(), err=io.StringIO())
    assert exit_info.value.code == 2


def test_the_command_is_installed_with_the_package(archives) -> None:
    command = shutil.which("cdk-genai-benchmark-report", path=str(Path(sys.executable).parent))
    assert command is not None
    run = subprocess.run(
        [command, str(archives["fast"])], capture_output=True, text=True, env={**os.environ}, check=False
    )
    assert run.returncode == 0, run.stderr
    assert "output.tar.gz" not in run.stdout.splitlines()[2]  # labelled by folder: g6e
    assert run.stdout.splitlines()[2].split()[0] == "g6e"


def test_s3_errors_are_reported_without_a_traceback() -> None:
    s3 = boto3.client("s3", region_name="us-west-2", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(s3) as stub:
        stub.add_response("list_objects_v2", {"IsTruncated": False, "KeyCount": 0})
        stub.add_client_error("get_object", "AccessDenied", "Access Denied", 403)
        err = io.StringIO()
        assert report.main(["s3://artifacts/empty/"], s3=s3, out=io.StringIO(), err=err) == 1
        assert err.getvalue() == "error: s3://artifacts/empty/: there is no output.tar.gz under s3://artifacts/empty/\n"
        err = io.StringIO()
        assert report.main(["s3://artifacts/run/output.tar.gz"], s3=s3, out=io.StringIO(), err=err) == 1
        assert "error: s3://artifacts/run/output.tar.gz: An error occurred (AccessDenied)" in err.getvalue()


@pytest.mark.parametrize("size", ["0x0", "640", "-5x400", "20000x480"])
def test_chart_sizes_are_checked(archives, size: str) -> None:
    with pytest.raises(SystemExit):
        report.main([str(archives["fast"]), "--plot", "x.png", "--size", size], out=io.StringIO(), err=io.StringIO())
