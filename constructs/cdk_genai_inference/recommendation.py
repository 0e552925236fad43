"""``RecommendationJob`` and ``RecommendedModels``: from a model in S3 to deploy-ready pools."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from aws_cdk import CustomResource, Resource, Stack, Token
from aws_cdk import aws_iam as iam

from constructs import Construct, IDependable

from . import service_model
from ._ai_jobs import AiJobsProvider
from ._arns import sagemaker_arn
from ._roles import depend_on_policy, grant_image_pull, sagemaker_execution_role
from ._scanners import acknowledge_wildcards
from ._validate import check_choice, check_range, check_unique, unresolved
from .errors import ValidationError
from .jobs import (
    JobWait,
    MlflowTracking,
    S3Location,
    check_job_name_prefix,
    grant_s3,
    job_name,
    job_resource,
    validate_request,
)
from .model import Model
from .pools import MAX_POOLS, InstancePool, register_candidates
from .workload import IWorkloadConfig

MAX_INSTANCE_TYPES = 3
"""``ComputeSpec.InstanceTypes`` holds at most 3 instance types."""


class RecommendationGoal(enum.Enum):
    """The one performance objective the job optimizes for."""

    COST = "cost"
    """Lowest cost per hour of the configuration."""
    LATENCY = "ttft-ms"
    """Lowest time to first token."""
    THROUGHPUT = "throughput"
    """Highest output tokens per second."""


class Framework(enum.Enum):
    """The serving framework the recommended configurations use."""

    VLLM = "VLLM"
    LMI = "LMI"


class PoolOrder(enum.Enum):
    """How ``RecommendedModels`` orders its pools."""

    PRIORITY = "priority"
    """The order of ``instance_types`` (your priority)."""
    RANKING = "ranking"
    """The job's ranking for its goal (instance types then resolve at deploy time)."""


@dataclass(frozen=True)
class LoraAdapter:
    """A LoRA adapter to serve with the model: an S3 URI or a model package, under an id.

    Args:
        adapter_id: Letters, digits and hyphens.
        s3_uri: The adapter weights. Default: - none
        model_package_arn: A registered adapter. Default: - none
    """

    adapter_id: str
    s3_uri: str | None = None
    model_package_arn: str | None = None


@runtime_checkable
class IRecommendationJob(Protocol):
    """An AI recommendation job, created by this stack or elsewhere."""

    @property
    def job_name(self) -> str: ...

    @property
    def job_arn(self) -> str: ...

    @property
    def model_package_group(self) -> str: ...


