"""The lifecycle of SageMaker AI recommendation and benchmark jobs behind a custom resource: create (and
adopt on retry), replace, retag, stop and delete. Pure logic: the SageMaker client comes in as an argument,
so tests drive it with botocore's Stubber against the real service model."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aws_calls
from aws_calls import TRANSIENT, JobError, error_code, explain, with_retries
from botocore.exceptions import BotoCoreError, ClientError

LOG = logging.getLogger(__name__)
TERMINAL = frozenset({"Completed", "Failed", "Stopped"})
LEAVING = frozenset({"DELETE_IN_PROGRESS", "DELETE_COMPLETE"})
"""The statuses of a stack's resource that holds no job any longer."""


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
    measures_again_after_rollback: bool = False
    """A rollback deletes a completed run the failed deployment made: its retry measures again instead of
    adopting the run whose figures may have failed it. A recommendation is kept, and a retry reuses it."""


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
        measures_again_after_rollback=True,
    ),
}


def describe(sm: Any, api: JobApi, name: str) -> dict[str, Any] | None:
    """The job's description, or None when it does not exist."""
    try:
        return with_retries(lambda: getattr(sm, api.describe)(**{api.name_field: name}))
    except ClientError as error:
        if error_code(error) == "ResourceNotFound":
            return None
        raise


def create_job(sm: Any, kind: str, request: dict[str, Any]) -> dict[str, Any]:
    """Start the job. A job of its name that exists is adopted when it runs or completed (a retried
    Create, a definition returned to); one that failed or was stopped (a cleanup that did not finish) is
    deleted and started again, since adopting it would fail this deployment and every later one."""
    api = JOB_APIS[kind]
    name = request[api.name_field]
    try:
        response = with_retries(lambda: getattr(sm, api.create)(**request))
        arn = response[api.arn_field]
    except ClientError as error:
        if error_code(error) != "ResourceInUse":
            raise explain(error, f"creating {api.noun} {name}") from error
        existing = describe(sm, api, name)
        if existing is None:  # a name SageMaker keeps after its job was deleted
            raise JobError(
                f"{explain(error, f'creating {api.noun} {name}')}; no job of that name exists, so SageMaker keeps "
                "the name of a deleted one: pass a new run_token to start the job under another name"
            ) from error
        status = existing[api.status_field]
        if status == "Stopping":
            raise JobError(
                f"{api.noun} {name} of this definition exists and is Stopping: deploy again once it is Stopped "
                "(it is then deleted and started again), or pass a new run_token to start another job now"
            ) from error
        arn = _start_again(sm, api, request) if status in ("Failed", "Stopped") else existing[api.arn_field]
    return {"PhysicalResourceId": name, "Data": {"JobName": name, "JobArn": arn}}


def _start_again(sm: Any, api: JobApi, request: dict[str, Any]) -> str:
    """Delete the failed or stopped job of the request's name and create it again; its ARN."""
    name = request[api.name_field]
    try:
        with_retries(lambda: getattr(sm, api.delete)(**{api.name_field: name}))
        return str(with_retries(lambda: getattr(sm, api.create)(**request))[api.arn_field])
    except ClientError as error:
        if error_code(error) != "ResourceInUse":
            raise explain(
                error, f"starting {api.noun} {name} again after deleting its failed or stopped run"
            ) from error
        raise JobError(
            f"{api.noun} {name} was deleted after it failed or was stopped, but SageMaker does not take its name "
            "again yet: pass a new run_token to start the job under another name"
        ) from error


def begin_delete(sm: Any, kind: str, name: str) -> None:
    """Stop the job if it is still running; ``finish_delete`` deletes it once it is terminal."""
    api = JOB_APIS[kind]
    try:
        job = describe(sm, api, name)
        if job is not None and job[api.status_field] == "InProgress":
            with_retries(lambda: getattr(sm, api.stop)(**{api.name_field: name}))
    except ClientError as error:
        if error_code(error) == "ResourceNotFound":
            return
        failed = explain(error, f"stopping {api.noun} {name}")
        if error_code(error) != "AccessDeniedException":
            raise failed from error
        # The job's own policy names only the jobs its construct names now: a job_name_prefix that changed
        # leaves the old job outside it when CloudFormation deletes it.
        raise JobError(
            f"{failed}; the provider may manage only the jobs this stack names now, and a job whose name prefix "
            f"changed is left: stop and delete it yourself ({_cli(api, api.stop, name)}, "
            f"then {_cli(api, api.delete, name)})"
        ) from error


