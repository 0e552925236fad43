"""ARNs of SageMaker resources known by name."""

from __future__ import annotations

from aws_cdk import Stack

from constructs import Construct

from .validation import unresolved


def sagemaker_arn(scope: Construct, resource: str, name: str, *, as_given: bool = False) -> str:
    """``arn:...:sagemaker:<region>:<account>:<resource>/<name>``. SageMaker writes names into ARNs in
    lower case and IAM compares exactly, so the name is lower-cased (``as_given`` keeps it, for a
    resource whose case is unknown); deploy-time names pass through."""
    if not as_given and not unresolved(name):
        name = name.lower()
    stack = scope if isinstance(scope, Stack) else Stack.of(scope)
    return stack.format_arn(service="sagemaker", resource=resource, resource_name=name)
