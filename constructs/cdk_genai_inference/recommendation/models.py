"""``RecommendedModels``: a completed recommendation job resolved into one deploy-ready model per pool."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import CustomResource, Resource, Token
from aws_cdk import aws_iam as iam

from constructs import Construct, IDependable

from .._core.arns import sagemaker_arn
from .._core.roles import grant_image_pull, sagemaker_execution_role
from .._core.validation import check_choice, check_range, check_unique
from ..errors import ValidationError
from ..jobs.provider import AiJobsProvider
from ..jobs.s3 import S3Location
from ..scanners import acknowledge_wildcards
from ..serving.model import Model
from ..serving.pools import MAX_POOLS, InstancePool
from .job import IRecommendationJob, group_name


class PoolOrder(enum.Enum):
    """How ``RecommendedModels`` orders its pools."""

    PRIORITY = "priority"
    """The order of ``instance_types`` (your priority)."""
    RANKING = "ranking"
    """The job's ranking for its goal (instance types then resolve at deploy time)."""


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
    candidate_types: tuple[str, ...] = ()
    """What ``instance_type`` may resolve to when the job ranks it at deploy time."""


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
        packages = sagemaker_arn(self, "model-package", f"{group_name(job.model_package_group)}/*")
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
            self.pools.append(
                ResolvedPool(
                    instance_type=declared or attr(position, "InstanceType"),
                    candidate_types=() if declared else tuple(types),  # ranked: one of the job's types
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
                candidate_types=pool.candidate_types,
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
