"""The deployment waiter: a Step Functions execution that polls a job and signals the stack's wait
condition when the job ends, fails, or outlives the deployment's bound. Pure logic: clients, HTTP and
the clock come in as arguments."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_calls import RETRYABLE, TRANSIENT, JobError, error_code, explain, with_retries
from botocore.exceptions import ClientError
from job_lifecycle import JOB_APIS, TERMINAL, describe, discard_job


@dataclass(frozen=True)
class PollResult:
    """What one poll of a job found, and the wait-condition signal to send (if any)."""

    status: str
    done: bool
    signal: dict[str, str] | None
    note: str = ""
    """Why the status is unknown, when a poll could not read the job and polls again."""


def poll_job(sm: Any, kind: str, name: str, deadline: float, now: float) -> PollResult:
    """Check a job for a deployment that waits on it; decide whether and how to signal."""
    api = JOB_APIS[kind]
    try:
        job = describe(sm, api, name)
    except (ClientError, *TRANSIENT) as error:
        return _unreadable(api.noun, name, error, deadline, now)
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


def _unreadable(noun: str, name: str, error: Exception, deadline: float, now: float) -> PollResult:
    """A poll that could not read the job. A fault that outlasted the client's retries (throttling, a service
    fault, a network timeout) leaves the job to the next poll, up to the deadline; any other (access denied)
    fails the deployment now."""
    if isinstance(error, ClientError):
        failure, transient = str(explain(error, f"checking {noun} {name}")), error_code(error) in RETRYABLE
    else:
        failure, transient = f"checking {noun} {name} failed: {error}", True
    if transient and now < deadline:
        return PollResult("Unknown", False, None, note=f"{failure}; the next poll tries again")
    if transient:
        failure += "; the deployment's wait bound has passed, so the waiter polls no more"
    return PollResult("Unknown", True, _signal("FAILURE", failure, name))


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
            raise explain(error, f"starting the waiter for {JOB_APIS[kind].noun} {name}") from error


def start_or_discard(
    sm: Any, sfn: Any, wait: dict[str, Any], event: dict[str, Any], response: dict[str, Any], now: float
) -> None:
    """``start_waiter`` for the job ``event`` made or kept (``response``). A new job whose waiter cannot start
    is stopped and deleted before the failure is raised: nothing else would, since the provider framework
    answers a failed Create with a marker physical id and never passes on its Delete, and a failed
    replacement's rollback returns to the old job."""
    kind, name = event["ResourceProperties"]["Kind"], response["PhysicalResourceId"]
    try:
        start_waiter(sfn, wait, kind, name, now)
    except Exception as error:
        if name == event.get("PhysicalResourceId"):
            raise  # the job the resource already names: it stays the stack's
        raise JobError(f"{error}; {discard_job(sm, kind, name)}") from error


def waiter_needed(event: dict[str, Any], response: dict[str, Any]) -> dict[str, Any] | None:
    """The wait to start a waiter for: a new job, or a job newly waited on (a new wait handle); an unchanged
    job keeps its own waiter."""
    wait = event["ResourceProperties"].get("Wait")
    if event["RequestType"] == "Delete" or not wait:
        return None
    old_wait = event.get("OldResourceProperties", {}).get("Wait") or {}
    is_new_job = response["PhysicalResourceId"] != event.get("PhysicalResourceId")
    return wait if is_new_job or old_wait.get("HandleUrl") != wait["HandleUrl"] else None


def waiter_failed(kind: str, name: str, error: dict[str, Any]) -> dict[str, str]:
    """The signal for a waiter that could not poll (its retries exhausted): fail the deployment now
    rather than let the wait condition time out hours later."""
    cause = str(error.get("Cause") or error.get("Error") or "unknown error")[:1000]
    return _signal("FAILURE", f"the waiter for {JOB_APIS[kind].noun} {name} failed: {cause}", name)


def send_signal(put: Callable[[str, bytes], None], url: str, signal: dict[str, str]) -> None:
    """Signal a CloudFormation wait condition through its presigned handle URL."""
    put(url, json.dumps(signal).encode())
