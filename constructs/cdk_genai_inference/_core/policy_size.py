"""How long a policy document may be once CloudFormation has resolved it: what IAM counts against its size
limits (characters outside white space), estimated from the document as ``Stack.resolve`` renders it."""

from __future__ import annotations

import json
import re
from typing import Any

ROLE_INLINE_LIMIT = 10_240
"""IAM's limit on the inline policies of one role, all together (characters)."""
PSEUDO_LENGTHS = {
    "AWS::Partition": len("aws-us-gov"),
    "AWS::Region": len("us-isof-south-1"),
    "AWS::AccountId": 12,
    "AWS::URLSuffix": len("amazonaws.com.cn"),
    "AWS::StackName": 128,
}
"""The longest value of each pseudo parameter: the partition and region as of 2026, and a stack's name."""
REFERENCE_LENGTH = 160
"""What a reference to a resource (``Ref``, ``Fn::GetAtt``, an import) is taken to resolve to at most: an ARN
of a generated name (up to 64 characters for a role) in the longest partition and region."""
PARTITIONS = {
    "cn-": "aws-cn",
    "us-gov-": "aws-us-gov",
    "us-iso-": "aws-iso",
    "us-isob-": "aws-iso-b",
    "us-isof-": "aws-iso-f",
    "eu-isoe-": "aws-iso-e",
    "eusc-": "aws-eusc",
}
"""The partition of a region, by the region's prefix (``aws`` for any other)."""
STACK_ID_FIXED = len("arn::cloudformation:::stack//") + 36
"""A stack id, ``arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<UUID>``, without the parts."""


def pseudo_lengths(region: str | None, account: str | None, stack_name: str | None) -> dict[str, int]:
    """The pseudo parameters' lengths in a stack of this region, account and name (None: not known at synth)."""
    lengths = dict(PSEUDO_LENGTHS)
    if region is not None:
        partition = next((p for prefix, p in PARTITIONS.items() if region.startswith(prefix)), "aws")
        lengths.update({"AWS::Region": len(region), "AWS::Partition": len(partition)})
    if account is not None:
        lengths["AWS::AccountId"] = len(account)
    if stack_name is not None:
        lengths["AWS::StackName"] = len(stack_name)
    parts = ("AWS::Partition", "AWS::Region", "AWS::AccountId", "AWS::StackName")
    lengths["AWS::StackId"] = STACK_ID_FIXED + sum(lengths[k] for k in parts)
    return lengths


def resolved_length(document: Any, pseudo: dict[str, int] | None = None) -> int:
    """At most the characters of ``document`` as CloudFormation hands it to IAM, with each pseudo parameter
    of the length ``pseudo`` gives (default: ``pseudo_lengths`` of a stack that fixes none), as long as no
    reference to a resource or parameter resolves to more than ``REFERENCE_LENGTH``."""
    pseudo = pseudo if pseudo is not None else pseudo_lengths(None, None, None)
    return len(json.dumps(_placeholders(document, pseudo), separators=(",", ":")))


def _placeholders(value: Any, pseudo: dict[str, int]) -> Any:
    """``value`` with each intrinsic replaced by a string of the longest length it may resolve to."""
    if isinstance(value, list):
        return [_placeholders(v, pseudo) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1 and any(k == "Ref" or k.startswith("Fn::") for k in value):
        return "x" * _string_length(value, pseudo)
    return {k: _placeholders(v, pseudo) for k, v in value.items()}


def _string_length(value: Any, pseudo: dict[str, int]) -> int:
    """The longest string ``value`` resolves to."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, bool | int | float):
        return len(json.dumps(value))
    if isinstance(value, dict) and len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref":
            return pseudo.get(argument, REFERENCE_LENGTH)
        if key == "Fn::Join" and isinstance(argument[1], list):
            delimiter, parts = argument
            return len(delimiter) * max(len(parts) - 1, 0) + sum(_string_length(p, pseudo) for p in parts)
        if key == "Fn::Sub":
            text = argument if isinstance(argument, str) else argument[0]
            names = re.findall(r"\$\{([^!}][^}]*)\}", text)
            literal = len(re.sub(r"\$\{[^!}][^}]*\}", "", text))
            return literal + sum(pseudo.get(name, REFERENCE_LENGTH) for name in names)
    return REFERENCE_LENGTH
