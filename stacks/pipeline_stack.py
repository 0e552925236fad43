"""The reference delivery pipeline: recommend -> serve -> benchmark gate -> production.

Every stage deploys the library's stacks; the benchmark gate runs AIPerf against the endpoint the
serve stage just deployed, and a breach of its SLA fails that stage, so production is never
promoted. The source connection and the accounts come from ``cdk.json`` (placeholders there): the
pipeline synthesizes with no AWS account and performs no context lookups.
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import pipelines

from cdk_genai_inference import InstancePoolEndpoint
from constructs import Construct

from ._scanners import acknowledge_pipeline
from .config import BenchmarkConfig, PipelineConfig, RecommendationConfig, ServingConfig
from .recommendation_stacks import RecommendationJobStack, RecommendedServingStack
from .serving_stack import gate


class RecommendStage(cdk.Stage):
    """Starts the recommendation job; the next stage resolves it once it has completed."""

    def __init__(self, scope: Construct, id: str, *, recommendation: RecommendationConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        self.job_name = RecommendationJobStack(self, "Recommendation", recommendation=recommendation).job.job_name


class ServeStage(cdk.Stage):
    """Serves the recommended models on instance pools."""

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
        stack = RecommendedServingStack(
            self, "Serving", job_name=job_name, recommendation=recommendation, serving=serving
        )
        self.endpoint_name = stack.endpoint.endpoint_name


class BenchmarkGateStage(cdk.Stage):
    """Benchmarks the endpoint the serve stage deployed; an SLA breach fails the stage."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint_name: str,
        benchmark: BenchmarkConfig,
        run_token: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        stack = cdk.Stack(self, "Gate")
        endpoint = InstancePoolEndpoint.from_endpoint_name(stack, "Endpoint", endpoint_name)
        gate(stack, endpoint, benchmark, run_token=run_token)


class PipelineStack(cdk.Stack):
    """A CDK Pipelines delivery pipeline over the reference stacks."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        pipeline: PipelineConfig,
        recommendation: RecommendationConfig,
        serving: ServingConfig,
        benchmark: BenchmarkConfig,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        source = pipelines.CodePipelineSource.connection(
            pipeline.repository, pipeline.branch, connection_arn=pipeline.connectionArn
        )
        self.pipeline = pipelines.CodePipeline(
            self,
            "Pipeline",
            cross_account_keys=True,
            enable_key_rotation=True,
            pipeline_type=codepipeline.PipelineType.V2,
            synth=pipelines.ShellStep(
                "Synth", input=source, commands=["./dev synth"], primary_output_directory="cdk.out"
            ),
        )
        staging = cdk.Environment(account=pipeline.stagingAccount, region=pipeline.region)
        production = cdk.Environment(account=pipeline.productionAccount, region=pipeline.region)
        recommend = RecommendStage(self, "Recommend", recommendation=recommendation, env=staging)
        serve = ServeStage(
            self, "Serve", job_name=recommend.job_name, recommendation=recommendation, serving=serving, env=staging
        )
        gate = BenchmarkGateStage(
            self,
            "BenchmarkGate",
            endpoint_name=serve.endpoint_name,
            benchmark=benchmark,
            run_token=pipeline.runToken,
            env=staging,
        )
        promote = ServeStage(
            self,
            "Production",
            job_name=recommend.job_name,
            recommendation=recommendation,
            serving=serving,
            env=production,
        )
        for stage in (recommend, serve, gate, promote):
            self.pipeline.add_stage(stage)
        self.pipeline.build_pipeline()
        acknowledge_pipeline(self)
