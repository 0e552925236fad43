"""What the integration tests share: their settings and the constructs more than one of them builds.

Every setting comes from an environment variable with a default, so the same apps run against your own
account (README, "Integration tests on a real account"). The committed snapshots are of the defaults:
``./dev integ-snapshots`` and the suite's snapshot check synthesize with every ``GENAI_INTEG_*`` variable
unset.

| variable | default | what |
|---|---|---|
| ``GENAI_INTEG_REGION`` | ``us-west-2`` | the Region of every stack (and of the default image) |
| ``GENAI_INTEG_BUCKET`` | ``genai-integ-artifacts-111122223333`` | your artifacts bucket, in that Region |
| ``GENAI_INTEG_MODEL_PREFIX`` | ``models/qwen2.5-1.5b-instruct/`` | a Hugging Face checkpoint (SafeTensors), uncompressed, in the bucket |
| ``GENAI_INTEG_IMAGE`` | DJL LMI 0.33.0 (vLLM, CUDA 12.8) in the Region | the serving container |
| ``GENAI_INTEG_POOLS`` | ``ml.g6.xlarge=8,ml.g5.xlarge=8`` | pools by priority: instance type = concurrency one instance sustains |
| ``GENAI_INTEG_RECOMMENDATION_TYPES`` | ``ml.g6.xlarge`` | the recommendation job's instance types (1-3) |
| ``GENAI_INTEG_RECOMMENDATION_JOB`` | the name ``integ_recommendation_job.py`` gives its job | the job ``integ_recommended_models.py`` resolves |

The apps write job output under ``s3://<bucket>/integ/recommendations/`` and ``.../integ/benchmarks/``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import Duration

from cdk_genai_inference import (
    BenchmarkJob,
    BenchmarkSla,
    CapacitySize,
    DeploymentPolicy,
    Framework,
    InstancePool,
    InstancePoolEndpoint,
    JobWait,
    Model,
    RecommendationGoal,
    RecommendationJob,
    RollbackAlarms,
    S3Location,
    TokenDistribution,
    WorkloadConfig,
)
from constructs import Construct

PREFIX = "GENAI_INTEG_"
LMI_IMAGE = "763104351884.dkr.ecr.{region}.amazonaws.com/djl-inference:0.33.0-lmi15.0.0-cu128"
RECOMMENDATION_JOB_STACK = "GenAiIntegRecommendationJob"


@dataclass(frozen=True)
class Settings:
    """The integration tests' settings, read from ``GENAI_INTEG_*`` environment variables."""

    region: str
    bucket: str
    model_prefix: str
    image_uri: str
    pools: tuple[tuple[str, int], ...]
    recommendation_types: tuple[str, ...]
    recommendation_job: str | None

    @staticmethod
    def from_environment(environ: Mapping[str, str] = os.environ) -> Settings:
        def get(name: str, default: str) -> str:
            return environ.get(PREFIX + name) or default

        region = get("REGION", "us-west-2")
        return Settings(
            region=region,
            bucket=get("BUCKET", "genai-integ-artifacts-111122223333"),
            model_prefix=get("MODEL_PREFIX", "models/qwen2.5-1.5b-instruct/"),
            image_uri=get("IMAGE", LMI_IMAGE.format(region=region)),
            pools=tuple(_pool(entry) for entry in get("POOLS", "ml.g6.xlarge=8,ml.g5.xlarge=8").split(",")),
            recommendation_types=tuple(get("RECOMMENDATION_TYPES", "ml.g6.xlarge").split(",")),
            recommendation_job=environ.get(PREFIX + "RECOMMENDATION_JOB") or None,
        )

    @property
    def env(self) -> cdk.Environment:
        """The Region only: the account is the one the CLI deploys with, and no snapshot names it."""
        return cdk.Environment(region=self.region)

    @property
    def model_data(self) -> S3Location:
        return S3Location.from_uri(f"s3://{self.bucket}/{self.model_prefix}")

    def output(self, kind: str) -> S3Location:
        return S3Location.from_uri(f"s3://{self.bucket}/integ/{kind}/")


def _pool(entry: str) -> tuple[str, int]:
    instance_type, _, concurrency = entry.strip().partition("=")
    return instance_type, int(concurrency or 1)


