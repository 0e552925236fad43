"""Run checkov's own CLI in this process and print, as JSON, only what the tests read of its reports:
each framework's summary and its failed and skipped checks.

checkov's ``--output json`` of the reference app's templates is about 150 MB, nearly all of it the
code blocks of passed checks; writing, piping and parsing it took longer than the scan. This runs the
same ``Checkov`` object the ``checkov`` command runs, with the same arguments, and reads its reports.

Usage (with the interpreter checkov is installed in): python checkov_scan.py CHECKOV-ARGUMENTS...
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from typing import Any

os.environ["CHECKOV_NO_OUTPUT"] = "true"  # read when checkov is imported: no console report to build
from checkov.main import Checkov


def _checks(records: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "file_path": record.file_path,
            "resource": record.resource,
            "check_id": record.check_id,
            "suppress_comment": (record.check_result or {}).get("suppress_comment"),
        }
        for record in records
    ]


def main(argv: list[str]) -> int:
    checkov = Checkov(argv=argv)
    with contextlib.redirect_stdout(io.StringIO()):  # nothing else checkov prints reaches the JSON
        checkov.run()
    if not checkov.scan_reports:
        print("checkov produced no report (nothing scanned, or it stopped early)", file=sys.stderr)
        return 1
    reports = [
        {
            "check_type": report.check_type,
            "summary": report.get_summary(),
            "failed_checks": _checks(report.failed_checks),
            "skipped_checks": _checks(report.skipped_checks),
        }
        for report in checkov.scan_reports
    ]
    json.dump(reports, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