class RecommendationJob(Resource):
    """An AI recommendation job: SageMaker optimizes the model for the workload and one goal,
    benchmarks candidate configurations on real GPUs and ranks deploy-ready recommendations.

    CloudFormation has no resource type for the job; a custom resource (one provider per stack)
    creates it. The job's name is derived from its definition: any change starts a new job and
    CloudFormation replaces the old one, which is stopped and deleted. A retried Create adopts the
    job it already started. Jobs run for an hour or more, so ``wait`` decides whether the deployment
    holds until the job completes (up to 12 hours, through a wait condition) or moves on.

    Args:
        model_source: The Hugging Face checkpoint (SafeTensors) in S3.
        workload_config: The traffic to optimize for.
        goal: Cost, latency (time to first token) or throughput.
        output: Where the job writes its output (same Region).
        instance_types: Up to 3 types to consider. Default: - the service chooses
        framework: vLLM or LMI. Default: - the service chooses
        optimize_model: Apply optimizations such as speculative decoding and kernel tuning.
            Default: - service default (no optimization)
        capacity_reservation_arns: Run only on these ML capacity reservations. Default: - on-demand
        adapters: LoRA adapters, 1-10. Default: - none
        model_package_group: Group the recommended model package is registered in.
            Default: - a group named after the job
        mlflow: Stream results to SageMaker MLflow. Default: - none
        role: The job's execution role. Default: - a least-privilege role
        job_name_prefix: Stem of the job name (a definition hash is appended). Default: - from the path
        run_token: Any value; changing it starts a new job with the same definition. Default: - none
        wait: ``JobWait.in_deployment()`` or ``JobWait.none()``. Default: - wait up to 12 hours
        tags: Tags of the job. Default: - none
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        model_source: S3Location,
        workload_config: IWorkloadConfig,
        goal: RecommendationGoal,
        output: S3Location,
        instance_types: Sequence[str] = (),
        framework: Framework | None = None,
        optimize_model: bool | None = None,
        capacity_reservation_arns: Sequence[str] = (),
        adapters: Sequence[LoraAdapter] = (),
        model_package_group: str | None = None,
        mlflow: MlflowTracking | None = None,
        role: iam.IRole | None = None,
        job_name_prefix: str | None = None,
        run_token: str | None = None,
        wait: JobWait | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        _check_instance_types(instance_types)
        _check_adapters(adapters)
        check_job_name_prefix(job_name_prefix)
        if not isinstance(goal, RecommendationGoal):
            allowed = ", ".join(g.name for g in RecommendationGoal)
            raise ValidationError(f"goal must be a RecommendationGoal, got {goal!r}; allowed: {allowed}")
        super().__init__(scope, id)
        self.role: iam.IRole = role or self._default_role(
            model_source, output, workload_config, mlflow, model_package_group
        )
        request: dict[str, Any] = {
            "ModelSource": {"S3": {"S3Uri": model_source.uri}},
            "OutputConfig": _drop_none(
                {
                    "S3OutputLocation": output.uri,
                    "ModelPackageGroupIdentifier": model_package_group,
                    "MlflowConfig": mlflow.request() if mlflow else None,
                }
            ),
            "AIWorkloadConfigIdentifier": workload_config.workload_config_name,
            "PerformanceTarget": {"Constraints": [{"Metric": goal.value}]},
            "RoleArn": self.role.role_arn,
            "InferenceSpecification": {"Framework": framework.value} if framework else None,
            "OptimizeModel": optimize_model,
            "ComputeSpec": _drop_none(
                {
                    "InstanceTypes": list(instance_types) or None,
                    "CapacityReservationConfig": {
                        "CapacityReservationPreference": "capacity-reservations-only",
                        "MlReservationArns": list(capacity_reservation_arns),
                    }
                    if capacity_reservation_arns
                    else None,
                }
            )
            or None,
            "AdapterSource": _adapter_source(adapters),
            "Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()] or None,
        }
        request = _drop_none(request)
        identity = {k: v for k, v in request.items() if k != "Tags"}  # tags change in place
        name = job_name(self, job_name_prefix, {**identity, "RunToken": run_token})
        request = {"AIRecommendationJobName": name, **request}
        validate_request("CreateAIRecommendationJob", request)

        self.job_name = name
        self.model_package_group = model_package_group or name
        self.job_arn = sagemaker_arn(self, "ai-recommendation-job", name)
        self.instance_types = list(instance_types)
        self.model_source = model_source
        self.output = output

        provider = AiJobsProvider.of(self)
        provider.grant(
            [
                "sagemaker:CreateAIRecommendationJob",
                "sagemaker:DescribeAIRecommendationJob",
                "sagemaker:StopAIRecommendationJob",
                "sagemaker:DeleteAIRecommendationJob",
                "sagemaker:AddTags",
                "sagemaker:DeleteTags",
            ],
            [self.job_arn],
        )
        provider.grant(
            ["sagemaker:CreateAIRecommendationJob"],
            [sagemaker_arn(self, "ai-workload-config", workload_config.workload_config_name)],
        )
        provider.grant_pass_role(self.role)
        self.resource, self.completion = job_resource(
            self,
            kind="RecommendationJob",
            resource_type="Custom::AIRecommendationJob",
            request=request,
            name=name,
            wait=wait or JobWait.in_deployment(),
        )
        if isinstance(workload_config, Construct):
            self.resource.node.add_dependency(workload_config)
        depend_on_policy(self.resource, self.role)

    @staticmethod
    def from_job_name(
        scope: Construct, id: str, job_name: str, *, model_package_group: str | None = None
    ) -> IRecommendationJob:
        """A job created elsewhere (console, Studio, another stack or pipeline stage)."""
        return _ImportedRecommendationJob(scope, id, job_name, model_package_group)

    def _default_role(
        self,
        model_source: S3Location,
        output: S3Location,
        workload: IWorkloadConfig,
        mlflow: MlflowTracking | None,
        model_package_group: str | None,
    ) -> iam.Role:
        role = sagemaker_execution_role(
            self, "ExecutionRole", "Execution role of an AI recommendation job (cdk-genai-inference)"
        )
        model_source.grant_read(role)
        output.grant_read_write(role)
        for uri in getattr(workload, "dataset_uris", []):
            grant_s3(role, uri, write=False)
        secrets = list(getattr(workload, "secret_arns", []))
        if secrets:
            role.add_to_policy(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=secrets))
        stack = Stack.of(self)
        quotas = stack.format_arn(service="servicequotas", resource="sagemaker", resource_name="*")
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["servicequotas:GetServiceQuota", "servicequotas:GetAWSDefaultServiceQuota"],
                resources=[quotas],
            )
        )
        role.add_to_policy(iam.PolicyStatement(actions=["servicequotas:ListServiceQuotas"], resources=["*"]))
        grant_image_pull(role)
        group = _group_name(model_package_group) if model_package_group else None
        # The service registers the recommended model package (in a group named after the job by default).
        packages = [
            sagemaker_arn(self, "model-package-group", group or "*", as_given=True),
            sagemaker_arn(self, "model-package", f"{group or '*'}/*", as_given=True),
        ]
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "sagemaker:CreateModelPackageGroup",
                    "sagemaker:DescribeModelPackageGroup",
                    "sagemaker:CreateModelPackage",
                    "sagemaker:DescribeModelPackage",
                ],
                resources=packages,
            )
        )
        # The service creates its candidate endpoints and benchmark runs with this same role.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
            )
        )
        if mlflow is not None:
            mlflow.grant(role)
        acknowledge_wildcards(
            role,
            [quotas, "*", *packages],
            "The service reads SageMaker's quotas for the instance types it tries (ListServiceQuotas has no "
            "resource ARN), and registers the recommendation in a model package group named after the job "
            "(its name includes a definition hash, so the group's ARN is not known when the role is defined).",
        )
        return role


class _ImportedRecommendationJob(Resource):
    def __init__(self, scope: Construct, id: str, name: str, model_package_group: str | None) -> None:
        super().__init__(scope, id)
        self.job_name = name
        self.model_package_group = model_package_group or name
        self.job_arn = sagemaker_arn(scope, "ai-recommendation-job", name)


@dataclass(frozen=True)
class ResolvedPool:
    """One pool of ``RecommendedModels``: the recommendation chosen for an instance type.

    Every attribute but ``model`` is a deploy-time value (a token) read from the completed job.
    """

    instance_type: str
    model: Model
    model_package_arn: str
    inference_specification_name: str
    instance_count: float
    copies_per_instance: float
    max_concurrency_per_instance: float
    """``ClientSideConcurrency`` of the recommended configuration divided by its instance count."""


class RecommendedModels(Resource):
    """Resolve a completed recommendation job into one model per instance pool.

    A custom resource (same provider as the jobs) describes the job and, for each instance type,
    picks its best-ranked recommendation: the model package, the inference specification for that
    type, instance and copy counts and the expected performance. A native ``AWS::SageMaker::Model``
    runs each (model package plus specification name). ``instance_pools`` then feeds
    ``InstancePoolEndpoint`` directly; a pool without ``max_concurrency`` takes the recommendation's
    ``ClientSideConcurrency`` per instance, so weighted scaling needs no hand-typed numbers.

    The deployment fails with a clear message when the job has not completed (its status and failure
    reason), when it made no recommendation for a requested instance type (naming those it did
    recommend), when a model package is missing, or when a figure the stack reads is not reported.

    Args:
        job: A ``RecommendationJob`` that waits in this deployment, or one imported by name.
        instance_types: Pools to resolve, 1-5 (and within the job's instance types).
            Default: - the job's ``instance_types``
        order: ``PRIORITY`` (the order of ``instance_types``) or ``RANKING`` (the job's ranking).
            Default: PRIORITY
        pool_count: With ``RANKING`` and no instance types (the service chose them): serve the job's
            best ``pool_count`` instance types, 1-5. Default: - the number of instance types
        max_concurrency: Override per instance type (``PRIORITY`` order only). Default: - the
            recommendation's concurrency per instance
        role: Execution role of the models. Default: - a least-privilege role
        model_data: S3 locations the models read (the job output and the original weights);
            needed only for an imported job. Default: - the job's output and model source
        network_isolation: Run the models' containers without network access. Default: True
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        job: IRecommendationJob,
        instance_types: Sequence[str] = (),
        order: PoolOrder = PoolOrder.PRIORITY,
        pool_count: int | None = None,
        max_concurrency: Mapping[str, float] | None = None,
        role: iam.IRole | None = None,
        model_data: Sequence[S3Location] = (),
        network_isolation: bool = True,
    ) -> None:
        job_types = list(getattr(job, "instance_types", []))
        types = list(instance_types) or job_types
        count = _check_resolution(job, types, job_types, order, pool_count, max_concurrency or {})
        super().__init__(scope, id)

        provider = AiJobsProvider.of(self)
        job_arns = list(
            dict.fromkeys([job.job_arn, sagemaker_arn(self, "ai-recommendation-job", job.job_name, as_given=True)])
        )
        provider.grant(["sagemaker:DescribeAIRecommendationJob"], job_arns)
        packages = sagemaker_arn(self, "model-package", f"{_group_name(job.model_package_group)}/*")
        provider.grant(["sagemaker:DescribeModelPackage"], [packages])
        acknowledge_wildcards(
            provider,
            [packages],
            "The recommended model package versions of the job's group are numbered by the service.",
        )
        overrides = dict(max_concurrency or {})
        self._expected: list[str] = []
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type="Custom::RecommendedModels",
            properties={
                "Kind": "RecommendationResolution",
                "JobName": job.job_name,
                "InstanceTypes": types,
                "Order": order.value,
                "PoolCount": count,
                "ConcurrencyFor": [i for i, t in enumerate(types or [None] * count, start=1) if t not in overrides],
                "ExpectedMetrics": [],
            },
        )
        completion: IDependable | None = getattr(job, "completion", None)
        if completion is not None:
            self.resource.node.add_dependency(completion)

        self.role: iam.IRole = role or self._default_role(job, model_data)
        self.pools: list[ResolvedPool] = []
        for position in range(1, count + 1):
            attr = self._attribute
            declared = types[position - 1] if types and order is PoolOrder.PRIORITY else None
            model = Model(
                self,
                f"Pool{position}Model",
                model_package_arn=attr(position, "ModelPackageArn"),
                inference_specification_name=attr(position, "InferenceSpecificationName"),
                role=self.role,
                network_isolation=network_isolation,
            )
            instance_type = declared or attr(position, "InstanceType")
            if declared is None and types:
                register_candidates(instance_type, types)  # ranked: one of the job's types
            self.pools.append(
                ResolvedPool(
                    instance_type=instance_type,
                    model=model,
                    model_package_arn=attr(position, "ModelPackageArn"),
                    inference_specification_name=attr(position, "InferenceSpecificationName"),
                    instance_count=Token.as_number(attr(position, "InstanceCount")),
                    copies_per_instance=Token.as_number(attr(position, "CopyCountPerInstance")),
                    max_concurrency_per_instance=Token.as_number(attr(position, "MaxConcurrencyPerInstance")),
                )
            )
        self._max_concurrency = overrides

    @property
    def instance_pools(self) -> list[InstancePool]:
        """Pools for ``InstancePoolEndpoint``: the resolved models, priorities by ``order``, and
        ``max_concurrency`` from the recommendation unless overridden."""
        return [
            InstancePool(
                pool.instance_type,
                model=pool.model,
                max_concurrency=self._max_concurrency.get(pool.instance_type, pool.max_concurrency_per_instance),
            )
            for pool in self.pools
        ]

    def expected(self, position: int, metric: str) -> str:
        """An expected-performance figure of pool ``position`` (1-based) as a deploy-time string, e.g.
        ``OutputTokenThroughput``, ``RequestLatencyP90`` or ``TimeToFirstTokenP50``. The deployment
        fails with a clear message if the recommendation does not report it."""
        check_range("position", position, 1, len(self.pools))
        if not re.fullmatch(r"[A-Z][A-Za-z]+(P\d{2})?", metric):
            raise ValidationError(
                f"metric must be a name such as OutputTokenThroughput or RequestLatencyP90, got {metric!r}"
            )
        if metric not in self._expected:
            self._expected.append(metric)
            self.resource.node.default_child.add_property_override("ExpectedMetrics", list(self._expected))  # type: ignore[union-attr]
        return self._attribute(position, metric)

    def _attribute(self, position: int, name: str) -> str:
        return self.resource.get_att_string(f"Pool{position}.{name}")

    def _default_role(self, job: IRecommendationJob, model_data: Sequence[S3Location]) -> iam.Role:
        role = sagemaker_execution_role(self, "ModelRole", "Execution role of recommended models (cdk-genai-inference)")
        locations = list(model_data) or [
            loc for loc in (getattr(job, "output", None), getattr(job, "model_source", None)) if loc is not None
        ]
        for location in locations:
            location.grant_read(role)
        grant_image_pull(role)
        return role


