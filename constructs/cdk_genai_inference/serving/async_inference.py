"""Asynchronous inference: the queue's S3 outputs and notifications, and the grants the models need."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk import aws_sns as sns

from .._core.validation import check_range, unresolved
from ..errors import ValidationError


@dataclass(frozen=True)
class AsyncInference:
    """Asynchronous inference: requests are queued and results written to S3.

    When the endpoint's models are ``Model`` constructs with their own role, that role is granted
    write access to the output prefixes and publish access to the topics, and read access to the
    input prefix: SageMaker reads a request's ``InputLocation`` with it.

    Args:
        output_bucket: Where results go.
        output_prefix: Key prefix for results. Default: async-output/
        failure_prefix: Key prefix for failed requests. Default: async-failures/
        success_topic: Notified on success. Default: - no notification
        error_topic: Notified on failure. Default: - no notification
        max_concurrent_invocations_per_instance: Requests one instance processes at once, 1-1000.
            Default: - chosen by SageMaker
        encryption_key: KMS key for the results. Default: - the bucket's encryption
        input_bucket: Where callers put request payloads (``InputLocation``; a payload over 128,000
            bytes must be there). Default: - payloads inline (``Body``), or a location you grant
        input_prefix: Key prefix of the payloads in ``input_bucket``, which the model role may read: not
            empty, and not a deploy-time value alone (either could grant the whole bucket); needs
            ``input_bucket``. Default: - async-input/ with an ``input_bucket``
    """

    output_bucket: s3.IBucket
    output_prefix: str = "async-output/"
    failure_prefix: str = "async-failures/"
    success_topic: sns.ITopic | None = None
    error_topic: sns.ITopic | None = None
    max_concurrent_invocations_per_instance: int | None = None
    encryption_key: kms.IKey | None = None
    input_bucket: s3.IBucket | None = None
    input_prefix: str | None = None


DEFAULT_INPUT_PREFIX = "async-input/"
_STRING_TOKEN = re.compile(r"\$\{Token\[[^\]]*\]\}")
"""How a deploy-time value is encoded in a string."""

ASYNC_METRICS_NOTE = (
    "an asynchronous endpoint publishes no Invocations and no ConcurrentRequestsPerModel (SageMaker's "
    "list of the metrics it publishes is exhaustive: Invocation4XXErrors, Invocation5XXErrors, ModelLatency, "
    "the backlog and the InvocationFailures metrics among them)"
)
"""Why an asynchronous endpoint refuses the default error alarm and weighted-utilization scaling."""


def check_async_inference(options: AsyncInference | None, *, default_alarms: bool) -> None:
    """``default_alarms``: the endpoint would define the default rollback alarms, whose error rate is
    ``Invocation5XXErrors / Invocations``."""
    if options is None:
        return
    if default_alarms:
        raise ValidationError(
            f"rollback_alarms: {ASYNC_METRICS_NOTE}, so the default ErrorRate alarm (Invocation5XXErrors / "
            "Invocations) could never trip and a deployment would never roll back on errors; pass "
            "rollback_alarms=None and guard the deployment with alarms=[...] on what the endpoint publishes"
        )
    check_range(
        "async_inference.max_concurrent_invocations_per_instance",
        options.max_concurrent_invocations_per_instance,
        1,
        1000,
    )
    _check_input_prefix(options.input_prefix, has_bucket=options.input_bucket is not None)


def _check_input_prefix(prefix: str | None, *, has_bucket: bool) -> None:
    """The model role reads ``<prefix>*`` of the input bucket: an empty prefix, or a token that may resolve
    to one, would be the whole bucket."""
    if prefix is None:
        return
    if not has_bucket:
        raise ValidationError(
            f"async_inference.input_prefix {prefix!r} needs async_inference.input_bucket: it is the key prefix "
            "of the payloads in that bucket; pass input_bucket, or leave input_prefix out"
        )
    if prefix == "":
        raise ValidationError(
            f"async_inference.input_prefix must be a non-empty key prefix such as {DEFAULT_INPUT_PREFIX!r}, "
            "got '': the model role would read the whole input bucket"
        )
    if unresolved(prefix) and not _STRING_TOKEN.sub("", prefix):
        raise ValidationError(
            f"async_inference.input_prefix must be known at synth or hold literal text (such as "
            f"f'{{token}}/{DEFAULT_INPUT_PREFIX}'), got the deploy-time value {prefix!r}: one that resolves to '' "
            "would let the model role read the whole input bucket"
        )


def async_inference_config(
    options: AsyncInference | None, roles: Sequence[iam.IRole]
) -> sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty | None:
    if options is None:
        return None
    bucket = options.output_bucket
    for role in roles:
        bucket.grant_put(role, f"{options.output_prefix}*")
        bucket.grant_put(role, f"{options.failure_prefix}*")
        for topic in (options.success_topic, options.error_topic):
            if topic is not None:
                topic.grant_publish(role)
        if options.encryption_key is not None:
            options.encryption_key.grant_encrypt(role)
        if options.input_bucket is not None:
            options.input_bucket.grant_read(
                role, f"{DEFAULT_INPUT_PREFIX if options.input_prefix is None else options.input_prefix}*"
            )
    cfg = sagemaker.CfnEndpointConfig
    notifications = (
        cfg.AsyncInferenceNotificationConfigProperty(
            success_topic=options.success_topic.topic_arn if options.success_topic else None,
            error_topic=options.error_topic.topic_arn if options.error_topic else None,
        )
        if options.success_topic or options.error_topic
        else None
    )
    return cfg.AsyncInferenceConfigProperty(
        output_config=cfg.AsyncInferenceOutputConfigProperty(
            s3_output_path=bucket.s3_url_for_object(options.output_prefix),
            s3_failure_path=bucket.s3_url_for_object(options.failure_prefix),
            notification_config=notifications,
            kms_key_id=options.encryption_key.key_arn if options.encryption_key else None,
        ),
        client_config=cfg.AsyncInferenceClientConfigProperty(
            max_concurrent_invocations_per_instance=options.max_concurrent_invocations_per_instance
        )
        if options.max_concurrent_invocations_per_instance is not None
        else None,
    )
