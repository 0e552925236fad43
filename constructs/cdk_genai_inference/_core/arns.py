"""ARNs of SageMaker resources known by name, and whether an ARN names the stack's account and region."""

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


def case_spellings(name: str) -> list[str]:
    """``name`` lower-cased and as given (one spelling when they agree; a deploy-time name as given),
    for a resource whose ARN's case SageMaker does not document consistently: a model package version's
    group is lower-cased in the developer guide's lineage example and kept as given in an AccessDenied
    message from a real account. IAM compares exactly, so a grant names both."""
    return list(dict.fromkeys([name if unresolved(name) else name.lower(), name]))


def sagemaker_arn_spellings(scope: Construct, resource: str, name: str) -> list[str]:
    """``sagemaker_arn`` of each of ``case_spellings(name)``."""
    return [sagemaker_arn(scope, resource, spelling, as_given=True) for spelling in case_spellings(name)]


def outside_stack(stack: Stack, *, account: str | None, region: str | None) -> tuple[str, str, str] | None:
    """``(part, theirs, the stack's)`` for the first of account and region known on both sides that
    differs from ``stack``'s, else None (a part not given or known only at deploy time is not compared)."""
    for part, theirs, ours in (("account", account, stack.account), ("region", region, stack.region)):
        if theirs is not None and not unresolved(theirs) and not unresolved(ours) and theirs != ours:
            return part, theirs, ours
    return None