def finish_delete(
    sm: Any,
    kind: str,
    name: str,
    *,
    keep_completed: bool = True,
    made_by_failed_operation: Callable[[Any], bool] = lambda created: False,
) -> bool:
    """Delete the job once terminal, unless it completed and ``keep_completed``: another stack may read it
    (its results, its packages' resolution), and that stack's rollback too; but a benchmark run that the
    operation being rolled back made (``made_by_failed_operation`` of its creation time) goes. True when
    done (also when the job never existed)."""
    api = JOB_APIS[kind]
    job = describe(sm, api, name)
    if job is None:
        return True
    if job[api.status_field] not in TERMINAL:
        return False
    kept = keep_completed and job[api.status_field] == "Completed"
    if kept and api.measures_again_after_rollback and made_by_failed_operation(job["CreationTime"]):
        kept = False  # the run of the failed operation: its retry measures again
    if kept:
        return True
    try:
        with_retries(lambda: getattr(sm, api.delete)(**{api.name_field: name}))
    except ClientError as error:
        if error_code(error) != "ResourceNotFound":
            raise explain(error, f"deleting {api.noun} {name}") from error
    return True


def discard_job(sm: Any, kind: str, name: str, *, checks: int = 8, delay: float = 15.0) -> str:
    """Stop and delete a job the stack will not own (its resource failed after the job started), checking up
    to ``checks`` times, ``delay`` seconds apart, for it to stop. Returns what became of it, for the failure."""
    api = JOB_APIS[kind]
    try:
        begin_delete(sm, kind, name)
        for check in range(checks):
            if check:
                aws_calls.backoff(delay)
            if finish_delete(sm, kind, name):  # a job it adopted that completed stays
                return f"{api.noun} {name} was stopped and deleted"
    except (ClientError, JobError, *TRANSIENT) as error:
        return f"stopping {api.noun} {name} failed too, so it may still be running: {error}"
    return (
        f"{api.noun} {name} was stopped but is not deleted yet: once it is Stopped, delete it "
        f"({_cli(api, api.delete, name)}), or the next deploy of this definition deletes it and starts it again"
    )


def _cli(api: JobApi, operation: str, name: str) -> str:
    """The AWS CLI command that runs ``operation`` on the job."""
    return f"aws sagemaker {operation.replace('_', '-')} --{api.noun.lower().replace(' ', '-')}-name {name}"


def job_event(sm: Any, event: dict[str, Any], holder: Callable[[], str | None] = lambda: None) -> dict[str, Any]:
    """Create, replace (a new name), retag in place (same name) or begin deleting a job; a job that another
    resource of the stack names (``holder``: its logical id, asked on Delete) is left to it."""
    props = event["ResourceProperties"]
    kind = props["Kind"]
    api = JOB_APIS[kind]
    request = props["Request"]
    request_type = event["RequestType"]
    if request_type == "Create":
        return create_job(sm, kind, request)
    if request_type == "Update":
        old = event.get("OldResourceProperties", {}).get("Request", {})
        if request[api.name_field] == event["PhysicalResourceId"]:
            # Only a definition that changed under the same name, and that the job does not have, is refused.
            # The rollback of a failed update comes back to the job the resource still names: from a definition
            # of another name (a new job that could not start), or from this refusal (the job has it).
            job = describe(sm, api, request[api.name_field])
            same_name = old.get(api.name_field, request[api.name_field]) == request[api.name_field]
            changed = same_name and _definition(old) != _definition(request)
            if changed and not _has_definition(job, request):
                raise JobError(
                    f"the definition of {api.noun} {event['PhysicalResourceId']} changed only in values resolved "
                    "at deploy time, so its name stayed the same; change a property the construct sees at synth "
                    "(for example run_token) to start a new job"
                )
            data = {"JobName": request[api.name_field], "JobArn": job[api.arn_field] if job else ""}
            _retag(sm, data["JobArn"], old.get("Tags") or [], request.get("Tags") or [])
            return {"PhysicalResourceId": event["PhysicalResourceId"], "Data": data}
        return create_job(sm, kind, request)
    held_by = holder()
    if held_by is not None:
        LOG.info("%s %s is resource %s's now: left to it", api.noun, event["PhysicalResourceId"], held_by)
        return {"PhysicalResourceId": event["PhysicalResourceId"], "Data": {"HeldBy": held_by}}
    begin_delete(sm, kind, event["PhysicalResourceId"])
    return {"PhysicalResourceId": event["PhysicalResourceId"]}


