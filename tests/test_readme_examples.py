"""The README's examples run as written, and what they build passes cfn-lint."""

from __future__ import annotations

import re

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_

from cdk_genai_inference.scanners import NagFinding
from conftest import REPO
from synthesis import lint

EXAMPLE = re.compile(r"<!-- example: (?P<name>[\w-]+) -->\n```python\n(?P<code>.*?)```", re.S)


def test_readme_examples_synthesize_and_lint_clean() -> None:
    examples = {m["name"]: m["code"] for m in EXAMPLE.finditer((REPO / "README.md").read_text())}
    assert list(examples) == [
        "instance-pool-endpoint",
        "inference-components",
        "workload-and-recommendation",
        "benchmark",
        "fleet-dashboard",
        "scanner-waiver",
    ]

    app = cdk.App()
    functions = cdk.Stack(app, "Functions")
    my_function = lambda_.Function(
        functions,
        "Caller",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return event\n"),
    )
    namespace = {"app": app, "my_function": my_function}
    for code in examples.values():
        exec(compile(code, "README.md", "exec"), namespace)  # our own documentation

    assembly = app.synth()
    for stack in assembly.stacks:
        assert lint(stack.template) == [], stack.stack_name
    serving = assembly.get_stack_by_name("Serving").template
    kinds = [r["Type"] for r in serving["Resources"].values()]
    assert kinds.count("AWS::SageMaker::Endpoint") == 3
    assert kinds.count("AWS::SageMaker::InferenceComponent") == 2  # the README's, and the recommendation's copies
    assert kinds.count("Custom::AIRecommendationJob") == 1
    assert kinds.count("Custom::AIBenchmarkJob") == 1 and kinds.count("Custom::AIBenchmarkResults") == 1
    assert namespace["sized"].max_concurrency is not None
    assert kinds.count("AWS::SageMaker::Model") == 1 + 3  # the README's model and one per recommended pool
    acknowledged = [
        rule
        for entry in namespace["endpoint"].endpoint_config.node.metadata
        if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY
        for rule in entry.data
    ]
    expected = [f"{rule.split('-')[0]}::{rule}" for rule in NagFinding.ENDPOINT_CONFIG_WITHOUT_KMS_KEY.rules]
    assert acknowledged[-len(expected) :] == expected  # the README's waiver, under every pack with the rule
    assert kinds.count("AWS::CloudWatch::Dashboard") == 1  # every endpoint's section, and the runbook