def _check_resolution(
    job: IRecommendationJob,
    types: list[str],
    job_types: list[str],
    order: PoolOrder,
    pool_count: int | None,
    max_concurrency: Mapping[str, float],
) -> int:
    """Validate a resolution and return its number of pools."""
    if not isinstance(order, PoolOrder):
        raise ValidationError(f"order must be a PoolOrder, got {order!r}")
    if getattr(job, "completion", None) is not None and getattr(job, "completion", None) is getattr(
        job, "resource", None
    ):
        raise ValidationError(
            "job does not wait (JobWait.none()), so this deployment cannot resolve it; resolve it in a later "
            "stack with RecommendationJob.from_job_name(...)"
        )
    if not types:
        if order is not PoolOrder.RANKING or pool_count is None:
            raise ValidationError(
                "instance_types is required, unless order=PoolOrder.RANKING and pool_count say how many of "
                "the job's best instance types to serve"
            )
        check_range("pool_count", pool_count, 1, MAX_POOLS)
        return pool_count
    if len(types) > MAX_POOLS:
        raise ValidationError(f"instance_types allows at most {MAX_POOLS} pools, got {len(types)}")
    check_unique("instance_types", types)
    for index, instance_type in enumerate(types):
        if job_types:
            check_choice(f"instance_types[{index}]", instance_type, job_types, "instance type of this job")
    unknown = set(max_concurrency) - set(types)
    if unknown:
        raise ValidationError(f"max_concurrency names instance types that are not pools: {', '.join(sorted(unknown))}")
    if max_concurrency and order is PoolOrder.RANKING:
        raise ValidationError(
            "max_concurrency cannot be combined with order=PoolOrder.RANKING: the pools' instance types are "
            "known only at deploy time"
        )
    if pool_count is not None and pool_count != len(types):
        raise ValidationError(f"pool_count ({pool_count}) must match the {len(types)} instance types, or be left out")
    return len(types)


