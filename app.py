#!/usr/bin/env python3
"""The reference app: the serving stack from cdk.json context, checked by cdk-nag's AwsSolutions pack."""

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from stacks.config import ServingConfig
from stacks.nag import acknowledge_serving_stack
from stacks.serving_stack import ServingStack

app = cdk.App()
serving = ServingStack(app, "GenAiServing", config=ServingConfig.from_context(app.node))
acknowledge_serving_stack(serving)
cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
app.synth()
