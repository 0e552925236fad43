"""``RecommendationJob``: SageMaker optimizes and benchmarks a model for one workload and goal, then ranks
deploy-ready configurations."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from aws_cdk import RemovalPolicy, Resource, Stack
from aws_cdk import aws_iam as iam

from constructs import Construct, IDependable

from .._core import service_model
from .._core.arns import sagemaker_arn
from .._core.roles import grant_image_pull, sagemaker_execution_role
from .._core.validation import check_choice, check_tags, check_unique, unresolved
from ..errors import ValidationError
from ..jobs.job import (
    JOB_ROLE_ARN,
    AiJob,
    JobKind,
    check_job_naming,
    check_removal_policy,
    check_request,
    imported_job_family,
)
from ..jobs.mlflow import MlflowTracking
from ..jobs.s3 import S3Location, check_s3_uri
from ..jobs.wait import JobWait
from ..jobs.workload import IWorkloadConfig
from ..scanners import acknowledge_wildcards
from .packages import (
    SharedPackageGroup,
    check_group_in_stack,
    check_share_with,
    grant_package_registration,
    group_name,
)

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


@dataclass(frozen=True)
class LoraAdapter:
    """A LoRA adapter to serve with the model: an S3 URI or a model package, under an id.

    Args:
        adapter_id: Letters, digits and hyphens.
        s3_uri: The adapter weights; the job's default role may read them. Default: - none
        model_package_arn: A registered adapter; the job's default role may describe it (grant
            ``job.role`` read on where its weights are, unless they are under ``s3_uri`` of another
            adapter or the model's source). Default: - none
    """

    adapter_id: str
    s3_uri: str | None = None
    model_package_arn: str | None = None


@runtime_checkable
class IRecommendationJob(Protocol):
    """An AI recommendation job, created by this stack or elsewhere: what resolving it needs."""

    @property
    def job_name(self) -> str: ...

    @property
    def job_arn(self) -> str: ...

    @property
    def job_family(self) -> str | None:
        """``<stem>-??????????``: every job its construct may name, one per definition (None: this job alone)."""
        ...

    @property
    def model_package_group(self) -> str:
        """The name of the group its recommended packages are registered in."""
        ...

    @property
    def model_package_group_arn(self) -> str:
        """That group's ARN, for another account to deploy its shared packages."""
        ...

    @property
    def instance_types(self) -> Sequence[str]:
        """The instance types it considered (empty: the service chose, or unknown for an imported job)."""
        ...

    @property
    def output(self) -> S3Location | None:
        """Where it wrote its output, which the recommended packages reference (None when unknown)."""
        ...

    @property
    def model_source(self) -> S3Location | None:
        """The original weights, which the recommended packages reference (None when unknown)."""
        ...

    @property
    def waits_in_deployment(self) -> bool:
        """Whether this deployment holds until the job completes."""
        ...

    @property
    def completion(self) -> IDependable | None:
        """What a resolver in this deployment must wait for (None: the job completes outside it)."""
        ...


