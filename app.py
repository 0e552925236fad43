#!/usr/bin/env python3
"""The reference app from cdk.json context, checked by cdk-nag's AwsSolutions and NIST 800-53 R5 packs."""

import sys

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, NIST80053R5Checks

from cdk_genai_inference import ValidationError
from stacks.reference_app import build

app = cdk.App()
try:
    build(app)
except ValidationError as error:
    sys.exit(f"error: {error}")
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app), NIST80053R5Checks(app))
app.synth()
