"""Resolving recommendations into one deployable configuration per pool: from a completed job in this
account, or from the approved packages another account shared. The deployment fails, naming what is
wrong, rather than deploy what was not recommended: unapproved or rejected packages, copies a
single-model variant cannot host, figures the stack reads that the recommendation does not report."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import partial
from typing import Any

import recommended_configurations as recommended
from aws_calls import JobError, attribute_text, error_code, explain, with_retries
from botocore.exceptions import ClientError
from job_lifecycle import JOB_APIS, describe

RESPONSE_LIMIT_BYTES = 3500
"""CloudFormation accepts at most 4096 bytes of custom-resource response; keep a margin."""
INFERENCE_COMPONENTS = "inference-components"
SINGLE_MODEL = "single-model"
APPROVE = "approve"
APPROVED = "Approved"


def resolve_job(sm: Any, event: dict[str, Any]) -> dict[str, Any]:
    """``RecommendationResolution``: the best recommendation per instance type of a completed job."""
    props = event["ResourceProperties"]
    if event["RequestType"] == "Delete":
        return {"PhysicalResourceId": event["PhysicalResourceId"]}
    name = props["JobName"]
    job = describe(sm, JOB_APIS["RecommendationJob"], name)
    if job is None:
        raise JobError(f"AI recommendation job {name} does not exist")
    status = job["AIRecommendationJobStatus"]
    if status != "Completed":
        reason = job.get("FailureReason")
        raise JobError(
            f"AI recommendation job {name} is {status}, not Completed"
            + (f": {reason}" if reason else "; resolve it once the job has completed")
        )
    subject = f"AI recommendation job {name}"
    pools = _choose(subject, recommended.best_per_instance_type(recommended.read(job)), props)
    for pool in pools:
        if not pool.model_package_arn:
            raise JobError(f"{subject}: the recommendation for {pool.instance_type} names no model package")
    attributes = _attributes(subject, pools, props)
    _check_approval(sm, subject, pools, props.get("Approval") == APPROVE, event.get("StackId", ""), attributes)
    return _response(subject, name, attributes, pools, f"{name}:{props.get('Order', 'priority')}", props)


def resolve_packages(sm: Any, event: dict[str, Any]) -> dict[str, Any]:
    """``PackageResolution``: the approved packages of a shared model package group, deployed as the
    account that ran the job resolved and recorded them (see ``recommended_configurations.record``)."""
    props = event["ResourceProperties"]
    if event["RequestType"] == "Delete":
        return {"PhysicalResourceId": event["PhysicalResourceId"]}
    group = props["ModelPackageGroupArn"]
    subject = f"model package group {group}"
    newest: dict[str, tuple[int, recommended.Configuration]] = {}
    for arn in _approved_versions(sm, group):  # newest first: a type's newest record wins
        package = _describe_package(sm, subject, arn, "")
        try:
            records = recommended.recorded(arn, package.get("CustomerMetadataProperties") or {})
        except recommended.ConfigurationError as error:
            raise JobError(f"{subject}: {error}") from error
        for priority, configuration in records:
            newest.setdefault(configuration.instance_type, (priority, configuration))
    if not newest:
        raise JobError(
            f"{subject} has no Approved package with a recorded resolution; deploy the stack that resolves "
            "the recommendation (RecommendedModels with approval=PackageApproval.APPROVE_ON_RESOLVE) in the "
            "account that ran the job first"
        )
    by_priority = {t: c for t, (_, c) in sorted(newest.items(), key=lambda item: item[1][0])}
    pools = _choose(subject, by_priority, {**props, "Order": "priority" if props.get("InstanceTypes") else "recorded"})
    attributes = _attributes(subject, pools, props)
    return _response(subject, group, attributes, pools, f"{group}:{props.get('Order', 'priority')}", props)


def check_scaling_range(event: dict[str, Any]) -> dict[str, Any]:
    """``ScalingRangeCheck``: counts that weighted scaling's range must hold, where the count or a bound is
    resolved by a recommendation. Application Auto Scaling would move a count outside the range into it,
    and the endpoint would run other than recommended, or than asked."""
    props = event["ResourceProperties"]
    if event["RequestType"] != "Delete":
        for bound in props.get("Bounds") or []:
            _check_bound(props.get("Recommendation", "RecommendedModels"), bound)
    return {"PhysicalResourceId": event.get("PhysicalResourceId") or "scaling-range-check"}


def _check_bound(subject: str, bound: dict[str, Any]) -> None:
    low, high, count = float(bound["Min"]), float(bound["Max"]), float(bound["Count"])
    if low <= count <= high:
        return
    low_text, high_text = (
        text if name == text else f"{name} ({text})"
        for name, text in ((bound["MinName"], attribute_text(low)), (bound["MaxName"], attribute_text(high)))
    )
    count_text = f"the endpoint's {bound['Argument']} {attribute_text(count)} is"
    if "Attribute" in bound:  # the recommended count
        count_text = (
            f"the recommendation for {bound['InstanceType']} has {bound['Attribute']} {attribute_text(count)}, "
            f"the endpoint's {bound['Argument']},"
        )
    raise JobError(
        f"{subject}: {count_text} outside the scaling range {low_text} to {high_text}; "
        "widen the range of scale_on_weighted_utilization to hold it"
        + ("" if "Attribute" in bound else ", or change the count")
    )


def _choose(subject: str, best: dict[str, recommended.Configuration], props: dict[str, Any]) -> list[Any]:
    """The pools' configurations: the requested instance types (or the best ``PoolCount`` ones), in
    priority order (``InstanceTypes``), the job's ranking, or the recorded order."""
    named = list(props.get("InstanceTypes") or [])
    count = int(props.get("PoolCount") or 5)
    wanted = named or list(best)[:count]
    offered = ", ".join(best) or "none"
    missing = [t for t in wanted if t not in best]
    if missing:
        raise JobError(f"{subject} has no recommendation for {', '.join(missing)}; it recommended: {offered}")
    if not named and "PoolCount" in props and len(wanted) < count:  # the stack reads every pool it defines
        raise JobError(
            f"{subject} recommended {len(best)} instance type(s) ({offered}), fewer than the {count} pools the "
            f"stack serves; give RecommendedModels pool_count={len(best)} or fewer"
        )
    chosen = [best[t] for t in wanted]
    if props.get("Order") == "ranking":
        chosen.sort(key=lambda configuration: configuration.rank)
    return chosen


