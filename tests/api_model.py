"""API-model validation of synthesized templates, beside cfn-lint.

cfn-lint checks a template against CloudFormation's resource schemas. The resources in ``MAPPINGS`` are
thin over SageMaker, Application Auto Scaling and CloudWatch calls, and the model of each call
(botocore's) can be stricter than the schema: a member the schema makes optional, a maximum, an enum, a
pattern. ``validate_template`` turns each such resource's properties into the request(s) CloudFormation
makes (deploy-time values as ``cfn_values`` describes) and checks each against botocore's service model
of the operation (``api_validator``).

A call takes the properties that are members of its input, by the same name. Where template and calls
differ (each case is tested in test_api_model.py):
- Model, EndpointConfig, Endpoint, InferenceComponent, Alarm: the API requires the name; a template that
  leaves it to CloudFormation gets a generated one (an ``Unknown`` here).
- Endpoint: CreateEndpoint takes EndpointName, EndpointConfigName, DeploymentConfig and Tags;
  UpdateEndpoint the same without Tags, plus RetainAllVariantProperties, ExcludeRetainedVariantProperties
  and RetainDeploymentConfig.
- InferenceComponent: CreateInferenceComponent takes all but DeploymentConfig, which only
  UpdateInferenceComponent takes (with the name, Specification(s) and RuntimeConfig). EndpointArn is the
  schema's alone. Specification and Specifications keep their names; the API has one shape for both
  (InstanceType allowed on either, 1-5 entries), the schema two (no InstanceType on the singular, 2-5
  entries), so the schema is the stricter there.
- ScalingPolicy: ScalingTargetId stands for the target's ResourceId, ScalableDimension and
  ServiceNamespace (read from the ScalableTarget it refers to, or split from a literal target id).
- ScalableTarget: Tags is a Key/Value list in the template and a map in RegisterScalableTarget; each of
  ScheduledActions is a PutScheduledAction call.
- ModelPackageGroup: ModelPackageGroupPolicy is a PutModelPackageGroupPolicy call, the policy as JSON text.
- The library's Custom::ModelPackageGroup: Request is the CreateModelPackageGroup call, ResourcePolicy a
  PutModelPackageGroupPolicy call on the group (as JSON text).
- Alarm: no differences (Metrics is PutMetricAlarm's list of MetricDataQuery, Tags the same Key/Value list).
- The library's Custom::AIRecommendationJob and Custom::AIBenchmarkJob: Request is the create call of Kind.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from api_validator import ABSENT, RequestValidator, operation
from cfn_values import Unknown, json_text, resolve


@dataclass(frozen=True)
class Finding:
    """A member of a request the API's model rejects."""

    resource: str
    resource_type: str
    operation: str
    path: str
    value: Any
    rule: str
    """required | unknown member | type | enum | range | length | pattern | union"""
    detail: str

    def __str__(self) -> str:
        shown = "(absent)" if self.value is ABSENT else _show(self.value)
        return (
            f"{self.resource} ({self.resource_type} -> {self.operation}) {self.path}: {shown} "
            f"breaks {self.rule}: {self.detail}"
        )