def _group_name(identifier: str) -> str:
    """A model package group's name from its name or ARN."""
    if unresolved(identifier) or "model-package-group/" not in identifier:
        return identifier
    return identifier.split("model-package-group/", 1)[1]


def _check_instance_types(instance_types: Sequence[str]) -> None:
    if len(instance_types) > MAX_INSTANCE_TYPES:
        raise ValidationError(
            f"instance_types allows at most {MAX_INSTANCE_TYPES} instance types per recommendation job, "
            f"got {len(instance_types)}"
        )
    allowed = service_model.recommendation_instance_types()
    for index, instance_type in enumerate(instance_types):
        check_choice(f"instance_types[{index}]", instance_type, allowed, "instance type for AI recommendation jobs")
    check_unique("instance_types", instance_types)


def _check_adapters(adapters: Sequence[LoraAdapter]) -> None:
    if len(adapters) > 10:
        raise ValidationError(f"adapters allows at most 10 LoRA adapters, got {len(adapters)}")
    for index, adapter in enumerate(adapters):
        if (adapter.s3_uri is None) == (adapter.model_package_arn is None):
            raise ValidationError(f"adapters[{index}] needs exactly one of s3_uri and model_package_arn")
        if not unresolved(adapter.adapter_id) and not re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*", adapter.adapter_id):
            raise ValidationError(
                f"adapters[{index}].adapter_id must be letters, digits and inner hyphens, got {adapter.adapter_id!r}"
            )
    check_unique("adapters ids", (a.adapter_id for a in adapters))


def _adapter_source(adapters: Sequence[LoraAdapter]) -> dict[str, Any] | None:
    s3_uris = [{"AdapterId": a.adapter_id, "S3Uri": a.s3_uri} for a in adapters if a.s3_uri]
    packages = [
        {"AdapterId": a.adapter_id, "ModelPackageArn": a.model_package_arn} for a in adapters if a.model_package_arn
    ]
    return _drop_none({"S3Uris": s3_uris or None, "ModelPackageArns": packages or None}) or None


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}
