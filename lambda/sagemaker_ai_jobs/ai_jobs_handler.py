"""Lambda entry points of the AI-job custom resources and the deployment waiter. Thin: one table maps
each resource ``Kind`` to the logic that serves it; the logic takes its clients as arguments. The asset
bundles its own boto3/botocore, so the runtime's SDK age never matters."""

from __future__ import annotations

import logging
import time
import urllib.request
from collections.abc import Callable
from typing import Any

import benchmark_logic
import boto3
import job_lifecycle
import job_waiter
import package_group
import recommendation_resolution
from botocore.config import Config

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)
CONFIG = Config(retries={"max_attempts": 4, "mode": "standard"}, user_agent_extra="cdk-genai-inference")


class Clients:
    """The AWS clients of one invocation by service name (``clients.sagemaker``, ``clients.s3``, ...), each
    created on first use."""

    def __getattr__(self, service: str) -> Any:
        client = boto3.client(service, config=CONFIG)
        setattr(self, service, client)
        return client


def _job(event: dict[str, Any], clients: Any) -> dict[str, Any]:
    event = coerce_request(clients.sagemaker, event)
    response = job_lifecycle.job_event(
        clients.sagemaker, event, lambda: job_lifecycle.holder_in_stack(clients.cloudformation, event)
    )
    wait = job_waiter.waiter_needed(event, response)
    if wait is not None:
        job_waiter.start_or_discard(clients.sagemaker, clients.stepfunctions, wait, event, response, time.time())
    return response


def _benchmark_results(event: dict[str, Any], clients: Any) -> dict[str, Any]:
    props = event["ResourceProperties"]
    if event["RequestType"] == "Delete":
        benchmark_logic.unpublish(clients.ssm, props.get("Publish") or {}, props["JobName"])
        return {"PhysicalResourceId": event["PhysicalResourceId"]}
    return benchmark_logic.benchmark_results(clients.sagemaker, clients.s3, clients.cloudwatch, clients.ssm, props)


KINDS: dict[str, Callable[[dict[str, Any], Any], dict[str, Any]]] = {
    "RecommendationJob": _job,
    "BenchmarkJob": _job,
    "RecommendationResolution": lambda event, clients: recommendation_resolution.resolve_job(clients.sagemaker, event),
    "PackageResolution": lambda event, clients: recommendation_resolution.resolve_packages(clients.sagemaker, event),
    "BenchmarkResults": _benchmark_results,
    "ScalingRangeCheck": lambda event, clients: recommendation_resolution.check_scaling_range(event),
    "ModelPackageGroup": lambda event, clients: package_group.on_event(clients.sagemaker, event),
}
"""Every kind of resource the provider serves, and what serves it."""


def on_event(event: dict[str, Any], context: Any, clients: Any = None) -> dict[str, Any]:
    """Custom-resource onEvent, dispatched on the resource's ``Kind``."""
    kind = event["ResourceProperties"].get("Kind")
    LOG.info("%s %s", event["RequestType"], kind)
    if kind not in KINDS:
        raise job_lifecycle.JobError(f"unknown resource kind {kind!r}; this provider serves {', '.join(KINDS)}")
    return KINDS[kind](event, clients or Clients())


def is_complete(event: dict[str, Any], context: Any, clients: Any = None) -> dict[str, Any]:
    """Custom-resource isComplete: a deleted job is gone once it is terminal and deleted; a model package
    group is complete once the service has it ready and its policy is put."""
    clients = clients or Clients()
    if event["ResourceProperties"].get("Kind") == "ModelPackageGroup":
        return package_group.is_complete(clients.sagemaker, event)
    stack = event.get("StackId", "")
    return job_lifecycle.is_complete(
        clients.sagemaker,
        event,
        lambda created: job_lifecycle.made_by_failed_operation(clients.cloudformation, stack, created),
    )


def poll(event: dict[str, Any], context: Any, clients: Any = None) -> dict[str, Any]:
    """One step of the waiter state machine: check the job, signal the wait condition when done.
    Called with ``Error`` when polling failed for good: then it signals the failure."""
    if "Error" in event:
        job_waiter.send_signal(
            _put, event["HandleUrl"], job_waiter.waiter_failed(event["Kind"], event["JobName"], event["Error"])
        )
        return {**event, "Status": "WaiterFailed", "Done": True}
    sagemaker = (clients or Clients()).sagemaker
    result = job_waiter.poll_job(sagemaker, event["Kind"], event["JobName"], float(event["Deadline"]), time.time())
    if result.signal is not None:
        job_waiter.send_signal(_put, event["HandleUrl"], result.signal)
    LOG.info("%s %s: %s", event["Kind"], event["JobName"], result.status)
    if result.note:
        LOG.warning("%s", result.note)
    return {**event, "Status": result.status, "Done": result.done}


def coerce_request(client: Any, event: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation hands custom resources every value as a string; restore the API's types of a job's
    request (old and new properties alike)."""
    kind = event["ResourceProperties"]["Kind"]
    model = client.meta.service_model.operation_model(
        client.meta.method_to_api_mapping[job_lifecycle.JOB_APIS[kind].create]
    )
    restored = dict(event)
    for key in ("ResourceProperties", "OldResourceProperties"):
        if key in event and "Request" in event[key]:
            restored[key] = {**event[key], "Request": _coerce(model.input_shape, event[key]["Request"])}
    return restored


def _coerce(shape: Any, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {k: _coerce(shape.members[k], v) if k in shape.members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [_coerce(shape.member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _coerce(shape.value, v) for k, v in value.items()}
    if isinstance(value, str):
        if kind == "boolean":
            return value.lower() == "true"
        if kind in ("integer", "long"):
            return int(value)
        if kind in ("float", "double"):
            return float(value)
    return value


def _put(url: str, body: bytes) -> None:
    request = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": ""})
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
