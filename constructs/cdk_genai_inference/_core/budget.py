"""A synth-time warning before a stack outgrows CloudFormation's limits (500 resources, 1 MB)."""

from __future__ import annotations

import jsii
from aws_cdk import Annotations, Aspects, CfnResource, IAspect, Stack

from constructs import Construct, IConstruct

MAX_RESOURCES = 500
MAX_TEMPLATE_BYTES = 1_000_000
WARN_AT = 0.9
BYTES_PER_RESOURCE = 1_540
"""Measured average for this library's resources (scripts/measure_synth.py); the template itself is
rendered only after aspects run, so its size is estimated from the resource count."""
MARKER = "CdkGenAiInferenceBudget"


@jsii.implements(IAspect)
class _Budget:
    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, Stack):
            return
        resources = sum(1 for c in node.node.find_all() if isinstance(c, CfnResource) and Stack.of(c) is node)
        estimate = resources * BYTES_PER_RESOURCE
        if resources >= WARN_AT * MAX_RESOURCES or estimate >= WARN_AT * MAX_TEMPLATE_BYTES:
            Annotations.of(node).add_warning_v2(
                "cdk-genai-inference:stack-budget",
                f"this stack has {resources} resources (about {estimate // 1000} KB of template); CloudFormation "
                f"allows {MAX_RESOURCES} resources and {MAX_TEMPLATE_BYTES // 1_000_000} MB per stack: split "
                "endpoints across stacks before the next ones",
            )


def watch(scope: Construct) -> None:
    """Check the stack of ``scope`` once at synth (idempotent)."""
    stack = Stack.of(scope)
    if stack.node.try_find_child(MARKER) is None:
        Construct(stack, MARKER)
        Aspects.of(stack).add(_Budget())
