"""The choices of a recommendation's resolution (order, hosting, approval) and their synth-time checks."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .._core.arns import case_spellings
from .._core.validation import check_choice, check_range, check_unique, unresolved
from ..errors import ValidationError
from ..serving.pools import MAX_POOLS

if TYPE_CHECKING:
    from ..jobs.s3 import S3Location
    from .job import IRecommendationJob

GROUP_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):model-package-group/(?P<name>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})$"
)


class PoolOrder(enum.Enum):
    """How ``RecommendedModels`` orders its pools."""

    PRIORITY = "priority"
    """The order of ``instance_types`` (your priority)."""
    RANKING = "ranking"
    """The job's ranking for its goal (instance types then resolve at deploy time)."""


class RecommendationHosting(enum.Enum):
    """How ``RecommendedModels`` hosts what was recommended."""

    INFERENCE_COMPONENTS = "inference-components"
    """One inference component with a specification per pool: the recommended copies per instance, each
    with its accelerators (the tensor-parallel size) and memory."""
    SINGLE_MODEL = "single-model"
    """One model per instance (a model per pool); a recommendation of more than one copy per instance
    fails the deployment."""


class PackageApproval(enum.Enum):
    """What ``RecommendedModels`` does with a model package that is not yet Approved."""

    REQUIRE_APPROVED = "require-approved"
    """Fail the deployment, naming each package, its status and how to approve it."""
    APPROVE_ON_RESOLVE = "approve"
    """Approve the packages this stack resolves (``UpdateModelPackage``, on the job's group only) and record
    the resolution on them, so another account can deploy exactly these packages."""


def check_resolution(
    job: IRecommendationJob | None,
    group_arn: str | None,
    types: list[str],
    order: PoolOrder,
    pool_count: int | None,
    max_concurrency: Mapping[str, float],
    hosting: RecommendationHosting,
    approval: PackageApproval,
    model_data: Sequence[S3Location],
) -> int:
    """Validate a resolution and return its number of pools."""
    for arg, value, kind in (
        ("order", order, PoolOrder),
        ("hosting", hosting, RecommendationHosting),
        ("approval", approval, PackageApproval),
    ):
        if not isinstance(value, kind):
            allowed = ", ".join(f"{kind.__name__}.{member.name}" for member in kind)
            raise ValidationError(f"{arg} must be a {kind.__name__}, got {value!r}; allowed: {allowed}")
    if (job is None) == (group_arn is None):
        raise ValidationError(
            "RecommendedModels needs exactly one of job (a recommendation job of this account) and "
            f"model_package_group_arn (packages another account shared), got job={job!r}, "
            f"model_package_group_arn={group_arn!r}"
        )
    if unresolved(pool_count):
        raise ValidationError("pool_count must be known at synth: it is the number of pools the endpoint lists")
    if types and unresolved(types):  # a list parameter as a whole (its items may be deploy-time values)
        raise ValidationError(
            "instance_types must be a list known at synth (its length is the number of pools); a deploy-time "
            "instance type may stand in it as an item of its own"
        )
    if group_arn is not None:
        _check_shared(group_arn, order, approval, types, model_data)
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
    job_types = list(job.instance_types) if job is not None else []
    for index, instance_type in enumerate(types):
        if job_types:
            check_choice(f"instance_types[{index}]", instance_type, job_types, "instance type of this job")
    unknown = set(max_concurrency) - set(types)
    if unknown:
        later = [f"instance_types[{i}]" for i, t in enumerate(types) if unresolved(t)]
        raise ValidationError(
            f"max_concurrency names instance types that are not pools: {', '.join(sorted(unknown))}"
            + (f" ({', '.join(later)} known only at deploy time cannot be named)" if later else "")
        )
    if max_concurrency and order is PoolOrder.RANKING:
        raise ValidationError(
            "max_concurrency cannot be combined with order=PoolOrder.RANKING: the pools' instance types are "
            "known only at deploy time"
        )
    if pool_count is not None and pool_count != len(types):
        raise ValidationError(f"pool_count ({pool_count}) must match the {len(types)} instance types, or be left out")
    return len(types)


def package_arns(group_arn: str) -> list[str]:
    """The ARN patterns of every package version in the group ``group_arn``, in each of the name's
    ``case_spellings``."""
    match = GROUP_ARN.match(group_arn)
    assert match is not None, group_arn
    prefix = f"arn:{match['partition']}:sagemaker:{match['region']}:{match['account']}:model-package/"
    return [f"{prefix}{spelling}/*" for spelling in case_spellings(match["name"])]


def _check_shared(
    group_arn: str, order: PoolOrder, approval: PackageApproval, types: list[str], model_data: Sequence[S3Location]
) -> None:
    if unresolved(group_arn) or not GROUP_ARN.match(group_arn):
        raise ValidationError(
            "model_package_group_arn must be a model package group ARN known at synth "
            f"(arn:aws:sagemaker:<region>:<account>:model-package-group/<name>), got {group_arn!r}"
        )
    if approval is not PackageApproval.REQUIRE_APPROVED:
        raise ValidationError(
            "approval=PackageApproval.APPROVE_ON_RESOLVE cannot be used with model_package_group_arn: packages "
            "another account shared are approved there, where their job ran"
        )
    if order is not PoolOrder.PRIORITY:
        raise ValidationError(
            f"order must be PoolOrder.PRIORITY with model_package_group_arn, got {order}: the pools are the "
            "shared packages' recorded instance types in the order of instance_types (the ranking is the job's, "
            "which only its own account can read)"
        )
    if not types:
        raise ValidationError(
            "model_package_group_arn needs instance_types (in priority order): the pools are the shared packages' "
            "recorded instance types"
        )
    if not model_data:
        raise ValidationError(
            "model_data is required with model_package_group_arn: the S3 locations the shared packages reference "
            "(the job's output and the original weights, in the account that shared them)"
        )
