"""``AiJob``: what every AI job construct shares (its name, its checked request, its grants, its custom resource)."""

from __future__ import annotations

import enum
import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

import jsii
from aws_cdk import (
    Annotations,
    CfnDeletionPolicy,
    CfnResource,
    CfnWaitCondition,
    CfnWaitConditionHandle,
    CustomResource,
    Names,
    RemovalPolicy,
    Resource,
    Stack,
)
from aws_cdk import aws_iam as iam
from botocore.model import OperationModel
from botocore.validate import ParamValidator

from constructs import Construct, IDependable, IValidation

from .._core import service_model
from .._core.arns import sagemaker_arn
from .._core.roles import depend_on_policy
from .._core.validation import request_violations, unresolved
from ..errors import ValidationError
from ..scanners import acknowledge_wildcards
from .provider import AiJobsProvider
from .wait import JobWait
from .workload import IWorkloadConfig

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


def job_family(name: str) -> str:
    """``<stem>-??????????`` of a name ``job_name`` made: every job its construct may name (its stem and
    any definition hash). A changed definition names a new job, and CloudFormation deletes the old one
    only once the update is done, when the construct's policy (``ProviderGrants``) names the new job
    already: the handlers' grant must cover both, and so must the grant of a reader whose rollback reads
    the one before."""
    return _stem_family(_stem(name))


def _stem(name: str) -> str:
    """The stem of a name ``job_name`` made: its prefix, without the definition hash."""
    return name[: -HASH_LENGTH - 1]


def _stem_family(stem: str) -> str:
    return f"{stem}-{'?' * HASH_LENGTH}"


def imported_job_family(scope: Construct, kind: JobKind, name: str, prefix: str | None) -> str | None:
    """The family of a job imported by ``name``: ``<prefix>-??????????`` when its ``job_name_prefix`` is
    given (``name`` must then be the prefix and a definition hash), else the family of this app's job
    of that name; None for any other name, whose job alone is granted."""
    if prefix is not None:
        check_job_naming(prefix, None)
        if not unresolved(name) and not re.fullmatch(rf"{re.escape(prefix)}-[0-9a-f]{{{HASH_LENGTH}}}", name):
            raise ValidationError(
                f"job_name {name!r} is not job_name_prefix {prefix!r} followed by '-' and a {HASH_LENGTH}-character "
                "definition hash; give the prefix only for a job a construct of this library named"
            )
        return _stem_family(prefix)
    if unresolved(name):
        return None
    for construct in scope.node.root.node.find_all():
        if isinstance(construct, AiJob) and construct.kind is kind and construct.job_name == name:
            return construct.job_family
    if re.fullmatch(rf"[a-z0-9-]+-[0-9a-f]{{{HASH_LENGTH}}}", name):
        Annotations.of(scope).add_warning_v2(
            "cdk-genai-inference:import-family-unknown",
            f"job_name {name!r} looks like a name a {kind.noun} construct makes (<stem>-<definition hash>), but no "
            "job of this app made it (an import must come after the job it names): its readers may read this job "
            "alone, so their rollback to an earlier job of the stem would be denied; pass job_name_prefix if a "
            "construct named it, or acknowledge this warning",
        )
    return None


JOB_REMOVAL_POLICIES = (RemovalPolicy.RETAIN, RemovalPolicy.DESTROY)


def check_removal_policy(policy: RemovalPolicy | None) -> None:
    """A job's removal policy is ``RETAIN`` or ``DESTROY``: a job is no stateful resource CloudFormation snapshots."""
    if policy is not None and policy not in JOB_REMOVAL_POLICIES:
        raise ValidationError(f"removal_policy must be RemovalPolicy.RETAIN or RemovalPolicy.DESTROY, got {policy}")


def check_job_naming(prefix: str | None, run_token: str | None) -> None:
    """The prefix and the run token name the job, so both must be known at synth: a deploy-time value
    would be hashed or mangled into a name that never follows it."""
    for argument, value in (("job_name_prefix", prefix), ("run_token", run_token)):
        if value is not None and unresolved(value):
            raise ValidationError(
                f"{argument} must be known at synth (it names the job); pass it with -c or an environment "
                "variable, not a CloudFormation parameter"
            )
    limit = JOB_NAME_MAX - HASH_LENGTH - 1
    if prefix is not None and (not re.fullmatch(r"[a-z0-9](-*[a-z0-9])*", prefix) or len(prefix) > limit):
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


JOB_ROLE_ARN = "arn:aws:iam::111122223333:role/the-role-the-job-runs-as"
"""The ``RoleArn`` a job's request is written with. ``check_request`` checks the given role's ARN in its
place, or this one (a valid ARN) for a role the job defines after the check; ``AiJob`` names and starts
the job with its ``role``'s ARN there, so the placeholder never reaches a template."""


