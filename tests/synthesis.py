"""Synthesize a test stack and check its template: cfn-lint against CloudFormation's resource schemas,
the API models behind its resources, the order of its permissions, cdk-nag; and the values the test
stacks share. Importing it starts the jsii runtime on the Node that ``conftest.py`` puts first on PATH."""

from __future__ import annotations

import functools
import json
from typing import Any

import aws_cdk as cdk
import cfnlint.config
import cfnlint.decode
import cfnlint.runner
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks

from api_model import validate_template
from permission_order import unwaited_policies

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
    models behind the SageMaker, Application Auto Scaling and CloudWatch resources reject (api_model), and
    each resource that would use a role before all of its policies exist (permission_order)."""
    matches = cfn_lint_matches(template)
    return (
        [
            str(m)
            for m in matches
            if m.rule.id[0] in "EW" and m.rule.id not in IGNORED_RULES and m.message not in IGNORED_MESSAGES
        ]
        + api_findings(template)
        + unwaited_policies(template)
    )


def api_findings(template: dict[str, Any]) -> list[str]:
    """What the API models of the calls behind the template's resources reject, for a template that is
    synthesized without being linted."""
    return [str(finding) for finding in validate_template(template)]


def check_with_nag(app: cdk.App) -> None:
    """Make ``app.synth()`` raise on any finding of cdk-nag's AwsSolutions or NIST 800-53 R5 pack
    that no construct acknowledged (``test_nag_packs`` runs every pack, once)."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))


def synth(stack: cdk.Stack) -> Template:
    """Synthesize ``stack`` and fail the test when its template does not pass ``lint``."""
    template = Template.from_stack(stack)
    findings = lint(template.to_json())
    assert findings == [], "cfn-lint, API-model and permission-order findings:\n" + "\n".join(findings)
    return template


def only(template: Template, kind: str) -> dict[str, Any]:
    """The properties of the single resource of ``kind``."""
    found = template.find_resources(kind)
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return next(iter(found.values()))["Properties"]


def of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The resources of ``kind`` in a template as JSON."""
    return [r for r in template["Resources"].values() if r["Type"] == kind]
