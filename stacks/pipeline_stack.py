"""The reference delivery pipeline: recommend -> serve -> benchmark gate -> approval -> production.

Every stage deploys the library's stacks. Staging runs the recommendation job, approves and serves the
packages it recommended (recording how it resolved them), and benchmarks the endpoint: a breach of the SLA
fails that stage, so nothing is promoted. A person then approves the promotion, and production deploys
exactly those packages, shared with it by their model package group's resource policy and read by ARN,
with the artifacts they reference (granted by the staging account's bucket and key policies). The source
connection and the accounts come from ``cdk.json`` (placeholders there): the pipeline synthesizes with no
AWS account and performs no context lookups.
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
from .promotion import PromotedServingStack, artifact_locations, grant_artifacts_key, shared_group_arn
from .recommendation_stacks import RecommendationJobStack, RecommendedServingStack
from .serving_stack import gate


class RecommendStage(cdk.Stage):
    """Starts the recommendation job, whose packages and artifacts production may read; the next stage
    resolves it once it has completed."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        recommendation: RecommendationConfig,
        pipeline: PipelineConfig,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        job = RecommendationJobStack(self, "Recommendation", recommendation=recommendation, promotion=pipeline).job
        self.job_name = job.job_name
        self.group_arn = shared_group_arn(pipeline, job.model_package_group)


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
        pipeline: PipelineConfig,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        stack = RecommendedServingStack(
            self,
            "Serving",
            job_name=job_name,
            recommendation=recommendation,
            serving=serving,
            model_data=artifact_locations(pipeline),
        )
        grant_artifacts_key(stack.models.role, pipeline)
        self.endpoint_name = stack.endpoint.endpoint_name
        self.inference_component_name = stack.endpoint.inference_component_name
        # It holds the job the packages are resolved from: a new job is a new definition.
        self.served_definition = stack.endpoint.served_definition


class ProductionStage(cdk.Stage):
    """Serves, in the production account, the packages staging resolved, served and benchmarked."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        group_arn: str,
        recommendation: RecommendationConfig,
        serving: ServingConfig,
        pipeline: PipelineConfig,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        PromotedServingStack(
            self, "Serving", pipeline=pipeline, group_arn=group_arn, recommendation=recommendation, serving=serving
        )


class BenchmarkGateStage(cdk.Stage):
    """Benchmarks the endpoint the serve stage deployed, again whenever what it serves changes; an SLA breach
    fails the stage."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        serve: ServeStage,
        benchmark: BenchmarkConfig,
        run_token: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        stack = cdk.Stack(self, "Gate")
        endpoint = InstancePoolEndpoint.from_endpoint_attributes(
            stack,
            "Endpoint",
            endpoint_name=serve.endpoint_name,
            inference_component_name=serve.inference_component_name,
            served_definition=serve.served_definition,
        )
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
        recommend = RecommendStage(self, "Recommend", recommendation=recommendation, pipeline=pipeline, env=staging)
        serve = ServeStage(
            self,
            "Serve",
            job_name=recommend.job_name,
            recommendation=recommendation,
            serving=serving,
            pipeline=pipeline,
            env=staging,
        )
        gate = BenchmarkGateStage(
            self,
            "BenchmarkGate",
            serve=serve,
            benchmark=benchmark,
            run_token=pipeline.runToken,
            env=staging,
        )
        promote = ProductionStage(
            self,
            "Production",
            group_arn=recommend.group_arn,
            recommendation=recommendation,
            serving=serving,
            pipeline=pipeline,
            env=production,
        )
        for stage in (recommend, serve, gate):
            self.pipeline.add_stage(stage)
        approval = pipelines.ManualApprovalStep(
            "PromoteToProduction",
            comment="Staging served and benchmarked the recommended packages; approve to deploy exactly those "
            "packages to production (the benchmark's figures are the BenchmarkGate stack's outputs).",
        )
        self.pipeline.add_stage(promote, pre=[approval])
        self.pipeline.build_pipeline()
        acknowledge_pipeline(self)
