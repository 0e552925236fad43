"""A synth-time warning before a stack outgrows CloudFormation's limits (500 resources, 1 MB)."""

from __future__ import annotations

import jsii
from aws_cdk import Annotations, Aspects, CfnResource, IAspect, Stack

from constructs import Construct, IConstruct

MAX_RESOURCES = 500
MAX_TEMPLATE_BYTES = 1_000_000
WARN_AT = 0.9
BYTES_PER_RESOURCE = 1_965
"""Measured average for this library's resources (``scripts/measure_synth.py``, 25 endpoints, 2026-12-07);
the template itself is rendered only after aspects run, so its size is estimated from the resource count."""
MARKER = "CdkGenAiInferenceBudget"


@jsii.implements(IAspect)
class _Budget:
    """Visits only the marker (a leaf), so synth calls it once instead of for every construct."""

    def visit(self, node: IConstruct) -> None:
        stack = Stack.of(node)
        resources = count_resources(stack)
        estimate = resources * BYTES_PER_RESOURCE
        if resources >= WARN_AT * MAX_RESOURCES or estimate >= WARN_AT * MAX_TEMPLATE_BYTES:
            Annotations.of(stack).add_warning_v2(
                "cdk-genai-inference:stack-budget",
                f"this stack has {resources} resources (about {estimate // 1000} KB of template); CloudFormation "
                f"allows {MAX_RESOURCES} resources and {MAX_TEMPLATE_BYTES // 1_000_000} MB per stack: split "
                "endpoints across stacks before the next ones",
            )


def count_resources(stack: Stack) -> int:
    """The resources in ``stack``'s own template (a nested stack's are in its own)."""
    constructs = stack.node.find_all()
    nested = [c for c in constructs if isinstance(c, Stack) and c is not stack]
    elsewhere = {id(c) for inner in nested for c in inner.node.find_all()}
    return sum(1 for c in constructs if isinstance(c, CfnResource) and id(c) not in elsewhere)


def watch(scope: Construct) -> None:
    """Check the stack of ``scope`` once at synth (idempotent: the marker in the tree says it is watched)."""
    stack = scope if isinstance(scope, Stack) else Stack.of(scope)
    if stack.node.try_find_child(MARKER) is None:
        Aspects.of(Construct(stack, MARKER)).add(_Budget())
