#!/usr/bin/env python3
"""The reference app: the serving stack from cdk.json context, checked by cdk-nag's AwsSolutions pack."""

import sys

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from cdk_genai_inference import ValidationError
from stacks.config import ServingConfig
from stacks.serving_stack import ServingStack

app = cdk.App()
try:
    ServingStack(app, "GenAiServing", config=ServingConfig.from_context(app.node))
except ValidationError as error:
    sys.exit(f"error: {error}")
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