def holder_in_stack(cloudformation: Any, event: dict[str, Any]) -> str | None:
    """The logical id of another resource of the event's stack, of its type and not leaving it, whose
    physical id is the event's job: a construct moved with its ``job_name_prefix``, whose new resource
    adopted the job (or whose old one keeps it when the move rolls back). None when there is none, or when
    the role may not list the stack's resources (a stack deployed before it could): the job is stopped and
    deleted, as before. Any other failure fails the Delete, and the job is left running."""

    def listed() -> list[dict[str, Any]]:  # a paginator of its own each try: one resumes where it failed
        pages = cloudformation.get_paginator("list_stack_resources").paginate(StackName=event["StackId"])
        return [r for page in pages for r in page["StackResourceSummaries"]]

    try:
        resources = with_retries(listed)
    except ClientError as error:
        if "AccessDenied" not in error_code(error):
            raise explain(error, f"listing stack {event['StackId']}'s resources") from error
        LOG.warning("cannot list stack %s's resources, so its job is deleted: %s", event["StackId"], error)
        return None
    return next(
        (
            r["LogicalResourceId"]
            for r in resources
            if r["LogicalResourceId"] != event["LogicalResourceId"]
            and r["ResourceType"] == event["ResourceType"]
            and r.get("PhysicalResourceId") == event["PhysicalResourceId"]
            and r["ResourceStatus"] not in LEAVING  # a DELETE_SKIPPED one is retained, and holds it still
        ),
        None,
    )


def is_complete(
    sm: Any, event: dict[str, Any], made_by_failed_operation: Callable[[Any], bool] = lambda created: False
) -> dict[str, Any]:
    """The provider framework's isComplete: a deleted job is gone once it is terminal and deleted (see
    ``finish_delete`` for which completed jobs are kept), or at once when another resource holds it."""
    props = event["ResourceProperties"]
    if event["RequestType"] != "Delete" or props["Kind"] not in JOB_APIS or "HeldBy" in event.get("Data", {}):
        return {"IsComplete": True}
    done = finish_delete(
        sm,
        props["Kind"],
        event["PhysicalResourceId"],
        keep_completed=props.get("RemovalPolicy") != "destroy",
        made_by_failed_operation=made_by_failed_operation,
    )
    return {"IsComplete": done}


def made_by_failed_operation(cloudformation: Any, stack_id: str, created: Any) -> bool:
    """Whether the stack rolls back a failed operation (``ROLLBACK_IN_PROGRESS``,
    ``UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS``, ...), which deletes only the resources it made, and
    the job was ``created`` since that operation started (its ``LastUpdatedTime``, or the stack's
    ``CreationTime``): a job the resource adopted from an earlier deployment stays. False when it cannot
    tell: the job is kept, as without this check."""
    try:
        stacks = with_retries(lambda: cloudformation.describe_stacks(StackName=stack_id))["Stacks"]
    except (ClientError, BotoCoreError) as error:
        LOG.warning("cannot tell whether stack %s rolls back, so a completed job is kept: %s", stack_id, error)
        return False
    if not stacks or "ROLLBACK" not in stacks[0]["StackStatus"]:
        return False
    started = stacks[0].get("LastUpdatedTime") or stacks[0]["CreationTime"]
    return bool(created >= started)


def _retag(sm: Any, arn: str, old: list[dict[str, str]], new: list[dict[str, str]]) -> None:
    """Tags are not part of a job's identity: change them in place."""
    removed = sorted({t["Key"] for t in old} - {t["Key"] for t in new})
    if removed:
        with_retries(lambda: sm.delete_tags(ResourceArn=arn, TagKeys=removed))
    if new and new != old:
        with_retries(lambda: sm.add_tags(ResourceArn=arn, Tags=new))


def _definition(request: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in request.items() if k != "Tags"}


def _has_definition(job: dict[str, Any] | None, request: dict[str, Any]) -> bool:
    """The described job holds every field of ``request`` as requested. Describe returns all that Create
    takes, and more: what the service adds (an output's ``CloudWatchLogs``) and an identifier as its ARN."""
    return job is not None and _holds(job, _definition(request))


def _holds(actual: Any, wanted: Any) -> bool:
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(key in actual and _holds(actual[key], v) for key, v in wanted.items())
    if isinstance(wanted, list):
        return isinstance(actual, list) and len(actual) == len(wanted) and all(map(_holds, actual, wanted))
    if isinstance(wanted, str) and isinstance(actual, str) and actual.startswith("arn:"):
        return actual == wanted or actual.endswith(f"/{wanted}")  # a name the service returns as its ARN
    return bool(actual == wanted)
