"""``cdk-genai-inference``: the library's console commands, one subcommand each.

A subcommand is a module under ``console/`` with ``SUMMARY`` (one line), ``add_arguments(parser)`` and
``run(args, parser, *, out, err, **context) -> int``; adding one is one line in ``COMMANDS``. Commands
import neither the AWS CDK nor the SDK at start (an ``s3://`` input loads boto3 when it needs it).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any, TextIO

COMMANDS: dict[str, str] = {
    "report": "report",
    "review": "review",
}
"""Subcommand -> its module in this package."""


def main(
    argv: Sequence[str] | None = None, *, out: TextIO = sys.stdout, err: TextIO = sys.stderr, **context: Any
) -> int:
    parser = argparse.ArgumentParser(prog="cdk-genai-inference", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(f".{module_name}", __package__)
        sub = commands.add_parser(name, help=module.SUMMARY, description=(module.__doc__ or name).splitlines()[0])
        module.add_arguments(sub)
        sub.set_defaults(run=module.run, parser=sub)
    args = parser.parse_args(argv)
    result: int = args.run(args, args.parser, out=out, err=err, **context)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
