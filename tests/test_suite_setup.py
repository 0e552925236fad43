"""What the suite's own setup promises: the xdist controller, which loads ``conftest.py`` and runs no test,
starts the workers without first loading the CDK, its jsii runtime or the scanners."""

from __future__ import annotations

import subprocess
import sys

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