def app() -> cdk.App:
    """An app as integ-runner synthesizes it (it passes its own context and output directory)."""
    return cdk.App()


def assertion_stack(app: cdk.App, name: str, settings: Settings, *tested: cdk.Stack) -> cdk.Stack:
    """The assertions' stack, in the tested stacks' Region (integ-runner's default one may be another), deployed
    after them: the API calls read what they created."""
    stack = cdk.Stack(app, name, env=settings.env)
    for dependency in tested:
        stack.add_stack_dependency(dependency)
    return stack


def serving_model(scope: Construct, settings: Settings) -> Model:
    """The checkpoint on the LMI container, read from ``/opt/ml/model`` (the container stays network-isolated)."""
    return Model(
        scope,
        "Model",
        image_uri=settings.image_uri,
        model_data_url=settings.model_data.uri,
        environment={"OPTION_MAX_MODEL_LEN": "4096"},  # fits the KV cache of a 16-24 GB GPU
    )


def pool_endpoint(scope: Construct, settings: Settings, model: Model) -> InstancePoolEndpoint:
    """Two instances of the first pools that have capacity, routed by least outstanding requests, updated by
    a rolling deployment that its rollback alarms guard: one instance per batch, half the fleet, the most
    the API allows (a batch is 5-50 % of the variant's instances)."""
    return InstancePoolEndpoint(
        scope,
        "Endpoint",
        model=model,
        instance_pools=[InstancePool(t, max_concurrency=c) for t, c in settings.pools],
        initial_instance_count=2,
        provisioning_timeout=Duration.minutes(15),
        deployment=DeploymentPolicy.rolling(max_batch=CapacitySize.instances(1), wait_interval=Duration.minutes(5)),
        rollback_alarms=RollbackAlarms(model_latency=Duration.seconds(30)),
    )


def recommendation_job(scope: Construct, settings: Settings) -> RecommendationJob:
    """A short job: one goal, 1-3 small GPU types, LMI, a light workload; the deployment starts it and moves on."""
    workload = WorkloadConfig(
        scope,
        "Workload",
        input_tokens=TokenDistribution(512, stddev=50),
        output_tokens=TokenDistribution(128, stddev=10),
        concurrency=[1, 4],
        streaming=True,
    )
    return RecommendationJob(
        scope,
        "Job",
        model_source=settings.model_data,
        workload_config=workload,
        goal=RecommendationGoal.COST,
        instance_types=list(settings.recommendation_types),
        framework=Framework.LMI,  # the request format part 2 sends: {"inputs": ..., "parameters": ...}
        output=settings.output("recommendations"),
        job_name_prefix="genai-integ",
        wait=JobWait.none(),
    )


def benchmark_gate(
    scope: Construct, settings: Settings, sla: BenchmarkSla
) -> tuple[InstancePoolEndpoint, BenchmarkJob]:
    """A pool endpoint, and AIPerf against it once it is in service (a few minutes of light traffic). The
    deployment waits for the results; a breach of ``sla`` fails it."""
    endpoint = pool_endpoint(scope, settings, serving_model(scope, settings))
    workload = WorkloadConfig(
        scope,
        "BenchmarkWorkload",
        input_tokens=TokenDistribution(256),
        output_tokens=TokenDistribution(64),
        concurrency=4,
        request_count=200,
        streaming=True,
    )
    return endpoint, BenchmarkJob(
        scope,
        "Benchmark",
        endpoint=endpoint,
        workload_config=workload,
        output=settings.output("benchmarks"),
        sla=sla,
        job_name_prefix="genai-integ-benchmark",
        wait=JobWait.in_deployment(Duration.hours(1), poll_interval=Duration.minutes(2)),
    )


def recommendation_job_name(settings: Settings) -> str:
    """The job to resolve: ``GENAI_INTEG_RECOMMENDATION_JOB``, else the name ``integ_recommendation_job.py`` gives
    its job with the same settings (a job's name derives from its definition)."""
    if settings.recommendation_job:
        return settings.recommendation_job
    stack = cdk.Stack(cdk.App(), RECOMMENDATION_JOB_STACK, env=settings.env)
    return recommendation_job(stack, settings).job_name


def instance_types(pools: Sequence[tuple[str, int]]) -> list[str]:
    return [instance_type for instance_type, _ in pools]