def _attributes(subject: str, pools: list[Any], props: dict[str, Any]) -> list[dict[str, Any]]:
    """Each pool's attributes, for the resource's hosting mode."""
    hosting = props.get("Hosting") or INFERENCE_COMPONENTS
    return [_pool_attributes(subject, pool, hosting) for pool in pools]


def _pool_attributes(subject: str, pool: recommended.Configuration, hosting: str) -> dict[str, Any]:
    """What the stack reads of one pool, for its hosting mode; a configuration it cannot host fails."""
    if not pool.inference_specification_name:  # optional in the response; CreateModel refuses an empty name
        raise JobError(
            f"{subject}: the recommendation for {pool.instance_type} names no inference specification of model "
            f"package {pool.model_package_arn}, and the model the stack defines for it runs the one it names; define "
            "that model yourself (Model(model_package_arn=..., inference_specification_name=...), the package's "
            "specification for this instance type)"
        )
    values: dict[str, Any] = {
        "InstanceType": pool.instance_type,
        "Rank": pool.rank,
        "ModelPackageArn": pool.model_package_arn,
        "InferenceSpecificationName": pool.inference_specification_name,
        "InstanceCount": pool.instance_count,
        "CopyCountPerInstance": pool.copies_per_instance,
        "InitialCopyCount": pool.total_copies,
    }
    if hosting == SINGLE_MODEL:
        if pool.copies_per_instance > 1:
            raise JobError(
                f"{subject}: the recommendation for {pool.instance_type} runs {pool.copies_per_instance} copies per "
                f"instance, and a single-model variant runs one, which would serve a fraction of what was "
                "recommended on the same instances; host it with inference components "
                "(RecommendedModels(hosting=RecommendationHosting.INFERENCE_COMPONENTS))"
            )
        values["MaxConcurrencyPerInstance"] = pool.concurrency_per_instance
        return values
    try:
        values["AcceleratorsPerCopy"] = pool.accelerators_per_copy()
    except recommended.ConfigurationError as error:
        raise JobError(f"{subject}: {error}") from error
    if pool.min_memory_mb is None:
        raise JobError(
            f"{subject}: the recommendation for {pool.instance_type} reports no MinCpuMemoryRequiredInMb, which an "
            "inference component needs for each copy"
        )
    values["MemoryPerCopyMb"] = pool.min_memory_mb
    values["MaxConcurrencyPerCopy"] = pool.concurrency_per_copy
    return values