def _show(value: Any) -> str:
    text = str(value) if isinstance(value, Unknown) else json.dumps(value, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


@dataclass(frozen=True)
class Request:
    """One API call CloudFormation makes for a resource; ``origin`` maps a member's path in the request
    to its property path in the template, where the two differ."""

    service: str
    operation: str
    params: dict[str, Any]
    origin: Mapping[str, str] = field(default_factory=dict)


Adapter = Callable[[list[Request], dict[str, Any], dict[str, Any]], list[Request]]
"""(the calls' requests, the resolved properties, the template's resources) -> the requests made"""


@dataclass(frozen=True)
class ApiMapping:
    """How CloudFormation turns a resource's properties into API calls.

    Each call in ``calls`` takes the properties that are members of its input (same names); ``generated``
    are required members CloudFormation supplies when the template leaves them out; ``cfn_only`` are
    properties none of the calls take, each with what CloudFormation does with it instead; ``adapt`` adds
    the requests those properties become and reshapes what differs.
    """

    service: str
    calls: tuple[str, ...]
    generated: Mapping[str, str] = field(default_factory=dict)
    cfn_only: Mapping[str, str] = field(default_factory=dict)
    adapt: Adapter | None = None


def _target_ids(requests: list[Request], props: dict[str, Any], resources: dict[str, Any]) -> list[Request]:
    """PutScalingPolicy names its target by ServiceNamespace, ResourceId and ScalableDimension; the
    template may name it by ScalingTargetId instead: a Ref to a ScalableTarget (its properties), or the
    target's id, ``ResourceId|ScalableDimension|ServiceNamespace``."""
    target = props.get("ScalingTargetId")
    if target is None:
        return requests
    ids = ("ResourceId", "ScalableDimension", "ServiceNamespace")
    known: dict[str, Any] = {}
    where = "ScalingTargetId"
    if isinstance(target, Unknown) and target.source.startswith("Ref "):
        name = target.source[4:]
        resource = resources.get(name, {})
        if resource.get("Type") == "AWS::ApplicationAutoScaling::ScalableTarget":
            known = {k: v for k, v in resolve(resource.get("Properties", {})).items() if k in ids}
            where = f"ScalingTargetId -> {name}"
    elif isinstance(target, str) and target.count("|") == 2:
        known = dict(zip(ids, target.split("|"), strict=True))
    params: dict[str, Any] = {k: known.get(k, Unknown(f"the {k} of the policy's scalable target")) for k in ids}
    (request,) = requests
    origin = {k: f"{where}.{k}" for k in ids if k not in request.params}  # the policy's own win
    return [Request(request.service, request.operation, {**params, **request.params}, origin)]


def _scalable_target(requests: list[Request], props: dict[str, Any], resources: dict[str, Any]) -> list[Request]:
    """RegisterScalableTarget takes Tags as a map, the template as a list of Key/Value pairs; each of the
    template's ScheduledActions is a PutScheduledAction call on the target."""
    (request,) = requests
    params = dict(request.params)
    tags = params.get("Tags")
    origin: dict[str, str] = {}
    if isinstance(tags, list):
        params["Tags"] = {t.get("Key"): t.get("Value") for t in tags if isinstance(t, dict)}
        for index, tag in enumerate(tags):
            if isinstance(tag, dict):
                origin[f"Tags (key: {tag.get('Key')})"] = f"Tags[{index}].Key"
                origin[f"Tags.{tag.get('Key')}"] = f"Tags[{index}].Value"
    result = [Request(request.service, request.operation, params, origin)]
    actions = props.get("ScheduledActions")
    ids: dict[str, Any] = {k: params[k] for k in ("ServiceNamespace", "ResourceId", "ScalableDimension") if k in params}
    for index, action in enumerate(actions if isinstance(actions, list) else []):
        if isinstance(action, dict):
            origin = {k: f"ScheduledActions[{index}].{k}" for k in action}
            result.append(Request(request.service, "PutScheduledAction", {**ids, **action}, origin))
    return result


def _package_group_policy(requests: list[Request], props: dict[str, Any], resources: dict[str, Any]) -> list[Request]:
    """ModelPackageGroupPolicy is a PutModelPackageGroupPolicy call with the policy as a JSON string."""
    policy = props.get("ModelPackageGroupPolicy")
    if policy is None:
        return requests
    params = {
        "ModelPackageGroupName": props.get("ModelPackageGroupName", Unknown("the group's name")),
        "ResourcePolicy": policy if isinstance(policy, str | Unknown) else json_text(policy),
    }
    origin = {"ResourcePolicy": "ModelPackageGroupPolicy"}
    return [*requests, Request(requests[0].service, "PutModelPackageGroupPolicy", params, origin)]


def _shared_group(requests: list[Request], props: dict[str, Any], resources: dict[str, Any]) -> list[Request]:
    """The library's model package group: the handler sends ``Request`` as CreateModelPackageGroup (or
    adopts the group of that name), then ``ResourcePolicy`` as PutModelPackageGroupPolicy's JSON text."""
    request, policy = props.get("Request"), props.get("ResourcePolicy")
    if not isinstance(request, dict):
        return requests
    found = [Request("sagemaker", "CreateModelPackageGroup", request, {k: f"Request.{k}" for k in request})]
    if policy is not None:
        params = {
            "ModelPackageGroupName": request.get("ModelPackageGroupName", Unknown("the group's name")),
            "ResourcePolicy": policy if isinstance(policy, str | Unknown) else json_text(policy),
        }
        origin = {"ModelPackageGroupName": "Request.ModelPackageGroupName", "ResourcePolicy": "ResourcePolicy"}
        found.append(Request("sagemaker", "PutModelPackageGroupPolicy", params, origin))
    return found


JOB_CALLS = {"RecommendationJob": "CreateAIRecommendationJob", "BenchmarkJob": "CreateAIBenchmarkJob"}


def _job_request(requests: list[Request], props: dict[str, Any], resources: dict[str, Any]) -> list[Request]:
    """The library's AI-job custom resources: the handler sends ``Request`` as the create call of
    ``Kind`` (after restoring the types CloudFormation turns into strings)."""
    call, request = JOB_CALLS.get(props.get("Kind", "")), props.get("Request")
    if call is None or not isinstance(request, dict):
        return requests
    return [Request("sagemaker", call, request, {k: f"Request.{k}" for k in request})]


GENERATED_NAME = "a name CloudFormation generates (and later calls use the physical name)"
MAPPINGS: dict[str, ApiMapping] = {
    "AWS::SageMaker::Model": ApiMapping("sagemaker", ("CreateModel",), {"ModelName": GENERATED_NAME}),
    "AWS::SageMaker::EndpointConfig": ApiMapping(
        "sagemaker", ("CreateEndpointConfig",), {"EndpointConfigName": GENERATED_NAME}
    ),
    # Create takes the name, the configuration, the deployment policy and the tags; an update also the
    # Retain* and Exclude* properties, and no tags (CloudFormation tags through AddTags/DeleteTags).
    "AWS::SageMaker::Endpoint": ApiMapping(
        "sagemaker", ("CreateEndpoint", "UpdateEndpoint"), {"EndpointName": GENERATED_NAME}
    ),
    # DeploymentConfig reaches only UpdateInferenceComponent, which names no endpoint or variant.
    "AWS::SageMaker::InferenceComponent": ApiMapping(
        "sagemaker",
        ("CreateInferenceComponent", "UpdateInferenceComponent"),
        {"InferenceComponentName": GENERATED_NAME},
        cfn_only={"EndpointArn": "no member of either call, which name the endpoint by EndpointName"},
    ),
    "AWS::SageMaker::AIWorkloadConfig": ApiMapping("sagemaker", ("CreateAIWorkloadConfig",)),
    "AWS::SageMaker::ModelPackageGroup": ApiMapping(
        "sagemaker",
        ("CreateModelPackageGroup",),
        cfn_only={"ModelPackageGroupPolicy": "a PutModelPackageGroupPolicy call (ResourcePolicy, as JSON text)"},
        adapt=_package_group_policy,
    ),
    "AWS::ApplicationAutoScaling::ScalableTarget": ApiMapping(
        "application-autoscaling",
        ("RegisterScalableTarget",),
        cfn_only={"ScheduledActions": "a PutScheduledAction call each, on the target's ids"},
        adapt=_scalable_target,
    ),
    "AWS::ApplicationAutoScaling::ScalingPolicy": ApiMapping(
        "application-autoscaling",
        ("PutScalingPolicy",),
        cfn_only={"ScalingTargetId": "the target's ResourceId, ScalableDimension and ServiceNamespace"},
        adapt=_target_ids,
    ),
    "AWS::CloudWatch::Alarm": ApiMapping("cloudwatch", ("PutMetricAlarm",), {"AlarmName": GENERATED_NAME}),
    "Custom::ModelPackageGroup": ApiMapping(
        "sagemaker",
        (),
        cfn_only={
            "ServiceToken": "the provider's function",
            "Kind": "which resource of the provider this is",
            "Request": "the CreateModelPackageGroup request",
            "ResourcePolicy": "a PutModelPackageGroupPolicy call (ResourcePolicy, as JSON text)",
        },
        adapt=_shared_group,
    ),
    **{
        kind: ApiMapping(
            "sagemaker",
            (),
            cfn_only={
                "ServiceToken": "the provider's function",
                "Kind": "which create call Request is",
                "Request": "the create call's request",
                "Wait": "the deployment waiter's settings",
                "RemovalPolicy": "whether the resource's delete deletes a completed job",
            },
            adapt=_job_request,
        )
        for kind in ("Custom::AIRecommendationJob", "Custom::AIBenchmarkJob")
    },
}


def requests_of(resource: dict[str, Any], resources: dict[str, Any]) -> tuple[list[Request], list[str]]:
    """The API requests CloudFormation makes for ``resource``, and its properties that no request takes."""
    mapping = MAPPINGS[resource["Type"]]
    props = resolve(resource.get("Properties", {}))
    if not isinstance(props, dict):
        return [], []
    requests, taken = [], set(mapping.cfn_only)
    for call in mapping.calls:
        shape = operation(mapping.service, call).input_shape
        params = {k: v for k, v in props.items() if k in shape.members}
        taken.update(params)
        for member in shape.required_members:
            if member not in params and member in mapping.generated:
                params[member] = Unknown(mapping.generated[member])
        requests.append(Request(mapping.service, call, params))
    if mapping.adapt is not None:
        requests = mapping.adapt(requests, props, resources)
    return requests, sorted(set(props) - taken)


STATS = {"templates": 0, "requests": 0, "seconds": 0.0}
"""What the validation cost this run (the suite prints it at the end)."""


def validate_template(template: dict[str, Any]) -> list[Finding]:
    """Every fault the API models find in the template's resources of the types in ``MAPPINGS``."""
    started = time.perf_counter()
    try:
        return _validate_template(template)
    finally:
        STATS["templates"] += 1
        STATS["seconds"] += time.perf_counter() - started


def _validate_template(template: dict[str, Any]) -> list[Finding]:
    resources = template.get("Resources", {})
    findings = []
    for logical_id, resource in resources.items():
        kind = resource.get("Type")
        if kind not in MAPPINGS:
            continue
        requests, unknown = requests_of(resource, resources)
        label = "/".join(f"{MAPPINGS[kind].service}:{r}" for r in MAPPINGS[kind].calls) or "its calls"
        for name in unknown:
            detail = f"no member of {label}, and no documented CloudFormation-only property"
            findings.append(
                Finding(logical_id, kind, label, name, resource["Properties"][name], "unknown member", detail)
            )
        for request in requests:
            STATS["requests"] += 1
            shape = operation(request.service, request.operation).input_shape
            for path, value, rule, detail in RequestValidator().check(request.params, shape):
                findings.append(
                    Finding(
                        logical_id,
                        kind,
                        f"{request.service}:{request.operation}",
                        _origin(path, request.origin),
                        value,
                        rule,
                        detail,
                    )
                )
    return findings


def _origin(path: str, origin: Mapping[str, str]) -> str:
    """The template path of the request member at ``path`` (the longest ``origin`` prefix it starts with)."""
    for prefix in sorted(origin, key=len, reverse=True):
        if path == prefix or path.startswith((prefix + ".", prefix + "[", prefix + " ")):
            return origin[prefix] + path[len(prefix) :]
    return path or "(request)"
