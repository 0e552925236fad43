"""The reference app's stacks, built from the context (shared by app.py and the tests)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk

from .config import BenchmarkConfig, PipelineConfig, RecommendationConfig, ServingConfig
from .pipeline_stack import PipelineStack
from .recommendation_stacks import RecommendationJobStack, RecommendedServingStack, RecommendToServeStack
from .serving_stack import ServingStack


def build(app: cdk.App, **stack_options: Any) -> dict[str, cdk.Stack]:
    """Serving on instance pools behind a benchmark gate; recommend-then-serve in one deployment; and the
    same as two pipeline stages."""
    serving = ServingConfig.from_context(app.node)
    recommendation = RecommendationConfig.from_context(app.node)
    benchmark = BenchmarkConfig.from_context(app.node)
    stacks: dict[str, cdk.Stack] = {
        "GenAiServing": ServingStack(app, "GenAiServing", config=serving, benchmark=benchmark, **stack_options),
        "GenAiRecommendToServe": RecommendToServeStack(
            app, "GenAiRecommendToServe", recommendation=recommendation, serving=serving, **stack_options
        ),
    }
    stage_one = RecommendationJobStack(app, "GenAiRecommendation", recommendation=recommendation, **stack_options)
    stacks["GenAiRecommendation"] = stage_one
    stage_two = RecommendedServingStack(
        app,
        "GenAiRecommendedServing",
        job_name=stage_one.job.job_name,
        recommendation=recommendation,
        serving=serving,
        **stack_options,
    )
    # Deploy order only: in a pipeline, stage two runs once the job has completed (a later run, or
    # after a manual approval); before that it fails, naming the job's status.
    stage_two.add_stack_dependency(stage_one)
    stacks["GenAiRecommendedServing"] = stage_two
    pipeline = PipelineConfig.from_context(app.node)
    stacks["GenAiPipeline"] = PipelineStack(
        app,
        "GenAiPipeline",
        pipeline=pipeline,
        recommendation=recommendation,
        serving=serving,
        benchmark=benchmark,
        env=cdk.Environment(account=pipeline.pipelineAccount, region=pipeline.region),
    )
    return stacks