def _check_approval(
    sm: Any,
    subject: str,
    pools: list[recommended.Configuration],
    approve: bool,
    stack_id: str,
    attributes: list[dict[str, Any]],
) -> None:
    """SageMaker deploys a versioned package only once it is Approved (CreateModelPackage API). Rejected
    always fails; pending fails unless this stack approves what it resolves, recording the resolution."""
    by_package: dict[str, list[int]] = {}
    for position, pool in enumerate(pools):
        by_package.setdefault(str(pool.model_package_arn), []).append(position)
    problems = []
    statuses = {}
    for arn, positions in by_package.items():
        types = ", ".join(pools[p].instance_type for p in positions)
        status = _describe_package(sm, subject, arn, types).get("ModelApprovalStatus") or "PendingManualApproval"
        statuses[arn] = status
        if status == "Rejected":
            problems.append(f"model package {arn} (for {types}) is Rejected and is never deployed")
        elif status != APPROVED and not approve:
            problems.append(
                f"model package {arn} (for {types}) is {status}; approve it "
                f"(aws sagemaker update-model-package --model-package-arn {arn} --model-approval-status Approved) "
                "or let the stack approve what it resolves (approval=PackageApproval.APPROVE_ON_RESOLVE)"
            )
    if problems:
        raise JobError(
            f"{subject}: SageMaker deploys a versioned model package only once it is Approved: " + "; ".join(problems)
        )
    if not approve:
        return
    for arn, positions in by_package.items():
        # Single-model hosting sizes no copy; the tensor-parallel size still tells another account's components.
        records = dict(
            recommended.record(pools[p], p + 1, attributes[p].get("AcceleratorsPerCopy", pools[p].tensor_parallel_size))
            for p in positions
        )
        update: dict[str, Any] = {"ModelPackageArn": arn, "CustomerMetadataProperties": records}
        if statuses[arn] != APPROVED:
            update["ModelApprovalStatus"] = APPROVED
            update["ApprovalDescription"] = f"Approved on deployment of its recommendation by {stack_id}"[:1024]
        try:
            with_retries(partial(sm.update_model_package, **update))
        except ClientError as error:
            raise explain(error, f"approving model package {arn}") from error


def _describe_package(sm: Any, subject: str, arn: str, types: str) -> dict[str, Any]:
    purpose = f" for {types}" if types else ""
    try:
        return with_retries(lambda: sm.describe_model_package(ModelPackageName=arn))
    except ClientError as error:
        if error_code(error) in ("ValidationException", "ResourceNotFound"):
            raise JobError(
                f"{subject}: model package {arn}{purpose} is missing "
                f"({error.response['Error'].get('Message', error_code(error))})"
            ) from error
        raise explain(error, f"reading model package {arn}{purpose}") from error


def _approved_versions(sm: Any, group: str) -> Iterable[str]:
    token: str | None = None
    while True:
        paging = {"NextToken": token} if token else {}
        try:
            page = with_retries(
                partial(
                    sm.list_model_packages,
                    ModelPackageGroupName=group,
                    ModelApprovalStatus=APPROVED,
                    SortBy="CreationTime",
                    SortOrder="Descending",
                    **paging,
                )
            )
        except ClientError as error:
            raise explain(error, f"listing the approved packages of model package group {group}") from error
        yield from (summary["ModelPackageArn"] for summary in page.get("ModelPackageSummaryList", []))
        token = page.get("NextToken")
        if not token:
            return


def _response(
    subject: str,
    label: str,
    attributes: list[dict[str, Any]],
    pools: list[recommended.Configuration],
    physical_id: str,
    props: dict[str, Any],
) -> dict[str, Any]:
    """The custom-resource response. Every attribute the stack reads must be there (a missing one
    fails the deployment with a bare GetAtt error), and the whole must fit CloudFormation's 4 KB."""
    needs_concurrency = [int(p) for p in props.get("ConcurrencyFor") or []]
    metrics = list(props.get("ExpectedMetrics") or [])
    for position in needs_concurrency:
        pool, values = pools[position - 1], attributes[position - 1]
        if values.get("MaxConcurrencyPerCopy", values.get("MaxConcurrencyPerInstance")) is None:
            raise JobError(
                f"{subject}: the recommendation for {pool.instance_type} reports no ClientSideConcurrency (it "
                f"reports {', '.join(sorted(pool.performance)) or 'no performance'}); give that pool a max_concurrency"
            )
    for metric in metrics:
        for pool in pools:
            if metric not in pool.performance:
                raise JobError(
                    f"{subject}: the recommendation for {pool.instance_type} reports no {metric} "
                    f"(it reports {', '.join(sorted(pool.performance)) or 'no performance'})"
                )
    for detail in (None, metrics):  # everything if it fits, else what the stack reads
        data: dict[str, str] = {"Source": label, "PoolCount": str(len(pools))}
        for index, (pool, values) in enumerate(zip(pools, attributes, strict=True), start=1):
            performance = pool.performance if detail is None else {m: pool.performance[m] for m in detail}
            merged = {**values, **{k: v for k, v in performance.items() if k not in values}}
            data.update({f"Pool{index}.{k}": attribute_text(v) for k, v in merged.items() if v is not None})
        if len(json.dumps(data)) <= RESPONSE_LIMIT_BYTES:
            return {"PhysicalResourceId": physical_id, "Data": data}
    raise JobError(
        f"{subject}: the resolved attributes exceed CloudFormation's 4 KB response limit; "
        "read fewer expected-performance metrics"
    )
