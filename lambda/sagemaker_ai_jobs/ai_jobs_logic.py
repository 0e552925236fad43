"""Lifecycle of SageMaker AI recommendation and benchmark jobs, and resolution of recommendations.

Pure logic: every function takes its SageMaker client (and HTTP and clock where needed) as
arguments, so tests drive it with botocore's Stubber against the real service model.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

TERMINAL = frozenset({"Completed", "Failed", "Stopped"})
RUNNING = frozenset({"InProgress", "Stopping"})
RETRYABLE = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "InternalFailure",
        "InternalServerError",
        "SlowDown",
        "RequestTimeout",
    }
)
backoff: Callable[[float], None] = time.sleep
"""How retries wait (tests replace it)."""

TRANSIENT = (ReadTimeoutError, ConnectTimeoutError, EndpointConnectionError, ConnectionClosedError)
"""Network faults worth another attempt (botocore retries them too, a few times, before they reach us)."""

RESPONSE_LIMIT_BYTES = 3500
"""CloudFormation accepts at most 4096 bytes of custom-resource response; keep a margin."""


class JobError(Exception):
    """A failure to report to CloudFormation as it is (it becomes the stack event's reason)."""


@dataclass(frozen=True)
class JobApi:
    """The operation and field names of one job kind."""

    noun: str
    create: str
    describe: str
    stop: str
    delete: str
    name_field: str
    status_field: str
    arn_field: str
    failed_run_has_output: bool = False
    """A benchmark that AIPerf's validity gate failed still wrote its whole output: its results
    resource, not the waiter, reports the failure together with the figures."""


JOB_APIS = {
    "RecommendationJob": JobApi(
        "AI recommendation job",
        "create_ai_recommendation_job",
        "describe_ai_recommendation_job",
        "stop_ai_recommendation_job",
        "delete_ai_recommendation_job",
        "AIRecommendationJobName",
        "AIRecommendationJobStatus",
        "AIRecommendationJobArn",
    ),
    "BenchmarkJob": JobApi(
        "AI benchmark job",
        "create_ai_benchmark_job",
        "describe_ai_benchmark_job",
        "stop_ai_benchmark_job",
        "delete_ai_benchmark_job",
        "AIBenchmarkJobName",
        "AIBenchmarkJobStatus",
        "AIBenchmarkJobArn",
        failed_run_has_output=True,
    ),
}


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def with_retries(call: Callable[[], Any], *, attempts: int = 6, base_delay: float = 1.0) -> Any:
    """Call ``call``, retrying throttling and transient service errors with jittered exponential backoff."""
    for attempt in range(attempts):
        try:
            return call()
        except (ClientError, *TRANSIENT) as error:
            retryable = not isinstance(error, ClientError) or error_code(error) in RETRYABLE
            if not retryable or attempt == attempts - 1:
                raise
            backoff(min(60.0, base_delay * 2**attempt) * (0.5 + random.random() / 2))
    raise AssertionError("unreachable")


def describe(sm: Any, api: JobApi, name: str) -> dict[str, Any] | None:
    """The job's description, or None when it does not exist."""
    try:
        return with_retries(lambda: getattr(sm, api.describe)(**{api.name_field: name}))  # type: ignore[no-any-return]
    except ClientError as error:
        if error_code(error) == "ResourceNotFound":
            return None
        raise


def create_job(sm: Any, kind: str, request: dict[str, Any]) -> dict[str, Any]:
    """Start the job; a retried Create adopts the job an earlier attempt already started."""
    api = JOB_APIS[kind]
    name = request[api.name_field]
    try:
        response = with_retries(lambda: getattr(sm, api.create)(**request))
        arn = response[api.arn_field]
    except ClientError as error:
        if error_code(error) != "ResourceInUse":
            raise _explain(error, f"creating {api.noun} {name}") from error
        existing = describe(sm, api, name)
        if existing is None:
            raise _explain(error, f"creating {api.noun} {name}") from error
        arn = existing[api.arn_field]
    return {"PhysicalResourceId": name, "Data": {"JobName": name, "JobArn": arn}}


def begin_delete(sm: Any, kind: str, name: str) -> None:
    """Stop the job if it is still running; ``finish_delete`` deletes it once it is terminal."""
    api = JOB_APIS[kind]
    job = describe(sm, api, name)
    if job is not None and job[api.status_field] == "InProgress":
        try:
            with_retries(lambda: getattr(sm, api.stop)(**{api.name_field: name}))
        except ClientError as error:
            if error_code(error) != "ResourceNotFound":
                raise _explain(error, f"stopping {api.noun} {name}") from error


def finish_delete(sm: Any, kind: str, name: str) -> bool:
    """Delete the job once terminal. True when it is gone (also when it never existed)."""
    api = JOB_APIS[kind]
    job = describe(sm, api, name)
    if job is None:
        return True
    if job[api.status_field] not in TERMINAL:
        return False
    try:
        with_retries(lambda: getattr(sm, api.delete)(**{api.name_field: name}))
    except ClientError as error:
        if error_code(error) != "ResourceNotFound":
            raise _explain(error, f"deleting {api.noun} {name}") from error
    return True


@dataclass(frozen=True)
class PollResult:
    """What one poll of a job found, and the wait-condition signal to send (if any)."""

    status: str
    done: bool
    signal: dict[str, str] | None


def poll_job(sm: Any, kind: str, name: str, deadline: float, now: float) -> PollResult:
    """Check a job for a deployment that waits on it; decide whether and how to signal."""
    api = JOB_APIS[kind]
    try:
        job = describe(sm, api, name)
    except ClientError as error:
        return PollResult(
            "Unknown", True, _signal("FAILURE", str(_explain(error, f"checking {api.noun} {name}")), name)
        )
    if job is None:
        reason = f"{api.noun} {name} no longer exists"
        return PollResult("Missing", True, _signal("FAILURE", reason, name))
    status = job[api.status_field]
    if status == "Completed" or (status == "Failed" and api.failed_run_has_output):
        reason = f"{api.noun} {name} finished {status}"
        return PollResult(status, True, _signal("SUCCESS", reason, name, job[api.arn_field]))
    if status in TERMINAL:
        reason = f"{api.noun} {name} {status}: {job.get('FailureReason') or 'no failure reason given'}"
        return PollResult(status, True, _signal("FAILURE", reason, name))
    if now >= deadline:
        hours = (now - job["CreationTime"].timestamp()) / 3600 if "CreationTime" in job else None
        age = f" after {hours:.1f} h" if hours is not None else ""
        reason = (
            f"{api.noun} {name} is still {status}{age}, past the deployment's wait bound; "
            "the rollback stops and deletes it (raise the bound with JobWait.in_deployment(timeout=...))"
        )
        return PollResult(status, True, _signal("FAILURE", reason, name))
    return PollResult(status, False, None)


def _signal(status: str, reason: str, unique_id: str, data: str = "") -> dict[str, str]:
    return {"Status": status, "Reason": reason[:4000], "UniqueId": unique_id, "Data": data or reason[:4000]}


def start_waiter(sfn: Any, wait: dict[str, Any], kind: str, name: str, now: float) -> None:
    """Start the waiter execution that signals the deployment's wait condition when the job ends.

    The execution is named after the job and its wait handle: a retried Create finds the execution
    it already started, while a recreated stack (a new handle) gets a new one.
    """
    handle = hashlib.sha256(str(wait["HandleUrl"]).encode()).hexdigest()[:12]
    payload = {
        "Kind": kind,
        "JobName": name,
        "HandleUrl": wait["HandleUrl"],
        # Leave a poll interval and a minute of margin so the job's status, not CloudFormation's
        # generic time-out, explains a job that outlives the bound.
        "Deadline": now + max(0.0, float(wait["TimeoutSeconds"]) - float(wait["PollSeconds"]) - 60),
        "PollSeconds": int(wait["PollSeconds"]),
    }
    try:
        with_retries(
            lambda: sfn.start_execution(
                stateMachineArn=wait["StateMachineArn"], name=f"{name}-{handle}", input=json.dumps(payload)
            )
        )
    except ClientError as error:
        if error_code(error) != "ExecutionAlreadyExists":
            raise _explain(error, f"starting the waiter for {JOB_APIS[kind].noun} {name}") from error


def waiter_failed(kind: str, name: str, error: dict[str, Any]) -> dict[str, str]:
    """The signal for a waiter that could not poll (its retries exhausted): fail the deployment now
    rather than let the wait condition time out hours later."""
    cause = str(error.get("Cause") or error.get("Error") or "unknown error")[:1000]
    return _signal("FAILURE", f"the waiter for {JOB_APIS[kind].noun} {name} failed: {cause}", name)


def send_signal(put: Callable[[str, bytes], None], url: str, signal: dict[str, str]) -> None:
    """Signal a CloudFormation wait condition through its presigned handle URL."""
    put(url, json.dumps(signal).encode())


# ----------------------------------------------------------------------------------------------
# Resolving a completed recommendation job into one deployable configuration per pool


@dataclass(frozen=True)
class ResolvedPool:
    """The recommendation chosen for one pool."""

    instance_type: str
    rank: int
    model_package_arn: str
    inference_specification_name: str
    instance_count: int
    copies_per_instance: int
    performance: dict[str, float]

    @property
    def concurrency_per_instance(self) -> float | None:
        """``ClientSideConcurrency`` is what the whole recommended configuration (``instance_count``
        instances) sustained; weighted scaling needs one instance's share."""
        concurrency = self.performance.get("ClientSideConcurrency")
        return None if concurrency is None else concurrency / max(self.instance_count, 1)

    def attributes(self, prefix: str, metrics: list[str] | None) -> dict[str, str]:
        """The pool's attributes: the core ones always, performance metrics as listed (None: all)."""
        values: dict[str, Any] = {
            "InstanceType": self.instance_type,
            "Rank": self.rank,
            "ModelPackageArn": self.model_package_arn,
            "InferenceSpecificationName": self.inference_specification_name,
            "InstanceCount": self.instance_count,
            "CopyCountPerInstance": self.copies_per_instance,
            "MaxConcurrencyPerInstance": self.concurrency_per_instance,
        }
        performance = (
            self.performance if metrics is None else {m: self.performance[m] for m in metrics if m in self.performance}
        )
        values.update(performance)
        return {f"{prefix}.{k}": _text(v) for k, v in values.items() if v is not None}


def expected_performance(metrics: list[dict[str, Any]]) -> dict[str, float]:
    """``ExpectedPerformance`` as numbers keyed ``Metric`` or ``MetricStat`` (``avg``/``average`` alike)."""
    performance: dict[str, float] = {}
    for metric in metrics:
        stat = (metric.get("Stat") or "").lower()
        stat = "" if stat in ("", "avg", "average", "mean") else stat.capitalize()
        try:
            performance[f"{metric['Metric']}{stat}"] = float(metric["Value"])
        except (TypeError, ValueError):
            continue
    return performance


def recommendation_instance_type(recommendation: dict[str, Any]) -> str | None:
    deployment = recommendation.get("DeploymentConfiguration") or {}
    if deployment.get("InstanceType"):
        return str(deployment["InstanceType"])
    details = (recommendation.get("ModelDetails") or {}).get("InstanceDetails") or []
    return str(details[0]["InstanceType"]) if details and details[0].get("InstanceType") else None


def resolve_recommendations(
    sm: Any, job_name: str, instance_types: list[str], order: str, max_pools: int = 5
) -> list[ResolvedPool]:
    """Pick, per instance type, the best-ranked recommendation of a completed job.

    ``instance_types`` empty means the job's own best instance types. ``order`` is ``priority``
    (the order of ``instance_types``) or ``ranking`` (the service's order for the job's goal).
    """
    job = describe(sm, JOB_APIS["RecommendationJob"], job_name)
    if job is None:
        raise JobError(f"AI recommendation job {job_name} does not exist")
    status = job["AIRecommendationJobStatus"]
    if status != "Completed":
        reason = job.get("FailureReason")
        raise JobError(
            f"AI recommendation job {job_name} is {status}, not Completed"
            + (f": {reason}" if reason else "; resolve it once the job has completed")
        )
    ranked: dict[str, tuple[int, dict[str, Any]]] = {}
    for rank, recommendation in enumerate(job.get("Recommendations") or [], start=1):
        instance_type = recommendation_instance_type(recommendation)
        if instance_type and instance_type not in ranked:
            ranked[instance_type] = (rank, recommendation)
    wanted = instance_types or list(ranked)[:max_pools]
    missing = [t for t in wanted if t not in ranked]
    if missing:
        offered = ", ".join(ranked) or "none"
        raise JobError(
            f"AI recommendation job {job_name} has no recommendation for {', '.join(missing)}; "
            f"it recommended: {offered}"
        )
    chosen = [_resolved(sm, job_name, t, *ranked[t]) for t in wanted]
    if order == "ranking":
        chosen.sort(key=lambda pool: pool.rank)
    return chosen


def _resolved(sm: Any, job_name: str, instance_type: str, rank: int, recommendation: dict[str, Any]) -> ResolvedPool:
    details = recommendation.get("ModelDetails") or {}
    package = details.get("ModelPackageArn")
    if not package:
        raise JobError(
            f"AI recommendation job {job_name}: the recommendation for {instance_type} names no model package"
        )
    try:
        with_retries(lambda: sm.describe_model_package(ModelPackageName=package))
    except ClientError as error:
        if error_code(error) in ("ValidationException", "ResourceNotFound"):
            raise JobError(
                f"AI recommendation job {job_name}: model package {package} for {instance_type} is missing "
                f"({error.response['Error'].get('Message', error_code(error))})"
            ) from error
        raise _explain(error, f"reading model package {package} for {instance_type}") from error
    instance = next(
        (d for d in details.get("InstanceDetails") or [] if d.get("InstanceType") == instance_type),
        recommendation.get("DeploymentConfiguration") or {},
    )
    return ResolvedPool(
        instance_type=instance_type,
        rank=rank,
        model_package_arn=package,
        inference_specification_name=details.get("InferenceSpecificationName") or "",
        instance_count=int(instance.get("InstanceCount") or 1),
        copies_per_instance=int(instance.get("CopyCountPerInstance") or 1),
        performance=expected_performance(recommendation.get("ExpectedPerformance") or []),
    )


def resolution_response(
    job_name: str,
    pools: list[ResolvedPool],
    physical_id: str,
    *,
    needs_concurrency: list[int] = (),  # type: ignore[assignment]
    metrics: list[str] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """The custom-resource response. Every attribute the stack reads must be there (a missing one
    fails the deployment with a bare GetAtt error), and the whole must fit CloudFormation's 4 KB."""
    for position in needs_concurrency:
        pool = pools[position - 1]
        if pool.concurrency_per_instance is None:
            raise JobError(
                f"AI recommendation job {job_name}: the recommendation for {pool.instance_type} reports no "
                f"ClientSideConcurrency (it reports {', '.join(sorted(pool.performance)) or 'no performance'}); "
                "give that pool a max_concurrency"
            )
    for metric in metrics:
        for pool in pools:
            if metric not in pool.performance:
                raise JobError(
                    f"AI recommendation job {job_name}: the recommendation for {pool.instance_type} reports no "
                    f"{metric} (it reports {', '.join(sorted(pool.performance)) or 'no performance'})"
                )
    for detail in (None, list(metrics)):  # everything if it fits, else what the stack reads
        data: dict[str, str] = {"JobName": job_name, "PoolCount": str(len(pools))}
        for index, pool in enumerate(pools, start=1):
            data.update(pool.attributes(f"Pool{index}", detail))
        if len(json.dumps(data)) <= RESPONSE_LIMIT_BYTES:
            return {"PhysicalResourceId": physical_id, "Data": data}
    raise JobError(
        f"AI recommendation job {job_name}: the resolved attributes exceed CloudFormation's 4 KB response limit; "
        "read fewer expected-performance metrics"
    )


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _explain(error: ClientError, action: str) -> JobError:
    message = error.response.get("Error", {}).get("Message", "")
    return JobError(f"{action} failed: {error_code(error)}: {message}")


# ----------------------------------------------------------------------------------------------
# Custom-resource events (the provider framework's onEvent / isComplete contract)


def on_event(sm: Any, event: dict[str, Any], sfn: Any = None, now: Callable[[], float] = time.time) -> dict[str, Any]:
    """Create, replace or begin deleting a job (and start its waiter), or resolve recommendations."""
    response = _on_event(sm, event)
    props = event["ResourceProperties"]
    wait = props.get("Wait")
    if event["RequestType"] != "Delete" and wait:
        old_wait = event.get("OldResourceProperties", {}).get("Wait") or {}
        is_new_job = response["PhysicalResourceId"] != event.get("PhysicalResourceId")
        if is_new_job or old_wait.get("HandleUrl") != wait["HandleUrl"]:
            start_waiter(sfn, wait, props["Kind"], response["PhysicalResourceId"], now())
    return response


def _on_event(sm: Any, event: dict[str, Any]) -> dict[str, Any]:
    props = event["ResourceProperties"]
    kind = props["Kind"]
    request_type = event["RequestType"]
    if kind == "RecommendationResolution":
        if request_type == "Delete":
            return {"PhysicalResourceId": event["PhysicalResourceId"]}
        order = props.get("Order", "priority")
        pools = resolve_recommendations(
            sm, props["JobName"], list(props.get("InstanceTypes") or []), order, int(props.get("PoolCount") or 5)
        )
        return resolution_response(
            props["JobName"],
            pools,
            f"{props['JobName']}:{order}",
            needs_concurrency=[int(p) for p in props.get("ConcurrencyFor") or []],
            metrics=list(props.get("ExpectedMetrics") or []),
        )
    api = JOB_APIS[kind]
    request = props["Request"]
    if request_type == "Create":
        return create_job(sm, kind, request)
    if request_type == "Update":
        old = event.get("OldResourceProperties", {}).get("Request", {})
        if request[api.name_field] == event["PhysicalResourceId"]:
            if _definition(old) != _definition(request):
                raise JobError(
                    f"the definition of {api.noun} {event['PhysicalResourceId']} changed only in values resolved "
                    "at deploy time, so its name stayed the same; change a property the construct sees at synth "
                    "(for example run_token) to start a new job"
                )
            data = _job_data(sm, api, request)
            _retag(sm, data["JobArn"], old.get("Tags") or [], request.get("Tags") or [])
            return {"PhysicalResourceId": event["PhysicalResourceId"], "Data": data}
        return create_job(sm, kind, request)
    begin_delete(sm, kind, event["PhysicalResourceId"])
    return {"PhysicalResourceId": event["PhysicalResourceId"]}


def is_complete(sm: Any, event: dict[str, Any]) -> dict[str, Any]:
    props = event["ResourceProperties"]
    if event["RequestType"] != "Delete" or props["Kind"] not in JOB_APIS:
        return {"IsComplete": True}
    return {"IsComplete": finish_delete(sm, props["Kind"], event["PhysicalResourceId"])}


def _retag(sm: Any, arn: str, old: list[dict[str, str]], new: list[dict[str, str]]) -> None:
    """Tags are not part of a job's identity: change them in place."""
    removed = sorted({t["Key"] for t in old} - {t["Key"] for t in new})
    if removed:
        with_retries(lambda: sm.delete_tags(ResourceArn=arn, TagKeys=removed))
    if new and new != old:
        with_retries(lambda: sm.add_tags(ResourceArn=arn, Tags=new))


def _definition(request: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in request.items() if k != "Tags"}


def _job_data(sm: Any, api: JobApi, request: dict[str, Any]) -> dict[str, str]:
    name = request[api.name_field]
    job = describe(sm, api, name)
    return {"JobName": name, "JobArn": job[api.arn_field] if job else ""}
