#!/usr/bin/env python3
"""Snapshots of the integration tests: synthesize every ``tests/integ/integ_*.py`` app, then write its snapshot
(``./dev integ-snapshots [TEST...]``) or report how the committed one differs (``--check``; the suite runs it).

This is the equivalent of integ-runner's snapshot verification, which needs no AWS account but cannot read
the cloud assembly of this aws-cdk-lib (README, "Integration tests on a real account"). Like integ-runner, it
synthesizes each app without path metadata, asset metadata or version reporting, keeps the snapshot in
``<test>.snapshot/`` without asset directories, and compares with asset hashes masked: they change with every
handler or SDK release without a change to any template. It also compares the assertion stack, whose API
calls carry a ``salt`` of the synth time, masked too. Nothing else is masked.

Every app is built in this one process (the jsii runtime starts once) with every ``GENAI_INTEG_*`` setting at
its default, so the snapshots do not depend on who synthesizes them.
"""

from __future__ import annotations

import argparse
import difflib
import importlib.util
import json
import re
import shutil
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
INTEG = REPO / "tests" / "integ"
CONTEXT = {
    "aws:cdk:enable-path-metadata": False,
    "aws:cdk:enable-asset-metadata": False,
    "aws:cdk:version-reporting": False,
    "aws:cdk:disable-stack-trace": True,
}
"""What integ-runner passes (``pathMetadata``, ``assetMetadata``, ``versionReporting`` off), and no creation traces."""
KEPT = re.compile(r"^(manifest|integ)\.json$|\.(template|assets)\.json$")
"""The snapshot: the assembly's manifests, templates and asset manifests; no asset directory, construct tree
or construct metadata (which carries the acknowledgments and the creation traces)."""
ASSERTION_TYPE = "Custom::DeployAssert@"
MAX_DIFF_LINES = 80


def tests(names: Sequence[str] = ()) -> list[Path]:
    """The integration test apps, all or those named (``integ_pool_endpoint`` or its file name)."""
    found = sorted(INTEG.glob("integ_*.py"))
    if not names:
        return found
    wanted = {name.removesuffix(".py") for name in names}
    unknown = wanted - {test.stem for test in found}
    if unknown:
        raise SystemExit(f"no such integration test: {', '.join(sorted(unknown))}")
    return [test for test in found if test.stem in wanted]


def snapshot_dir(test: Path) -> Path:
    """integ-runner's place for it: ``integ_x.py.snapshot/`` beside the app."""
    return test.with_name(f"{test.name}.snapshot")


def synthesize(test: Path, outdir: Path) -> Path:
    """Build the app of ``test`` with the default settings and synthesize it into ``outdir``."""
    if str(INTEG) not in sys.path:
        sys.path.insert(0, str(INTEG))  # the apps import their shared module as a script does
    import aws_cdk as cdk

    from common import Settings

    spec = importlib.util.spec_from_file_location(test.stem, test)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    app = cdk.App(outdir=str(outdir), context=CONTEXT)
    module.build(app, Settings.from_environment({}))
    app.synth()
    return outdir


def read(assembly: Path) -> dict[str, Any]:
    """The snapshot's files of a cloud assembly, parsed."""
    return {p.name: json.loads(p.read_text()) for p in sorted(assembly.iterdir()) if KEPT.search(p.name)}


def canonical(files: dict[str, Any]) -> dict[str, Any]:
    """``files`` with asset hashes (the ids every asset manifest lists) and assertion salts masked."""
    ids: list[str] = []
    for name, content in files.items():
        if name.endswith(".assets.json"):
            for section in ("files", "dockerImages"):
                ids.extend(i for i in content.get(section, {}) if i not in ids)
    pattern = re.compile("|".join(re.escape(i) for i in ids)) if ids else None
    number = {asset_id: f"<asset {n}>" for n, asset_id in enumerate(ids, start=1)}

    def mask(value: Any) -> Any:
        if isinstance(value, dict):
            return {mask(k): mask(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mask(v) for v in value]
        if isinstance(value, str) and pattern is not None:
            return pattern.sub(lambda m: number[m.group(0)], value)
        return value

    masked = mask(files)
    for name, content in masked.items():
        if name.endswith(".template.json"):
            for resource in content.get("Resources", {}).values():
                if str(resource.get("Type", "")).startswith(ASSERTION_TYPE) and "salt" in resource.get(
                    "Properties", {}
                ):
                    resource["Properties"]["salt"] = "<synth time>"
    return masked


def differences(expected: dict[str, Any], actual: dict[str, Any]) -> list[str]:
    """How ``actual`` differs from ``expected``, masked: missing or extra files, then a diff per changed file."""
    left, right = canonical(expected), canonical(actual)
    found = [f"{name} is in the snapshot, not in the synthesized app" for name in sorted(left.keys() - right.keys())]
    found += [f"{name} is synthesized, not in the snapshot" for name in sorted(right.keys() - left.keys())]
    for name in sorted(left.keys() & right.keys()):
        if name.endswith(".assets.json"):
            continue  # where each asset goes (kept to mask the snapshot's asset hashes); integ-runner skips them too
        if left[name] != right[name]:
            diff = difflib.unified_diff(
                _lines(left[name]), _lines(right[name]), f"snapshot/{name}", f"synthesized/{name}", lineterm=""
            )
            lines = list(diff)
            cut = ["..."] if len(lines) > MAX_DIFF_LINES else []
            found.append("\n".join(lines[:MAX_DIFF_LINES] + cut))
    return found


def _lines(content: Any) -> list[str]:
    return json.dumps(content, indent=1, sort_keys=True).splitlines()


def write(assembly: Path, snapshot: Path) -> None:
    """Replace ``snapshot`` with the snapshot files of ``assembly``."""
    if snapshot.exists():
        shutil.rmtree(snapshot)
    snapshot.mkdir()
    for name in read(assembly):
        shutil.copyfile(assembly / name, snapshot / name)


def check(selected: Iterable[Path], workdir: Path) -> dict[str, list[str]]:
    """Synthesize each test into ``workdir`` and compare it with its committed snapshot."""
    report: dict[str, list[str]] = {}
    for test in selected:
        assembly = synthesize(test, workdir / test.stem)
        snapshot = snapshot_dir(test)
        report[test.name] = (
            differences(read(snapshot), read(assembly))
            if snapshot.is_dir()
            else [f"{snapshot.name} does not exist: run ./dev integ-snapshots"]
        )
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("tests", nargs="*", help="integ_<name> (default: every test in tests/integ/)")
    parser.add_argument("--check", action="store_true", help="compare with the committed snapshots, write nothing")
    args = parser.parse_args(argv)
    selected = tests(args.tests)
    with tempfile.TemporaryDirectory() as work:
        if args.check:
            report = check(selected, Path(work))
            for name, found in report.items():
                print(f"{name}: {'current' if not found else 'STALE'}")
                for difference in found:
                    print(difference)
            return 1 if any(report.values()) else 0
        for test in selected:
            assembly, snapshot = synthesize(test, Path(work) / test.stem), snapshot_dir(test)
            if snapshot.is_dir() and not differences(read(snapshot), read(assembly)):
                print(f"unchanged {snapshot.relative_to(REPO)}")  # no churn of salts and hashes alone
                continue
            write(assembly, snapshot)
            print(f"wrote {snapshot.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
