"""What the suite's own setup promises: the xdist controller, which loads ``conftest.py`` and runs no test,
starts the workers without first loading the CDK, its jsii runtime or the scanners; and the run ends by
saying what the API models validated."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

HEAVY = {"aws_cdk", "jsii", "constructs", "cfnlint", "cdk_nag", "botocore"}


def test_conftest_loads_none_of_the_cdk_the_runtime_or_the_scanners() -> None:
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(REPO / 'tests')!r})\n"
        "import conftest\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({sorted(HEAVY)!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (result.returncode, result.stdout.strip()) == (0, "[]"), result.stdout + result.stderr[-2000:]


PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:hypothesispytest"]
"""pytest without what these runs do not need (hypothesis' plugin imports hypothesis to end a run: 1.2 s)."""
VALIDATING_TEST = """
from api_model import validate_template

def test_a_template_is_validated():
    template = {"Resources": {"Alarm": {"Type": "AWS::CloudWatch::Alarm", "Properties": {
        "ComparisonOperator": "GreaterThanThreshold", "EvaluationPeriods": 1, "MetricName": "Invocations",
        "Namespace": "AWS/SageMaker", "Period": 60, "Statistic": "Sum", "Threshold": 1}}}}
    assert validate_template(template) == []
"""


@pytest.mark.parametrize("workers", ["0", "2"])
def test_the_last_line_sums_what_every_process_validated_against_the_api_models(tmp_path: Path, workers: str) -> None:
    """The suite ends by saying what the API models checked, in one process (``-n 0``) or in xdist workers
    (which hand their figures to the controller to add up)."""
    for name in ("test_one.py", "test_another.py"):  # with two workers, one file each
        (tmp_path / name).write_text(VALIDATING_TEST)
    result = subprocess.run(
        [*PYTEST, "-n", workers, "--rootdir", str(tmp_path), "-c", os.devnull, "-p", "conftest", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "tests"), os.environ.get("PYTHONPATH", "")])},
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert re.search(r"^api-model: 2 templates, 2 requests validated in \d+\.\d\d s$", result.stdout, re.MULTILINE), (
        result.stdout[-2000:]
    )


def test_a_hypothesis_option_from_the_environment_keeps_the_plugin_in_the_xdist_controller(tmp_path: Path) -> None:
    """The controller leaves hypothesis' plugin to the workers, but not when the run asks for one of its
    options, wherever it is set: the statistics are written by the controller."""
    (tmp_path / "test_property.py").write_text(
        "from hypothesis import given, settings, strategies as st\n"
        "@settings(max_examples=2, database=None)\n@given(st.integers())\ndef test_any(x):\n    pass\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "1", "--rootdir", str(tmp_path), "-c",
         os.devnull, "-p", "conftest", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTEST_ADDOPTS": "--hypothesis-show-statistics",
             "PYTHONPATH": os.pathsep.join([str(REPO / "tests"), os.environ.get("PYTHONPATH", "")])},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Hypothesis Statistics" in result.stdout, result.stdout[-2000:]
