"""What every AI job resource does: its name, its request's validation and its custom resource."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from aws_cdk import CfnWaitCondition, CfnWaitConditionHandle, CustomResource, Names, Stack
from botocore.model import OperationModel
from botocore.validate import ParamValidator

from constructs import Construct

from .._core import service_model
from .._core.arns import sagemaker_arn
from .._core.roles import depend_on_policy
from .._core.validation import request_violations, unresolved
from ..errors import ValidationError
from .provider import AiJobsProvider
from .wait import JobWait

JOB_NAME_MAX = 63


HASH_LENGTH = 10


def job_name(scope: Construct, prefix: str | None, request: dict[str, Any]) -> str:
    """``<prefix>-<hash of the definition>``: a changed definition gets a new name (a new job, and
    CloudFormation replaces the old one); a retried Create finds the job it already started."""
    definition = json.dumps(Stack.of(scope).resolve(request), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(definition.encode()).hexdigest()[:HASH_LENGTH]
    # Lower case: SageMaker writes resource names into ARNs in lower case, and IAM compares exactly.
    stem = prefix or Names.unique_resource_name(scope, max_length=JOB_NAME_MAX - HASH_LENGTH - 1, separator="-").lower()
    stem = re.sub(r"[^a-z0-9-]", "-", stem).strip("-")[: JOB_NAME_MAX - HASH_LENGTH - 1].rstrip("-")
    return f"{stem}-{digest}"


def job_family_arn(scope: Construct, resource: str, name: str) -> str:
    """The ARN of every job the construct named ``name`` may name: its stem and any definition hash
    (``<stem>-??????????``). A changed definition names a new job, and CloudFormation deletes the old one
    only once the update is done, when the provider's policy names the new job already: the handlers'
    grant must cover both."""
    return sagemaker_arn(scope, resource, f"{name[: -HASH_LENGTH - 1]}-{'?' * HASH_LENGTH}")


def check_job_name_prefix(prefix: str | None) -> None:
    if prefix is None or unresolved(prefix):
        return
    limit = JOB_NAME_MAX - HASH_LENGTH - 1
    if not re.fullmatch(r"[a-z0-9](-*[a-z0-9])*", prefix) or len(prefix) > limit:
        raise ValidationError(
            f"job_name_prefix must be 1-{limit} lower-case letters, digits and hyphens (not at the ends), "
            f"got {prefix!r} (lower case keeps the job's IAM ARN exact)"
        )


def validate_request(operation: str, request: dict[str, Any]) -> None:
    """Check the request against botocore's own model of the operation: ParamValidator's types,
    required members and minimums, then the enums, maximums and patterns it leaves out (the custom
    resource's request reaches the service with no CloudFormation schema in between). Deploy-time
    values pass."""
    model: OperationModel = service_model.operation(operation)
    report = ParamValidator().validate(_placeholders(request), model.input_shape)
    problems = [report.generate_report()] if report.has_errors() else []
    problems += request_violations(model.input_shape, request)
    if problems:
        raise ValidationError(f"the {operation} request would be rejected: {'; '.join(problems)}")


def _placeholders(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v) for v in value]
    if isinstance(value, str) and unresolved(value):
        return "value-resolved-at-deploy"  # 24 characters: within every length range of these shapes
    return value


def job_resource(
    scope: Construct,
    *,
    kind: str,
    resource_type: str,
    request: dict[str, Any],
    name: str,
    wait: JobWait,
) -> tuple[CustomResource, Construct]:
    """The job's custom resource and what "the job is done" depends on (its wait condition, or the
    resource itself when the deployment does not wait)."""
    provider = AiJobsProvider.of(scope)
    properties: dict[str, Any] = {"Kind": kind, "Request": request}
    handle = None
    suffix = ""
    if wait.timeout is not None:
        # New ids per job and bound: a wait condition can be neither signalled twice nor updated.
        suffix = f"{name[-HASH_LENGTH:]}{int(wait.timeout.to_seconds())}"
        handle = CfnWaitConditionHandle(scope, f"WaitHandle{suffix}")
        properties["Wait"] = {
            "StateMachineArn": provider.waiter_arn,
            "HandleUrl": handle.ref,
            "TimeoutSeconds": int(wait.timeout.to_seconds()),
            "PollSeconds": int(wait.poll_interval.to_seconds()),
        }
    resource = CustomResource(
        scope,
        "Resource",
        service_token=provider.service_token,
        resource_type=resource_type,
        properties=properties,
    )
    depend_on_policy(resource, provider.role)
    if handle is None or wait.timeout is None:
        return resource, resource
    resource.node.add_dependency(provider.waiter)  # the job starts the waiter by name
    condition = CfnWaitCondition(
        scope,
        f"Completion{suffix}",
        handle=handle.ref,
        timeout=str(int(wait.timeout.to_seconds())),
        count=1,
    )
    condition.node.add_dependency(resource)
    return resource, condition
