"""Lambda entry points for AI job custom resources and the deployment waiter. Thin: the work is in
``ai_jobs_logic``. The asset bundles its own boto3/botocore, so the runtime's SDK age never matters."""

from __future__ import annotations

import logging
import time
import urllib.request
from typing import Any

import ai_jobs_logic as logic
import benchmark_logic
import boto3
from botocore.config import Config

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)
CONFIG = Config(retries={"max_attempts": 4, "mode": "standard"}, user_agent_extra="cdk-genai-inference")


def sagemaker() -> Any:
    return boto3.client("sagemaker", config=CONFIG)


def on_event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Custom-resource onEvent: create, replace or begin deleting a job; resolve recommendations;
    read, gate and publish benchmark results."""
    client = sagemaker()
    props = event["ResourceProperties"]
    LOG.info("%s %s", event["RequestType"], props.get("Kind"))
    if props.get("Kind") == "BenchmarkResults":
        ssm = boto3.client("ssm", config=CONFIG)
        if event["RequestType"] == "Delete":
            benchmark_logic.unpublish(ssm, props.get("Publish") or {}, props["JobName"])
            return {"PhysicalResourceId": event["PhysicalResourceId"]}
        s3, cloudwatch = boto3.client("s3", config=CONFIG), boto3.client("cloudwatch", config=CONFIG)
        return benchmark_logic.benchmark_results(client, s3, cloudwatch, ssm, props)
    event = {**event, "ResourceProperties": coerce_request(client, props)}
    if "OldResourceProperties" in event:
        event["OldResourceProperties"] = coerce_request(client, event["OldResourceProperties"])
    return logic.on_event(client, event, boto3.client("stepfunctions", config=CONFIG))


def is_complete(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Custom-resource isComplete: a deleted job is gone once it is terminal and deleted."""
    return logic.is_complete(sagemaker(), event)


def poll(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One step of the waiter state machine: check the job, signal the wait condition when done.
    Called with ``Error`` when polling failed for good: then it signals the failure."""
    if "Error" in event:
        logic.send_signal(
            _put, event["HandleUrl"], logic.waiter_failed(event["Kind"], event["JobName"], event["Error"])
        )
        return {**event, "Status": "WaiterFailed", "Done": True}
    result = logic.poll_job(sagemaker(), event["Kind"], event["JobName"], float(event["Deadline"]), time.time())
    if result.signal is not None:
        logic.send_signal(_put, event["HandleUrl"], result.signal)
    LOG.info("%s %s: %s", event["Kind"], event["JobName"], result.status)
    return {**event, "Status": result.status, "Done": result.done}


def coerce_request(client: Any, props: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation hands custom resources every value as a string; restore the API's types."""
    kind = props.get("Kind")
    if kind not in logic.JOB_APIS or "Request" not in props:
        return props
    operation = logic.JOB_APIS[kind].create
    model = client.meta.service_model.operation_model(client.meta.method_to_api_mapping[operation])
    return {**props, "Request": _coerce(model.input_shape, props["Request"])}


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
