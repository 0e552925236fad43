"""Helpers for synth-time snapshot tests of stacks that use this library.

Example, a pytest test with syrupy:

    from cdk_genai_inference.testing import snapshot_template

    def test_serving_stack(snapshot):
        stack = ServingStack(cdk.App(), "Serving")
        assert snapshot_template(stack) == snapshot

Only values that change without any change to your stack are masked: asset hashes (they move with
every library upgrade, because the handlers' asset bundles the SDK) and the CDK version stamp.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from aws_cdk import Stack
from aws_cdk.assertions import Template

ASSET_HASH = re.compile(r"[0-9a-f]{64}")
MASK = "[ASSET HASH]"


def mask_volatile(template: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``template`` with asset hashes masked and CDK's version metadata removed."""
    masked: dict[str, Any] = json.loads(ASSET_HASH.sub(MASK, json.dumps(template, sort_keys=True)))
    masked.get("Resources", {}).pop("CDKMetadata", None)
    masked.get("Conditions", {}).pop("CDKMetadataAvailable", None)
    return masked


def snapshot_template(stack: Stack) -> dict[str, Any]:
    """Synthesize ``stack`` and return its template, ready to compare with a stored snapshot."""
    return mask_volatile(Template.from_stack(stack).to_json())
