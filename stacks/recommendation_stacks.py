"""The reference recommendation flow: recommend, resolve per-pool models, serve.

Two shapes of the same flow:
- ``RecommendToServeStack``: one deployment that waits for the job and then serves its models;
- ``RecommendationJobStack`` then ``RecommendedServingStack``: the job starts in one stack (a pipeline
  stage) and a later stage resolves it by name, once it has completed.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack

from cdk_genai_inference import (
    InstancePoolEndpoint,
    IRecommendationJob,
    JobWait,
    RecommendationGoal,
    RecommendationJob,
    RecommendedModels,
    S3Location,
    TokenDistribution,
    ValidationError,
    WorkloadConfig,
)
from constructs import Construct

from .config import RecommendationConfig, ServingConfig
from .serving_stack import serve

GOALS = {
    "cost": RecommendationGoal.COST,
    "latency": RecommendationGoal.LATENCY,
    "throughput": RecommendationGoal.THROUGHPUT,
}


def recommend(scope: Construct, config: RecommendationConfig, wait: JobWait) -> RecommendationJob:
    """The launch example: about 3500 input and 200 output tokens, one goal, up to 3 instance types."""
    if config.goal not in GOALS:
        raise ValidationError(f"context recommendation:goal must be one of {', '.join(GOALS)}, got {config.goal!r}")
    workload = WorkloadConfig(
        scope,
        "Workload",
        input_tokens=TokenDistribution(config.inputTokensMean, config.inputTokensStddev),
        output_tokens=TokenDistribution(config.outputTokensMean, config.outputTokensStddev),
        concurrency=config.concurrency,
        streaming=True,
    )
    job = RecommendationJob(
        scope,
        "RecommendationJob",
        model_source=S3Location.from_uri(config.modelSourceUri),
        workload_config=workload,
        goal=GOALS[config.goal],
        instance_types=config.instanceTypes,
        output=S3Location.from_uri(config.outputUri),
        job_name_prefix=config.jobNamePrefix,
        wait=wait,
    )
    CfnOutput(scope, "RecommendationJobName", value=job.job_name)
    return job


def resolve_and_serve(
    scope: Construct, job: IRecommendationJob, recommendation: RecommendationConfig, serving: ServingConfig, suffix: str
) -> tuple[RecommendedModels, InstancePoolEndpoint]:
    models = RecommendedModels(
        scope,
        "RecommendedModels",
        job=job,
        instance_types=recommendation.instanceTypes,
        model_data=[S3Location.from_uri(recommendation.outputUri), S3Location.from_uri(recommendation.modelSourceUri)],
    )
    return models, serve(scope, serving, models.instance_pools, name_suffix=suffix)


class RecommendToServeStack(Stack):
    """Recommend and serve in one deployment, which waits for the job (up to ``waitHours``)."""

    def __init__(
        self, scope: Construct, id: str, *, recommendation: RecommendationConfig, serving: ServingConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, id, **kwargs)
        wait = JobWait.in_deployment(Duration.hours(recommendation.waitHours))
        self.job = recommend(self, recommendation, wait)
        self.models, self.endpoint = resolve_and_serve(self, self.job, recommendation, serving, "-recommended")


class RecommendationJobStack(Stack):
    """Pipeline stage 1: start the job and move on."""

    def __init__(self, scope: Construct, id: str, *, recommendation: RecommendationConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        self.job = recommend(self, recommendation, JobWait.none())


class RecommendedServingStack(Stack):
    """Pipeline stage 2: resolve the completed job by name and serve its models."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        job_name: str,
        recommendation: RecommendationConfig,
        serving: ServingConfig,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        job = RecommendationJob.from_job_name(self, "RecommendationJob", job_name)
        self.models, self.endpoint = resolve_and_serve(self, job, recommendation, serving, "-staged")
