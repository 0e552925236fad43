"""What recommendation and benchmark jobs share: waiting, naming, sources and MLflow output."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from aws_cdk import CfnWaitCondition, CfnWaitConditionHandle, CustomResource, Duration, Names, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from botocore.model import OperationModel
from botocore.validate import ParamValidator

from constructs import Construct

from . import service_model
from ._ai_jobs import MAX_WAIT, AiJobsProvider
from ._roles import depend_on_policy
from ._scanners import acknowledge, acknowledge_wildcards
from ._validate import check_duration, unresolved
from .errors import ValidationError

S3_URI = re.compile(r"^s3://(?P<bucket>[^/]+)/?(?P<key>.*)$")
JOB_NAME_MAX = 63
HASH_LENGTH = 10


@dataclass(frozen=True)
class JobWait:
    """Whether a deployment waits for its job to finish. Build with ``in_deployment`` or ``none``."""

    timeout: Duration | None
    poll_interval: Duration = Duration.minutes(5)  # noqa: RUF009 - a Duration is immutable

    @staticmethod
    def in_deployment(timeout: Duration | None = None, poll_interval: Duration | None = None) -> JobWait:
        """Hold the deployment until the job completes; fail it (with the job's ``FailureReason``)
        when the job fails, stops, or is still running at ``timeout``.

        Args:
            timeout: At most 12 hours (CloudFormation's wait-condition limit). Default: 12 hours
            poll_interval: Between status checks, 1-60 minutes. Default: 5 minutes
        """
        wait = JobWait(timeout or MAX_WAIT, poll_interval or Duration.minutes(5))
        check_duration("JobWait.in_deployment timeout", wait.timeout, 60, int(MAX_WAIT.to_seconds()))
        check_duration("JobWait.in_deployment poll_interval", wait.poll_interval, 60, 3600)
        return wait

    @staticmethod
    def none() -> JobWait:
        """Start the job and move on; a later stack or pipeline stage resolves it."""
        return JobWait(None)


@dataclass(frozen=True)
class S3Location:
    """An S3 prefix, given as a URI or as a bucket and key prefix."""

    uri: str
    bucket: s3.IBucket | None = None
    prefix: str = ""

    @staticmethod
    def from_uri(uri: str) -> S3Location:
        if not unresolved(uri) and not S3_URI.match(uri):
            raise ValidationError(f"S3 location must be an s3:// URI, got {uri!r}")
        return S3Location(uri)

    @staticmethod
    def from_bucket(bucket: s3.IBucket, prefix: str = "") -> S3Location:
        return S3Location(bucket.s3_url_for_object(prefix) if prefix else f"s3://{bucket.bucket_name}/", bucket, prefix)

    def grant_read(self, grantee: iam.IGrantable) -> None:
        """Read the objects under the prefix (and list them)."""
        self._grant(grantee, write=False)

    def grant_read_write(self, grantee: iam.IGrantable) -> None:
        """Read, list and write the objects under the prefix; never delete."""
        self._grant(grantee, write=True)

    def _grant(self, grantee: iam.IGrantable, *, write: bool) -> None:
        if self.bucket is None:
            grant_s3(grantee, self.uri, write=write)
            return
        _grant_prefix(
            grantee, self.bucket.bucket_arn, self.bucket.arn_for_objects(f"{self.prefix}*"), self.prefix, write
        )
        if self.bucket.encryption_key is not None:
            key = self.bucket.encryption_key
            (key.grant_encrypt_decrypt if write else key.grant_decrypt)(grantee)


def grant_s3(grantee: iam.IGrantable, uri: str, *, write: bool) -> None:
    """Read (and optionally write) the objects under an ``s3://`` prefix; tokens grant nothing."""
    match = None if unresolved(uri) else S3_URI.match(uri)
    if match is None:
        return
    bucket, key = match["bucket"], match["key"]
    partition = Stack.of(grantee).partition if isinstance(grantee, Construct) else "aws"
    _grant_prefix(grantee, f"arn:{partition}:s3:::{bucket}", f"arn:{partition}:s3:::{bucket}/{key}*", key, write)


def _grant_prefix(grantee: iam.IGrantable, bucket_arn: str, objects_arn: str, prefix: str, write: bool) -> None:
    actions = ["s3:GetObject", *(["s3:PutObject", "s3:AbortMultipartUpload"] if write else [])]
    grantee.grant_principal.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=[objects_arn]))
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["s3:ListBucket"],
            resources=[bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{prefix}*"]}},
        )
    )
    if isinstance(grantee, Construct):
        acknowledge_wildcards(grantee, [objects_arn], "The data is every object under this one prefix.")


@dataclass(frozen=True)
class MlflowTracking:
    """Stream metrics to a SageMaker MLflow App or tracking server (self-hosted MLflow is not supported).

    Args:
        resource_arn: The MLflow App or tracking server ARN.
        experiment_name: Default: - chosen by the service
        run_name: Default: - chosen by the service
    """

    resource_arn: str
    experiment_name: str | None = None
    run_name: str | None = None

    def request(self) -> dict[str, str]:
        values = {
            "MlflowResourceArn": self.resource_arn,
            "MlflowExperimentName": self.experiment_name,
            "MlflowRunName": self.run_name,
        }
        return {k: v for k, v in values.items() if v is not None}

    def grant(self, role: iam.IRole) -> None:
        role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sagemaker-mlflow:*", "sagemaker:CallMlflowAppApi", "sagemaker:DescribeMlflowApp"],
                resources=[self.resource_arn],
            )
        )
        acknowledge(
            role,
            "AwsSolutions-IAM5",
            "The job logs runs, metrics and artifacts through the MLflow API of this one MLflow resource; "
            "SageMaker documents sagemaker-mlflow:* for it.",
            action="sagemaker-mlflow:*",
        )


def job_name(scope: Construct, prefix: str | None, request: dict[str, Any]) -> str:
    """``<prefix>-<hash of the definition>``: a changed definition gets a new name (a new job, and
    CloudFormation replaces the old one); a retried Create finds the job it already started."""
    definition = json.dumps(Stack.of(scope).resolve(request), sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(definition.encode()).hexdigest()[:HASH_LENGTH]
    # Lower case: SageMaker writes resource names into ARNs in lower case, and IAM compares exactly.
    stem = prefix or Names.unique_resource_name(scope, max_length=JOB_NAME_MAX - HASH_LENGTH - 1, separator="-").lower()
    stem = re.sub(r"[^a-z0-9-]", "-", stem).strip("-")[: JOB_NAME_MAX - HASH_LENGTH - 1].rstrip("-")
    return f"{stem}-{digest}"


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
    """Check the request against botocore's own model of the operation (types, required members,
    lengths and ranges); deploy-time values pass as strings."""
    model: OperationModel = service_model.operation(operation)
    report = ParamValidator().validate(_placeholders(request), model.input_shape)
    if report.has_errors():
        raise ValidationError(f"the {operation} request would be rejected: {report.generate_report()}")


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
