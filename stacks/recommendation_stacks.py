"""The reference recommendation flow: recommend, resolve per-pool models, serve.

Two shapes of the same flow:
- ``RecommendToServeStack``: one deployment that waits for the job and then serves its models;
- ``RecommendationJobStack`` then ``RecommendedServingStack``: the job starts in one stack (a pipeline
  stage) and a later stage resolves it by name, once it has completed.

Both approve the packages they resolve: the account that ran the job is deploying its own recommendation
(a platform that reviews recommendations first approves them in the registry and passes
``PackageApproval.REQUIRE_APPROVED``), and host them as recommended, on inference components.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import CfnOutput, Duration, Stack

from cdk_genai_inference import (
    InstancePoolEndpoint,
    IRecommendationJob,
    JobWait,
    PackageApproval,
    RecommendationGoal,
    RecommendationJob,
    RecommendedModels,
    S3Location,
    TokenDistribution,
    ValidationError,
    WorkloadConfig,
)
from constructs import Construct

from .config import PipelineConfig, RecommendationConfig, ServingConfig
from .promotion import PromotionArtifacts
from .serving_stack import serve

GOALS = {
    "cost": RecommendationGoal.COST,
    "latency": RecommendationGoal.LATENCY,
    "throughput": RecommendationGoal.THROUGHPUT,
}


def recommend(
    scope: Construct,
    config: RecommendationConfig,
    wait: JobWait,
    *,
    model_source: S3Location | None = None,
    output: S3Location | None = None,
    share_packages_with: Sequence[str] = (),
) -> RecommendationJob:
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
        model_source=model_source or S3Location.from_uri(config.modelSourceUri),
        workload_config=workload,
        goal=GOALS[config.goal],
        instance_types=config.instanceTypes,
        output=output or S3Location.from_uri(config.outputUri),
        job_name_prefix=config.jobNamePrefix,
        run_token=config.runToken or None,
        share_packages_with=share_packages_with,
        wait=wait,
    )
    CfnOutput(scope, "RecommendationJobName", value=job.job_name)
    return job


def resolve_and_serve(
    scope: Construct,
    job: IRecommendationJob,
    recommendation: RecommendationConfig,
    serving: ServingConfig,
    suffix: str,
    *,
    model_data: Sequence[S3Location] = (),
) -> tuple[RecommendedModels, InstancePoolEndpoint]:
    """Resolve the job, approve what it recommended, and serve it as recommended (copies, accelerators)."""
    models = RecommendedModels(
        scope,
        "RecommendedModels",
        job=job,
        instance_types=recommendation.instanceTypes,
        model_data=list(model_data)
        or [S3Location.from_uri(recommendation.outputUri), S3Location.from_uri(recommendation.modelSourceUri)],
        approval=PackageApproval.APPROVE_ON_RESOLVE,
    )
    endpoint = serve(
        scope,
        serving,
        models.instance_pools,
        inference_components=models.inference_components,
        initial_instance_count=models.initial_instance_count,
        name_suffix=suffix,
    )
    return models, endpoint


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
    """Pipeline stage 1: start the job and move on. Promoted to another account, it also owns the artifacts
    the recommended packages reference and shares them, and the packages, with that account."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        recommendation: RecommendationConfig,
        promotion: PipelineConfig | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        if promotion is None:
            self.job = recommend(self, recommendation, JobWait.none())
            return
        artifacts = PromotionArtifacts(self, "Artifacts", pipeline=promotion)
        self.job = recommend(
            self,
            recommendation,
            JobWait.none(),
            model_source=artifacts.model_source,
            output=artifacts.output,
            share_packages_with=[promotion.productionAccount],
        )


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
        model_data: Sequence[S3Location] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        job = RecommendationJob.from_job_name(self, "RecommendationJob", job_name)
        self.models, self.endpoint = resolve_and_serve(
            self, job, recommendation, serving, "-staged", model_data=model_data
        )
