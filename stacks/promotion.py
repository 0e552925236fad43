"""Promotion to another account: the staging side owns the artifacts the packages reference and grants the
production account what it needs in its own templates; the production side deploys the packages the staging
account shared, by their group's ARN, and resolves nothing that lives only in the staging account."""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from cdk_genai_inference import PackageApproval, RecommendedModels, S3Location
from cdk_genai_inference.scanners import NagFinding, Waiver, acknowledge_wildcards
from constructs import Construct

from .config import PipelineConfig, RecommendationConfig, ServingConfig
from .serving_stack import serve

ARTIFACTS_KEY_ALIAS = "alias/genai-artifacts"
MODELS, RECOMMENDATIONS = "models/", "recommendations/"
ARTIFACT_LOGS = Waiver(
    "The bucket holds model weights and recommendation outputs that the pipeline's own roles read and write; "
    "where an audit trail is required, CloudTrail S3 data events give one without a second bucket of logs.",
    nag=(NagFinding.BUCKET_WITHOUT_ACCESS_LOGS,),
    checkov=("CKV_AWS_18",),
)
ARTIFACT_OBJECT_LOCK = Waiver(
    "Versioning keeps every object's history; object lock would forbid deleting weights and outputs that are "
    "superseded, which the platform team must be able to do.",
    nag=(NagFinding.BUCKET_WITHOUT_OBJECT_LOCK,),
)
ARTIFACT_REPLICATION = Waiver(
    "Versioned in one Region, where SageMaker reads them: the weights are uploaded again and recommendations are "
    "rerun from the repository, so a replica would only copy what can be rebuilt.",
    nag=(NagFinding.BUCKET_WITHOUT_REPLICATION,),
    checkov=("CKV_AWS_144",),
)


def artifacts_bucket_name(account: str, region: str) -> str:
    """Known at synth on both sides of the promotion (a stage cannot reference another stage's tokens)."""
    return f"genai-artifacts-{account}-{region}"


def artifact_locations(pipeline: PipelineConfig) -> tuple[S3Location, S3Location]:
    """The staging account's model source and recommendation output, as both sides name them."""
    bucket = artifacts_bucket_name(pipeline.stagingAccount, pipeline.region)
    return (
        S3Location.from_uri(f"s3://{bucket}/{MODELS}{pipeline.modelName}/"),
        S3Location.from_uri(f"s3://{bucket}/{RECOMMENDATIONS}"),
    )


def grant_artifacts_key(role: iam.IRole, pipeline: PipelineConfig) -> None:
    """Let ``role`` decrypt the artifacts through S3, in the staging account or another one: the bucket's key
    policy leaves that to IAM in its own account and grants the production account, and ``S3Location.from_uri``
    grants S3 alone."""
    keys = f"arn:{Stack.of(role).partition}:kms:{pipeline.region}:{pipeline.stagingAccount}:key/*"
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["kms:Decrypt"],
            resources=[keys],
            conditions={
                "StringEquals": {"kms:ViaService": f"s3.{pipeline.region}.amazonaws.com"},
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": ARTIFACTS_KEY_ALIAS},
            },
        )
    )
    acknowledge_wildcards(
        role,
        [keys],
        "The staging account's artifact key is known only by its alias here (its id is random, and a stage cannot "
        "reference another stage's key): the grant is limited to the key with that alias, used through S3.",
    )


class PromotionArtifacts(Construct):
    """In the staging account: the bucket (and its key) holding the weights the recommendation job reads and the
    output it writes, which the recommended packages reference; the promoted-to account may read both."""

    def __init__(self, scope: Construct, id: str, *, pipeline: PipelineConfig) -> None:
        super().__init__(scope, id)
        self.key = kms.Key(
            self, "Key", enable_key_rotation=True, alias=ARTIFACTS_KEY_ALIAS, removal_policy=RemovalPolicy.RETAIN
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=artifacts_bucket_name(pipeline.stagingAccount, pipeline.region),
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            removal_policy=RemovalPolicy.RETAIN,  # production models keep reading the packages' artifacts
        )
        production = iam.AccountPrincipal(pipeline.productionAccount)
        for prefix in (MODELS, RECOMMENDATIONS):
            self.bucket.grant_read(production, f"{prefix}*")  # bucket policy and key policy, in this template
        ARTIFACT_LOGS.apply(self.bucket)
        ARTIFACT_REPLICATION.apply(self.bucket)
        ARTIFACT_OBJECT_LOCK.apply(self.bucket)
        self.model_source = S3Location.from_bucket(self.bucket, f"{MODELS}{pipeline.modelName}/")
        self.output = S3Location.from_bucket(self.bucket, RECOMMENDATIONS)


class PromotedServingStack(Stack):
    """Production: serve the packages the staging account shared, as staging resolved and benchmarked them."""

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        pipeline: PipelineConfig,
        group_arn: str,
        recommendation: RecommendationConfig,
        serving: ServingConfig,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        self.models = RecommendedModels(
            self,
            "RecommendedModels",
            model_package_group_arn=group_arn,
            instance_types=recommendation.instanceTypes,
            model_data=list(artifact_locations(pipeline)),
            approval=PackageApproval.REQUIRE_APPROVED,
        )
        grant_artifacts_key(self.models.role, pipeline)
        self.endpoint = serve(
            self,
            serving,
            self.models.instance_pools,
            inference_components=self.models.inference_components,
            initial_instance_count=self.models.initial_instance_count,
            name_suffix="-staged",
        )


def shared_group_arn(pipeline: PipelineConfig, group_name: str) -> str:
    return f"arn:aws:sagemaker:{pipeline.region}:{pipeline.stagingAccount}:model-package-group/{group_name}"
