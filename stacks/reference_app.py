"""The reference app's stacks, built from the context (shared by app.py and the tests)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk

from .config import RecommendationConfig, ServingConfig
from .recommendation_stacks import RecommendationJobStack, RecommendedServingStack, RecommendToServeStack
from .serving_stack import ServingStack


def build(app: cdk.App, **stack_options: Any) -> dict[str, cdk.Stack]:
    """Serving on instance pools; recommend-then-serve in one deployment; and the same as two stages."""
    serving = ServingConfig.from_context(app.node)
    recommendation = RecommendationConfig.from_context(app.node)
    stage_one = RecommendationJobStack(app, "GenAiRecommendation", recommendation=recommendation, **stack_options)
    return {
        "GenAiServing": ServingStack(app, "GenAiServing", config=serving, **stack_options),
        "GenAiRecommendToServe": RecommendToServeStack(
            app, "GenAiRecommendToServe", recommendation=recommendation, serving=serving, **stack_options
        ),
        "GenAiRecommendation": stage_one,
        "GenAiRecommendedServing": RecommendedServingStack(
            app,
            "GenAiRecommendedServing",
            job_name=stage_one.job.job_name,
            recommendation=recommendation,
            serving=serving,
            **stack_options,
        ),
    }