def check_request(kind: JobKind, request: dict[str, Any], role: iam.IRole | None) -> None:
    """Check a job's request, with ``role``'s ARN as its ``RoleArn``, before its construct defines
    anything (a rejected job leaves nothing in the tree); the job's name, generated from the request, is
    valid by construction."""
    named = {
        f"{kind.noun}Name": "name-generated-at-synth",
        **_with_role(request, role.role_arn if role else JOB_ROLE_ARN),
    }
    validate_request(f"Create{kind.noun}", named)


def _with_role(request: dict[str, Any], role_arn: str) -> dict[str, Any]:
    """The request with ``role_arn`` as its ``RoleArn``, in the place the request gives the key."""
    return {k: role_arn if k == "RoleArn" else v for k, v in request.items()}


def _placeholders(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _placeholders(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholders(v) for v in value]
    if isinstance(value, str) and unresolved(value):
        return "value-resolved-at-deploy"  # 24 characters: within every length range of these shapes
    return value


class JobKind(enum.Enum):
    """The kinds of AI job: the API's noun, the ARN's resource type and the handler's ``Kind``."""

    RECOMMENDATION = ("AIRecommendationJob", "ai-recommendation-job", "RecommendationJob")
    BENCHMARK = ("AIBenchmarkJob", "ai-benchmark-job", "BenchmarkJob")

    def __init__(self, noun: str, arn_resource: str, handler_kind: str) -> None:
        self.noun = noun
        self.arn_resource = arn_resource
        self.handler_kind = handler_kind

    @property
    def lifecycle_actions(self) -> list[str]:
        """What the handlers do with a job of this kind: start, watch, stop and delete it, and tag it."""
        verbs = ("Create", "Describe", "Stop", "Delete")
        return [*(f"sagemaker:{verb}{self.noun}" for verb in verbs), "sagemaker:AddTags", "sagemaker:DeleteTags"]

    @property
    def stack_actions(self) -> list[str]:
        """What a job's Delete reads of its own stack: whether another of its resources names the job (a
        construct moved with its ``job_name_prefix``), and for a benchmark whether the stack rolls back."""
        reads_status = ["cloudformation:DescribeStacks"] if self is JobKind.BENCHMARK else []
        return [*reads_status, "cloudformation:ListStackResources"]


class AiJob(Resource):
    """What every AI job construct shares: a job named after its definition, its request checked
    against the API model, the stack's jobs provider granted its lifecycle, the job's targets and its
    role, and the custom resource (with a wait condition when the deployment waits).

    A subclass checks its arguments and its request (``check_request``; the request's ``RoleArn`` is
    ``JOB_ROLE_ARN``), calls ``super().__init__``, sets its ``role``, then calls ``_name`` and ``_start``.
    """

    def __init__(self, scope: Construct, id: str, *, kind: JobKind, workload_config: IWorkloadConfig) -> None:
        super().__init__(scope, id)
        self.kind = kind
        self.workload_config = workload_config
        self.role: iam.IRole
        self.job_name: str
        self.job_arn: str
        self.job_family: str | None = None
        """``<stem>-??????????``: every job this construct may name (one per definition)."""
        self.resource: CustomResource
        self.waits_in_deployment = False
        """Whether this deployment holds until the job completes."""
        self.completion: IDependable | None = None
        """What a reader of the job's results in this deployment waits for (None: the deployment does not wait)."""

    def _name(self, request: dict[str, Any], prefix: str | None, run_token: str | None, **definition: Any) -> str:
        """The job's name, from everything in the request but its tags (they change in place)."""
        identity = {k: v for k, v in _with_role(request, self.role.role_arn).items() if k != "Tags"}
        return job_name(self, prefix, {**identity, "RunToken": run_token, **definition})

    def _start(
        self,
        request: dict[str, Any],
        *,
        name: str,
        wait: JobWait,
        targets: Sequence[str] = (),
        after: Sequence[object] = (),
    ) -> None:
        """Grant the provider what the job's lifecycle needs (``targets``: the further resources CreateX
        names) and define the custom resource for the named request (checked with ``check_request``),
        after ``after``."""
        kind = self.kind
        request = {f"{kind.noun}Name": name, **_with_role(request, self.role.role_arn)}
        self.job_name = name
        self.job_arn = sagemaker_arn(self, kind.arn_resource, name)
        self.job_family = job_family(name)
        provider = AiJobsProvider.of(self)
        first = provider.claim_job(self, name)
        if first is not self:  # both would drive one job: its wait, its results, its gate
            raise ValidationError(
                f"job_name_prefix {_stem(name)!r} of {self.node.path} names job {name}, which "
                f"{first.node.path} names already (the same definition and role): give one of them another "
                "job_name_prefix or run_token"
            )
        family = sagemaker_arn(self, kind.arn_resource, self.job_family)
        provider.grant_through_delete(self, kind.lifecycle_actions, [family])
        provider.grant_through_delete(self, kind.stack_actions, [Stack.of(self).stack_id])
        acknowledge_wildcards(
            provider.grants_of(self),
            [family],
            "The jobs this construct names: its stem and a definition hash. A changed definition names a new job, "
            "and CloudFormation deletes the old one after the update, when this policy already names the new one.",
        )
        workload_arn = sagemaker_arn(self, "ai-workload-config", self.workload_config.workload_config_name)
        provider.grant([f"sagemaker:Create{kind.noun}"], [workload_arn, *targets])
        provider.grant_pass_role(self.role)
        self.resource, condition = _job_resource(self, provider, request=request, name=name, wait=wait)
        self.waits_in_deployment = condition is not None
        self.completion = condition
        for dependency in (*after, self.workload_config):
            if isinstance(dependency, Construct):
                self.resource.node.add_dependency(dependency)
        depend_on_policy(self.resource, self.role)
        self.node.add_validation(_NotRetained(self))

    def apply_removal_policy(self, policy: RemovalPolicy) -> None:
        """What CloudFormation's delete of the job's resource (a replacement's cleanup, the stack's
        deletion) does with a job that completed: ``RETAIN`` keeps it, so that another stack's reader of
        its results, or that reader's rollback, still finds it; ``DESTROY`` deletes it. A job that has not
        completed is stopped and deleted either way. Job records cost nothing. Default: ``RETAIN``."""
        check_removal_policy(policy)
        cfn = self.resource.node.default_child
        assert isinstance(cfn, CfnResource)
        if policy is RemovalPolicy.DESTROY:
            cfn.add_property_override("RemovalPolicy", "destroy")
        else:
            cfn.add_property_deletion_override("RemovalPolicy")


@jsii.implements(IValidation)
class _NotRetained:
    """A warning at synth when the job's resource is retained, as ``RemovalPolicies.of(scope).retain()``
    does to every resource after construction (an aspect): CloudFormation then sends no Delete, and a
    running job it replaces or deletes is never stopped."""

    def __init__(self, job: AiJob) -> None:
        self._job = job

    def validate(self) -> list[str]:
        cfn = self._job.resource.node.default_child
        assert isinstance(cfn, CfnResource)
        retained = (CfnDeletionPolicy.RETAIN, CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE)
        if {cfn.cfn_options.deletion_policy, cfn.cfn_options.update_replace_policy} & set(retained):
            Annotations.of(self._job).add_warning_v2(
                "cdk-genai-inference:job-retained",
                f"the resource of {self._job.kind.noun} {self._job.job_name} is retained (DeletionPolicy or "
                "UpdateReplacePolicy Retain or RetainExceptOnCreate): CloudFormation sends it no Delete, so a job "
                "it replaces or deletes while the job runs is never stopped and bills on. Leave the job resources out "
                '(RemovalPolicies.of(scope).retain(exclude_resource_types=["Custom::AIRecommendationJob", '
                '"Custom::AIBenchmarkJob"])); the job keeps what completed by itself (removal_policy)',
            )
        return []


def _job_resource(
    job: AiJob, provider: AiJobsProvider, *, request: dict[str, Any], name: str, wait: JobWait
) -> tuple[CustomResource, CfnWaitCondition | None]:
    """The job's custom resource, and its wait condition when the deployment waits."""
    properties: dict[str, Any] = {"Kind": job.kind.handler_kind, "Request": request}
    timeout = None if wait.timeout is None else int(wait.timeout.to_seconds())
    suffix = f"{name[-HASH_LENGTH:]}{timeout}"  # per job and bound: a wait condition is signalled once, never updated
    handle = None
    if timeout is not None:
        handle = CfnWaitConditionHandle(job, f"WaitHandle{suffix}")
        properties["Wait"] = {
            "StateMachineArn": provider.waiter_arn,
            "HandleUrl": handle.ref,
            "TimeoutSeconds": timeout,
            "PollSeconds": int(wait.poll_interval.to_seconds()),
        }
    resource = CustomResource(
        job,
        "Resource",
        service_token=provider.service_token,
        resource_type=f"Custom::{job.kind.noun}",
        properties=properties,
    )
    provider.serve(job, resource)
    if handle is None:
        return resource, None
    resource.node.add_dependency(provider.waiter)  # the job starts the waiter by name
    condition = CfnWaitCondition(job, f"Completion{suffix}", handle=handle.ref, timeout=str(timeout), count=1)
    condition.node.add_dependency(resource)
    return resource, condition
