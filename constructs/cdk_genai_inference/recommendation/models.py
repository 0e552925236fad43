"""``RecommendedModels``: recommendations resolved into deploy-ready pools, hosted as recommended."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import cast

from aws_cdk import Annotations, CustomResource, Resource, Token
from aws_cdk import aws_iam as iam

from constructs import Construct

from .._core.arns import sagemaker_arn_spellings
from .._core.lazy import lazy_list
from .._core.roles import grant_image_pull, sagemaker_execution_role
from .._core.validation import check_range, unresolved
from ..errors import ValidationError
from ..jobs.provider import AiJobsProvider
from ..jobs.s3 import S3Location
from ..scanners import acknowledge_wildcards
from ..serving.components import InferenceComponents
from ..serving.model import Model
from ..serving.pools import CountRange, InstancePool
from .job import IRecommendationJob, RecommendationJob
from .packages import group_name
from .resolution import PackageApproval, PoolOrder, RecommendationHosting, check_resolution, package_arns


@dataclass(frozen=True)
class RecommendedPool:
    """One pool of ``RecommendedModels``: the recommendation chosen for an instance type.

    Every attribute but ``model`` and ``candidate_types`` is a deploy-time value (a token).
    """

    instance_type: str
    model: Model
    model_package_arn: str
    inference_specification_name: str
    instance_count: float
    copies_per_instance: float
    initial_copy_count: float
    """Instances times copies per instance: every copy the recommendation was measured with."""
    max_concurrency: float
    """``ClientSideConcurrency`` of the whole configuration, per copy (inference components) or per
    instance (single model): the divisor of weighted-utilization scaling."""
    accelerators_per_copy: float | None = None
    """The tensor-parallel size (or the instance's GPUs divided among its copies); inference components only."""
    memory_per_copy_mb: float | None = None
    """``MinCpuMemoryRequiredInMb`` of the recommendation; inference components only."""
    candidate_types: tuple[str, ...] = ()
    """What ``instance_type`` may resolve to when the job ranks it at deploy time."""


class RecommendedModels(Resource):
    """Resolve recommendations into one deploy-ready model per instance pool, hosted as recommended.

    A custom resource (the jobs' provider) describes a completed job (or, in another account, the
    approved packages it shared) and picks, per instance type, its best-ranked recommendation: the model
    package and its inference specification for that type, instance and copy counts, the tensor-parallel
    size, memory per copy and the expected performance. A native ``AWS::SageMaker::Model`` runs each.

    ``instance_pools`` and ``inference_components`` feed ``InstancePoolEndpoint`` directly. With inference
    components (the default) the endpoint runs ``CopyCountPerInstance`` copies per instance, each with
    its accelerators and memory, starting from every copy the recommendation measured, and weighted
    scaling divides by one copy's share of ``ClientSideConcurrency``. A single-model variant runs one
    copy per instance; a recommendation of more copies fails the deployment rather than serve part of it.

    SageMaker deploys a versioned model package only once it is Approved. ``approval`` decides whether
    this stack requires that (the default: approval stays a decision of the registry's owners) or
    approves what it resolves. A rejected package always fails the deployment.

    Args:
        job: A ``RecommendationJob`` that waits in this deployment, or one imported by name (this account).
            Default: - none; then ``model_package_group_arn``
        model_package_group_arn: The model package group another account shared with this one: deploy
            its Approved packages as that account resolved them. Default: - none; then ``job``
        instance_types: Pools to resolve, 1-5. Default: - the job's ``instance_types``
        order: ``PRIORITY`` (the order of ``instance_types``) or ``RANKING`` (the job's ranking).
            Default: PRIORITY
        pool_count: With ``RANKING`` and no instance types (the service chose them): serve the job's
            best ``pool_count`` instance types, 1-5. Default: - the number of instance types
        max_concurrency: Override per instance type (per copy with inference components; ``PRIORITY``
            order only). Default: - the recommendation's ``ClientSideConcurrency`` share
        hosting: ``INFERENCE_COMPONENTS`` or ``SINGLE_MODEL``. Default: INFERENCE_COMPONENTS
        approval: ``REQUIRE_APPROVED`` or ``APPROVE_ON_RESOLVE`` (which also records the resolution on
            the packages, for another account to deploy). Default: REQUIRE_APPROVED
        role: Execution role of the models. Default: - a least-privilege role
        model_data: S3 locations the models read (the job output and the original weights); needed for
            an imported job or shared packages. The default role reads them and, where their objects are
            encrypted with a KMS key, decrypts them through S3 only. Default: - the job's output and model source
        network_isolation: Run the models' containers without network access. Default: True
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        job: IRecommendationJob | None = None,
        model_package_group_arn: str | None = None,
        instance_types: Sequence[str] = (),
        order: PoolOrder = PoolOrder.PRIORITY,
        pool_count: int | None = None,
        max_concurrency: Mapping[str, float] | None = None,
        hosting: RecommendationHosting = RecommendationHosting.INFERENCE_COMPONENTS,
        approval: PackageApproval = PackageApproval.REQUIRE_APPROVED,
        role: iam.IRole | None = None,
        model_data: Sequence[S3Location] = (),
        network_isolation: bool = True,
    ) -> None:
        if isinstance(job, RecommendationJob) and not job.waits_in_deployment:
            raise ValidationError(
                "job does not wait (JobWait.none()), so this deployment cannot resolve it; resolve it in a later "
                "stack with RecommendationJob.from_job_name(...)"
            )
        if job is not None and role is None and not model_data and job.output is None and job.model_source is None:
            raise ValidationError(
                "model_data is required with a job imported by name (RecommendationJob.from_job_name) and no role: "
                "the S3 locations its packages reference (the job's output and the original weights), which the "
                "models' default role may read; nothing else tells it where they are"
            )
        types = list(instance_types) or (list(job.instance_types) if job is not None else [])
        count = check_resolution(
            job, model_package_group_arn, types, order, pool_count, max_concurrency or {}, hosting, approval, model_data
        )
        super().__init__(scope, id)
        self.hosting = hosting
        self._overrides = dict(max_concurrency or {})
        self._expected: list[str] = []
        self._from_job = job is not None
        provider = AiJobsProvider.of(self)
        source: dict[str, str]
        if job is not None:
            if unresolved(job.job_name):
                Annotations.of(self).add_warning_v2(
                    "cdk-genai-inference:job-name-at-deploy-time",
                    "the job's name is known only at deploy time, so a benchmark of an endpoint serving these "
                    "models cannot tell a new job from the last; give it a run_token that changes with the job",
                )
            if isinstance(job, RecommendationJob) and job.adapters:
                Annotations.of(self).add_warning_v2(
                    "cdk-genai-inference:adapters-not-served",
                    f"the job sized the base model with {len(job.adapters)} LoRA adapter(s) "
                    f"({', '.join(a.adapter_id for a in job.adapters)}), and these models serve the base model "
                    "only: the recommendation's AdapterDetails are not deployed; add an inference component per "
                    "adapter on the endpoint yourself",
                )
            source = {"Kind": "RecommendationResolution", "JobName": job.job_name, "Approval": approval.value}
            self._grant_job(provider, job, approval)
        else:
            assert model_package_group_arn is not None
            source = {"Kind": "PackageResolution", "ModelPackageGroupArn": model_package_group_arn}
            self._grant_shared(provider, model_package_group_arn)
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type="Custom::RecommendedModels",
            properties={
                **source,
                "InstanceTypes": types,
                "Order": order.value,
                "PoolCount": count,
                "Hosting": hosting.value,
                "ConcurrencyFor": [
                    i for i, t in enumerate(types or [None] * count, start=1) if t not in self._overrides
                ],
                "ExpectedMetrics": lazy_list(lambda: list(self._expected)),
            },
        )
        if job is not None and job.completion is not None:
            self.resource.node.add_dependency(job.completion)
        self.role: iam.IRole = role or self._default_role(job, model_data)
        # Which packages a benchmark of the endpoint sees (approval changes none of them).
        origin = {"JobName": job.job_name} if job is not None else {"ModelPackageGroupArn": model_package_group_arn}
        package_source = {**origin, "InstanceTypes": types, "Order": order.value, "PoolCount": count}
        components = hosting is RecommendationHosting.INFERENCE_COMPONENTS
        self.pools: list[RecommendedPool] = []
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
                package_source=package_source,
            )
            number = self._number
            self.pools.append(
                RecommendedPool(
                    instance_type=declared or attr(position, "InstanceType"),
                    candidate_types=() if declared else tuple(types),  # ranked: one of the job's types
                    model=model,
                    model_package_arn=attr(position, "ModelPackageArn"),
                    inference_specification_name=attr(position, "InferenceSpecificationName"),
                    instance_count=number(position, "InstanceCount"),
                    copies_per_instance=number(position, "CopyCountPerInstance"),
                    initial_copy_count=number(position, "InitialCopyCount"),
                    max_concurrency=number(
                        position, "MaxConcurrencyPerCopy" if components else "MaxConcurrencyPerInstance"
                    ),
                    accelerators_per_copy=number(position, "AcceleratorsPerCopy") if components else None,
                    memory_per_copy_mb=number(position, "MemoryPerCopyMb") if components else None,
                )
            )

    @property
    def instance_pools(self) -> list[InstancePool]:
        """Pools for ``InstancePoolEndpoint``: the resolved models, priorities by ``order``, ``max_concurrency``
        from the recommendation unless overridden, and with inference components each copy's accelerators
        and memory."""
        return [
            InstancePool(
                pool.instance_type,
                model=pool.model,
                max_concurrency=self._overrides.get(pool.instance_type, pool.max_concurrency),
                accelerators=pool.accelerators_per_copy,  # type: ignore[arg-type]
                min_memory_mb=pool.memory_per_copy_mb,  # type: ignore[arg-type]
                candidate_types=pool.candidate_types,
            )
            for pool in self.pools
        ]

    def _counts(self) -> list[tuple[RecommendedPool, str, float]]:
        """Each pool's resolved counts, by attribute."""
        return [
            (pool, attribute, value)
            for pool in self.pools
            for attribute, value in (
                ("InstanceCount", pool.instance_count),
                ("InitialCopyCount", pool.initial_copy_count),
            )
        ]

    def check_ranges(self, scope: Construct, id: str, ranges: Sequence[CountRange]) -> Construct:
        """A ``Custom::ScalingRangeCheck`` ``id`` under ``scope`` that fails the deployment when one of
        ``ranges`` does not hold: weighted scaling's range, which Application Auto Scaling would move the
        count into, and the endpoint would run other than recommended or asked. Each range holds a count
        or a bound this recommendation resolves."""
        bounds = []
        for wanted in ranges:
            recommended = [
                {"InstanceType": pool.instance_type, "Attribute": attribute}
                for pool, attribute, count in self._counts()
                if count == wanted.count
            ]
            bounds += [
                {
                    "Argument": wanted.argument,
                    **labels,
                    "Count": wanted.count,
                    "Min": wanted.low[1],
                    "MinName": wanted.low[0],
                    "Max": wanted.high[1],
                    "MaxName": wanted.high[0],
                }
                for labels in recommended or [{}]
            ]
        return CustomResource(
            scope,
            id,
            service_token=AiJobsProvider.of(self).service_token,
            resource_type="Custom::ScalingRangeCheck",
            properties={"Kind": "ScalingRangeCheck", "Recommendation": self.node.path, "Bounds": bounds},
        )

    @property
    def inference_components(self) -> InferenceComponents | None:
        """For ``InstancePoolEndpoint(inference_components=...)``: every copy the first pool's recommendation
        measured (instances times copies per instance); ``None`` for single-model hosting."""
        if self.hosting is not RecommendationHosting.INFERENCE_COMPONENTS:
            return None
        return InferenceComponents(initial_copy_count=self.pools[0].initial_copy_count)  # type: ignore[arg-type]

    @property
    def initial_instance_count(self) -> int:
        """The first pool's recommended instance count, for ``InstancePoolEndpoint(initial_instance_count=...)``."""
        return cast(int, self.pools[0].instance_count)  # a deploy-time number

    def expected(self, position: int, metric: str) -> str:
        """An expected-performance figure of pool ``position`` (1-based) as a deploy-time string, e.g.
        ``OutputTokenThroughput``, ``RequestLatencyP90`` or ``TimeToFirstTokenP50``. The deployment
        fails with a clear message if the recommendation does not report it."""
        check_range("position", position, 1, len(self.pools))
        if not self._from_job:
            raise ValidationError(
                "expected() reads the job's ExpectedPerformance, which only the account that ran the job can read; "
                "shared packages carry their resolution, not the figures"
            )
        if not re.fullmatch(r"[A-Z][A-Za-z]+(P\d{2})?", metric):
            raise ValidationError(
                f"metric must be a name such as OutputTokenThroughput or RequestLatencyP90, got {metric!r}"
            )
        if metric not in self._expected:
            self._expected.append(metric)
        return self._attribute(position, metric)

    def _attribute(self, position: int, name: str) -> str:
        return self.resource.get_att_string(f"Pool{position}.{name}")

    def _number(self, position: int, name: str) -> float:
        return Token.as_number(self.resource.get_att(f"Pool{position}.{name}"))

    def _grant_job(self, provider: AiJobsProvider, job: IRecommendationJob, approval: PackageApproval) -> None:
        # The rollback of an update to a new job resolves the one before, under the new policy: with a name
        # of a stem and a definition hash, every job of the stem (and its group) is granted.
        family = job.job_family
        granted = family or job.job_name
        job_arns = [job.job_arn] if family is None else []
        job_arns = list(dict.fromkeys([*job_arns, *sagemaker_arn_spellings(self, "ai-recommendation-job", granted)]))
        provider.grant(["sagemaker:DescribeAIRecommendationJob"], job_arns)
        group = group_name(job.model_package_group)
        packages = sagemaker_arn_spellings(self, "model-package", f"{granted if group == job.job_name else group}/*")
        actions = ["sagemaker:DescribeModelPackage"]
        if approval is PackageApproval.APPROVE_ON_RESOLVE:
            actions.append("sagemaker:UpdateModelPackage")  # approve, and record the resolution
        provider.grant(actions, packages)
        reason = "The service numbers the recommended package versions of the job's group."
        if family is not None:
            reason += " The job is its construct's stem and a definition hash, and a rollback resolves the one before."
        acknowledge_wildcards(provider, list(dict.fromkeys([*job_arns, *packages])), reason)

    def _grant_shared(self, provider: AiJobsProvider, group_arn: str) -> None:
        provider.grant(["sagemaker:DescribeModelPackage"], package_arns(group_arn))
        provider.grant(["sagemaker:ListModelPackages"], ["*"])
        acknowledge_wildcards(
            provider,
            [*package_arns(group_arn), "*"],
            "The shared group's package versions are numbered by the service, and ListModelPackages has no "
            "resource ARN (the group's owner limits what it lists with the group's resource policy).",
        )

    def _default_role(self, job: IRecommendationJob | None, model_data: Sequence[S3Location]) -> iam.Role:
        role = sagemaker_execution_role(self, "ModelRole", "Execution role of recommended models (cdk-genai-inference)")
        known = [job.output, job.model_source] if job is not None else []
        locations = list(model_data) or [location for location in known if location is not None]
        for location in locations:
            location.grant_read(role, through_s3=True)  # SageMaker reads the packages' S3 channels with it
        grant_image_pull(role)
        return role