class RecommendationJob(AiJob):
    """An AI recommendation job: SageMaker optimizes the model for the workload and one goal,
    benchmarks candidate configurations on real GPUs and ranks deploy-ready recommendations.

    CloudFormation has no resource type for the job; a custom resource (one provider per stack)
    creates it. The job's name is derived from its definition: any change starts a new job and
    CloudFormation replaces the old one, which is stopped if it runs and kept if it completed
    (``removal_policy``). A Create adopts the job of its name that exists: a retry's, or a completed
    job of a definition you return to (also after a rollback). Jobs run for an hour or more, so
    ``wait`` decides whether the deployment holds until the job completes (up to 12 hours, through a
    wait condition) or moves on.

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
        model_package_group: Group the recommended model package is registered in: its name, or its ARN
            in the stack's account and region. Default: - a group named after the job
        share_packages_with: Accounts that may deploy the recommended packages (a pipeline's production
            account, say): the stack defines the job's group, named after the job, with a resource policy
            that lets them describe and list its packages and create models from them (retained: models
            in those accounts keep using the packages; a group of its name that exists is adopted).
            Default: - not shared
        mlflow: Stream results to SageMaker MLflow. Default: - none
        role: The job's execution role. A given role gets only the right to register the recommended
            packages in their group (when this app defines the role); the rest is yours to grant:
            reading the model source and the output (``grant_read``, ``grant_read_write``), what the
            workload names (``workload_config.grant_read``), the service's images, SageMaker's service
            quotas, passing itself to SageMaker, and MLflow (``mlflow.grant``) if used.
            Default: - a least-privilege role with all of these
        job_name_prefix: Stem of the job name (a definition hash is appended). Default: - from the path
        run_token: Any value; changing it starts a new job with the same definition. Default: - none
        wait: ``JobWait.in_deployment()`` or ``JobWait.none()``. Default: - wait up to 12 hours
        tags: Tags of the job. Default: - none
        removal_policy: What deleting the job's resource does with a job that completed: ``RETAIN`` keeps
            it (a reader of its results in another stack, or that reader's rollback, still finds it),
            ``DESTROY`` deletes it; an unfinished job is stopped and deleted either way.
            Default: RemovalPolicy.RETAIN
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
        share_packages_with: Sequence[str] = (),
        mlflow: MlflowTracking | None = None,
        role: iam.IRole | None = None,
        job_name_prefix: str | None = None,
        run_token: str | None = None,
        wait: JobWait | None = None,
        tags: Mapping[str, str] | None = None,
        removal_policy: RemovalPolicy | None = None,
    ) -> None:
        check_removal_policy(removal_policy)
        _check_instance_types(instance_types)
        check_tags("tags", tags)
        _check_adapters(adapters)
        check_job_naming(job_name_prefix, run_token)
        check_share_with(share_packages_with, model_package_group)
        check_group_in_stack(scope, model_package_group)
        if not isinstance(goal, RecommendationGoal):
            allowed = ", ".join(g.name for g in RecommendationGoal)
            raise ValidationError(f"goal must be a RecommendationGoal, got {goal!r}; allowed: {allowed}")
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
            "RoleArn": JOB_ROLE_ARN,
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
        check_request(JobKind.RECOMMENDATION, request, role)
        super().__init__(scope, id, kind=JobKind.RECOMMENDATION, workload_config=workload_config)
        self.role = role or self._default_role(model_source, output, workload_config, mlflow, adapters)
        name = self._name(request, job_name_prefix, run_token)
        shared_group = (
            SharedPackageGroup(self, "ModelPackageGroup", name=name, accounts=share_packages_with)
            if share_packages_with
            else None
        )
        if shared_group is not None:  # named after the job, as the service would name it: not part of the hash
            request["OutputConfig"]["ModelPackageGroupIdentifier"] = name

        self.model_package_group = group_name(model_package_group) if model_package_group else name
        self.model_package_group_arn = sagemaker_arn(
            self, "model-package-group", self.model_package_group, as_given=True
        )
        self.instance_types: Sequence[str] = list(instance_types)
        self.adapters: Sequence[LoraAdapter] = list(adapters)
        self.model_source: S3Location | None = model_source
        self.output: S3Location | None = output
        if isinstance(self.role, iam.Role):
            grant_package_registration(self.role, self.model_package_group, own_group=shared_group is None)
        self._start(request, name=name, wait=wait or JobWait.in_deployment(), after=[shared_group])
        if removal_policy is RemovalPolicy.DESTROY:
            self.apply_removal_policy(removal_policy)

    @staticmethod
    def from_job_name(
        scope: Construct,
        id: str,
        job_name: str,
        *,
        model_package_group: str | None = None,
        job_name_prefix: str | None = None,
    ) -> IRecommendationJob:
        """A job created elsewhere (console, Studio, another stack or pipeline stage).

        Args:
            model_package_group: The group its packages are in. Default: - the job's name
            job_name_prefix: The stem of a ``RecommendationJob`` of another app that named the job: a
                rollback of a reader to the job before reads it under the new policy, so the reader may
                read every job of the stem (``<prefix>-??????????``). Default: - the stem of this app's
                job of that name; for any other name, the job alone
        """
        family = imported_job_family(scope, JobKind.RECOMMENDATION, job_name, job_name_prefix)
        return _ImportedRecommendationJob(scope, id, job_name, model_package_group, family)

    def _default_role(
        self,
        model_source: S3Location,
        output: S3Location,
        workload: IWorkloadConfig,
        mlflow: MlflowTracking | None,
        adapters: Sequence[LoraAdapter],
    ) -> iam.Role:
        role = sagemaker_execution_role(
            self, "ExecutionRole", "Execution role of an AI recommendation job (cdk-genai-inference)"
        )
        model_source.grant_read(role)
        for adapter in adapters:  # the service reads them with this role, as it reads the model
            if adapter.s3_uri is not None:
                S3Location.from_uri(adapter.s3_uri).grant_read(role)
        if packaged := [a.model_package_arn for a in adapters if a.model_package_arn is not None]:
            role.add_to_policy(iam.PolicyStatement(actions=["sagemaker:DescribeModelPackage"], resources=packaged))
        output.grant_read_write(role)
        workload.grant_read(role)
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
            [quotas, "*"],
            "The service reads SageMaker's quotas for the instance types it tries (ListServiceQuotas has no "
            "resource ARN).",
        )
        return role


class _ImportedRecommendationJob(Resource):
    def __init__(
        self, scope: Construct, id: str, name: str, model_package_group: str | None, family: str | None
    ) -> None:
        check_group_in_stack(scope, model_package_group)
        super().__init__(scope, id)
        self.job_name = name
        self.job_family = family
        self.model_package_group = group_name(model_package_group) if model_package_group else name
        self.model_package_group_arn = sagemaker_arn(
            scope, "model-package-group", self.model_package_group, as_given=True
        )
        self.job_arn = sagemaker_arn(scope, "ai-recommendation-job", name)
        self.instance_types: Sequence[str] = ()
        self.output: S3Location | None = None
        self.model_source: S3Location | None = None
        self.waits_in_deployment = False
        self.completion: IDependable | None = None


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
        if adapter.s3_uri is not None:
            check_s3_uri(f"adapters[{index}].s3_uri", adapter.s3_uri)
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
