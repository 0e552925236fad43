#!/usr/bin/env python3
"""Run one integration test on a real AWS account: ``./dev integ <test> [--no-clean | --destroy]``.

What integ-runner does for a test, with the pinned CDK CLI (integ-runner itself cannot read this aws-cdk-lib's
cloud assembly yet; README, "Integration tests on a real account"):

1. synthesize the app (``tests/integ/<test>.py``, settings from ``GENAI_INTEG_*``) into ``cdk.out/integ/<test>``;
2. per test case of its ``integ.json``: deploy the test stacks, then the assertion stack without rollback, its
   outputs to a file; every ``AssertionResults*`` output must say ``success``. A test case that expects an
   error passes when its deployment fails with the expected message (and fails when it succeeds);
3. destroy every stack of the app, pass or fail (integ-runner's ``--clean``), unless ``--no-clean`` is given or a
   test case that passed turns destroy off (the recommendation job, which part 2 resolves later): then the
   command that destroys them is printed. ``--destroy`` only destroys.

The CLI is ``$CDK`` (default ``cdk``, on the PATH ``./dev`` sets). The exit status is 0 when every test case passed.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
INTEG = REPO / "tests" / "integ"
OUT = REPO / "cdk.out" / "integ"
"""Each test's cloud assembly and assertion results (``cdk.out/`` is not committed)."""
SYNTH_FLAGS = ("--no-version-reporting", "--no-path-metadata", "--no-asset-metadata")
"""As integ-runner synthesizes (and as the snapshots are)."""
COMMON_FLAGS = ("--no-notices", "--ci")


@dataclass(frozen=True)
class TestCase:
    """One test case of an app's ``integ.json``."""

    name: str
    stacks: tuple[str, ...]
    assertion_stack: str | None
    assertion_stack_name: str | None
    expect_error: bool
    expected_message: str | None
    destroy: bool

    @staticmethod
    def read(assembly: Path) -> list[TestCase]:
        manifest = json.loads((assembly / "integ.json").read_text())
        cases = []
        for name, case in manifest["testCases"].items():
            options: dict[str, Any] = case.get("cdkCommandOptions", {})
            deploy, destroy = options.get("deploy", {}), options.get("destroy", {})
            cases.append(
                TestCase(
                    name=name,
                    stacks=tuple(case["stacks"]),
                    assertion_stack=case.get("assertionStack"),
                    assertion_stack_name=case.get("assertionStackName"),
                    expect_error=bool(deploy.get("expectError", False)),
                    expected_message=deploy.get("expectedMessage"),
                    destroy=bool(destroy.get("enabled", True)),
                )
            )
        return cases


class Cdk:
    """The CDK CLI, run from the repository root on a synthesized assembly."""

    def __init__(self, assembly: Path, executable: str) -> None:
        self.assembly = assembly
        self.executable = executable

    def run(self, *args: str, capture: bool = False) -> tuple[int, str]:
        command = [*shlex.split(self.executable), *args, *COMMON_FLAGS]
        print("$ " + shlex.join(command), flush=True)
        if not capture:
            return subprocess.run(command, cwd=REPO, check=False).returncode, ""
        # Shown as it happens and kept: an expected error is matched against the CLI's own report.
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            sys.stdout.write(line)
            lines.append(line)
        return process.wait(), "".join(lines)

    def synth(self, test: Path) -> int:
        shutil.rmtree(self.assembly, ignore_errors=True)  # no stale stack, and no earlier run's results
        app = f"{shlex.quote(sys.executable)} {shlex.quote(str(test.relative_to(REPO)))}"
        return self.run("synth", "--app", app, "--output", str(self.assembly), "--quiet", *SYNTH_FLAGS)[0]

    def deploy(self, stacks: Sequence[str], *extra: str) -> tuple[int, str]:
        return self.run(
            "deploy", "--app", str(self.assembly), *stacks, "--require-approval", "never", *extra, capture=True
        )

    def destroy(self) -> int:
        return self.run("destroy", "--app", str(self.assembly), "--all", "--force")[0]


def assertion_results(outputs_file: Path, stack_name: str) -> dict[str, dict[str, Any]]:
    """The ``AssertionResults*`` outputs of the assertion stack (a missing file or stack: none)."""
    if not outputs_file.exists():
        return {}
    outputs = json.loads(outputs_file.read_text()).get(stack_name, {})
    results = {}
    for key, value in outputs.items():
        if key.startswith("AssertionResults"):
            try:
                results[key] = json.loads(value)
            except json.JSONDecodeError:
                results[key] = {"status": "fail", "message": f"unreadable assertion result: {value!r}"}
    return results


def run_case(cdk: Cdk, case: TestCase) -> bool:
    """Deploy one test case and its assertions; True when it passed."""
    code, output = cdk.deploy(case.stacks)
    if case.expect_error:
        if code == 0:
            print(f"FAIL {case.name}: the deployment was expected to fail, and succeeded")
            return False
        if case.expected_message and case.expected_message not in output:
            print(f"FAIL {case.name}: the deployment failed, but not with {case.expected_message!r}")
            return False
        print(f"PASS {case.name}: the deployment failed as expected ({case.expected_message or 'any error'})")
        return True
    if code != 0:
        print(f"FAIL {case.name}: the deployment of {', '.join(case.stacks)} failed")
        return False
    if case.assertion_stack is None:
        print(f"PASS {case.name}: deployed (no assertions)")
        return True
    outputs_file = cdk.assembly / "assertion-results.json"
    code, _ = cdk.deploy([case.assertion_stack], "--no-rollback", "--outputs-file", str(outputs_file))
    results = assertion_results(outputs_file, case.assertion_stack_name or case.assertion_stack)
    for key, result in sorted(results.items()):
        print(f"  {result.get('status', '?'):7} {key}{': ' + result['message'] if result.get('message') else ''}")
    failed = code != 0 or not results or any(r.get("status") != "success" for r in results.values())
    if code != 0:
        print(f"FAIL {case.name}: the assertion stack failed to deploy")
    elif not results:
        print(f"FAIL {case.name}: the assertion stack reported no results")
    print(f"{'FAIL' if failed else 'PASS'} {case.name}")
    return not failed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("test", help="integ_<name>, a file of tests/integ/")
    parser.add_argument("--no-clean", action="store_true", help="keep every stack, pass or fail")
    parser.add_argument("--destroy", action="store_true", help="only destroy the test's stacks")
    args = parser.parse_args(argv)
    test = INTEG / f"{args.test.removesuffix('.py')}.py"
    if not test.is_file() or not test.name.startswith("integ_"):
        available = " ".join(p.stem for p in sorted(INTEG.glob("integ_*.py")))
        parser.error(f"no such integration test: {args.test} (available: {available})")
    cdk = Cdk(OUT / test.stem, os.environ.get("CDK", "cdk"))
    if cdk.synth(test) != 0:
        return 1
    if args.destroy:
        return cdk.destroy()
    cases = TestCase.read(cdk.assembly)
    passed = True
    try:
        for case in cases:
            passed = run_case(cdk, case) and passed
    finally:
        # A passed test may keep what a later test needs (the recommendation job); a failed one costs nothing more.
        keep = args.no_clean or (passed and not all(case.destroy for case in cases))
        if keep:
            print(f"Kept the stacks of {test.stem}; destroy them with: ./dev integ {test.stem} --destroy")
        elif cdk.destroy() != 0:
            print(f"The stacks of {test.stem} did not all delete: see README, cleanup")
            passed = False
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
