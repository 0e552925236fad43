"""The per-stack machinery behind every AI job resource: one custom-resource provider, one waiter.

``AiJobsProvider.of(scope)`` finds or creates it at the stack root, so a stack with ten jobs and
resolvers still has one set of functions. Each construct it serves grants the shared role exactly the
actions on exactly its own ARNs. What the construct's Delete needs is in a policy of the construct's own,
which its resource waits for: created before the resource and deleted after it, so the Delete is allowed
when the construct leaves the stack, or when a failed update that added it rolls back (by then the role's
own policy no longer holds the construct's statements). The rest is in the role's own policy, which CDK
splits into managed policies past IAM's 10,240 characters of inline policies per role.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsii
from aws_cdk import ArnFormat, Duration, Names, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from aws_cdk import custom_resources as cr

from constructs import Construct, IValidation

from .._core.budget import watch
from .._core.policy_size import ROLE_INLINE_LIMIT, pseudo_lengths, resolved_length
from .._core.roles import depend_on_policy
from .._core.validation import unresolved
from ..scanners import INLINE_POLICY_WAIVER, NagFinding, Waiver, acknowledge, acknowledge_wildcards, waive
from .asset import handler_asset

PROVIDER_ID = "CdkGenAiInferenceAiJobs"
GRANTS_ID = "ProviderGrants"
"""The id of the policy under each construct the provider serves: what the provider's role may do for it."""
RUNTIME = lambda_.Runtime.PYTHON_3_14
MAX_WAIT = Duration.hours(12)
"""CloudFormation wait conditions time out after at most 43,200 s."""
WAITER_MARGIN_SECONDS = 60
"""What the waiter leaves between its last poll and the wait condition's time-out, beside one poll
interval, so that the job's status explains a job that outlives the bound (``job_waiter.start_waiter``)."""

FUNCTION_WAIVERS = (
    Waiver(
        "The functions run once per CloudFormation event or waiter poll, a handful at a time. Reserved "
        "concurrency would come out of the account's unreserved pool, and deploying fails in accounts "
        "that are at the minimum of 10.",
        nag=(NagFinding.LAMBDA_WITHOUT_RESERVED_CONCURRENCY,),
        checkov=("CKV_AWS_115",),
    ),
    Waiver(
        "CloudFormation, the provider framework and the waiter state machine invoke these functions and "
        "report every failure on the stack's events; a dead-letter queue would hold events nobody replays.",
        nag=(NagFinding.LAMBDA_WITHOUT_DLQ,),
        checkov=("CKV_AWS_116",),
    ),
    Waiver(
        "The functions call only AWS service endpoints (SageMaker, S3, Lambda, Step Functions and CloudFormation's "
        "response URL) and reach nothing inside a VPC; one would add NAT or interface endpoints and nothing else.",
        nag=(NagFinding.LAMBDA_OUTSIDE_VPC,),
        checkov=("CKV_AWS_117",),
    ),
    Waiver(
        "Custom-resource plumbing, not a request path: each invocation is one CloudFormation event or waiter "
        "poll that makes a few AWS API calls and logs its request type or the job's status to the "
        "provider's log group, where Lambda also logs each invocation's duration and errors.",
        nag=(NagFinding.LAMBDA_WITHOUT_TRACING,),
    ),
)
FRAMEWORK_WAIVERS = (
    Waiver(
        "aws-cdk's provider framework creates its functions with Lambda's default memory and offers no "
        "setting for it; they only relay events between CloudFormation and the handlers, which set theirs.",
        nag=(NagFinding.LAMBDA_DEFAULT_MEMORY,),
    ),
    Waiver(
        "aws-cdk's provider framework picks its own Node.js runtime; our handlers run the latest Python.",
        nag=(NagFinding.LAMBDA_RUNTIME_NOT_LATEST,),
    ),
    Waiver(
        "aws-cdk's provider framework can log its retry loop only with logs:CreateLogStream and "
        "logs:PutLogEvents on every log group; the handlers log each call to their own log group instead.",
        nag=(NagFinding.STATE_MACHINE_WITHOUT_ALL_LOGS,),
    ),
    Waiver(
        "aws-cdk's provider framework offers no X-Ray tracing for its retry state machine; "
        "the handlers it invokes log every call.",
        nag=(NagFinding.STATE_MACHINE_WITHOUT_XRAY,),
    ),
)
FRAMEWORK_VARIABLES_WAIVER = Waiver(
    "The variables are the ARNs of the provider framework's own functions and state machine, no secrets; "
    "Lambda encrypts them at rest with its AWS managed key.",
    checkov=("CKV_AWS_173",),
)
LOG_WAIVER = Waiver(
    "CloudWatch Logs encrypts the group at rest. It holds the names, statuses and failure reasons of the "
    "stack's AI jobs, never model data, prompts or credentials (the waiter logs without execution data).",
    nag=(NagFinding.LOG_GROUP_WITHOUT_KMS_KEY,),
    checkov=("CKV_AWS_158",),
)


class AiJobsProvider(Construct):
    """The shared custom-resource provider and deployment waiter of one stack."""

    @staticmethod
    def of(scope: Construct) -> AiJobsProvider:
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(PROVIDER_ID)
        return existing if isinstance(existing, AiJobsProvider) else AiJobsProvider(stack, PROVIDER_ID)

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        watch(self)
        self._grants: dict[Construct, iam.Policy] = {}
        self._jobs: dict[str, Construct] = {}
        code = lambda_.Code.from_asset(str(handler_asset()), exclude=["**/__pycache__", "**/*.pyc"])
        self.role = iam.Role(
            self,
            "HandlerRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Manages SageMaker AI jobs for CloudFormation (cdk-genai-inference)",
        )
        self._log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.THREE_MONTHS, removal_policy=RemovalPolicy.DESTROY
        )
        self._log_group.grant_write(self.role)
        self.on_event = self._function("OnEvent", "ai_jobs_handler.on_event", code)
        self.is_complete = self._function("IsComplete", "ai_jobs_handler.is_complete", code)
        self.poll = self._function("Poll", "ai_jobs_handler.poll", code)
        self.provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=self.on_event,
            is_complete_handler=self.is_complete,
            query_interval=Duration.seconds(30),
            total_timeout=Duration.hours(1),
            # Its logging role would need logs:CreateLogStream and logs:PutLogEvents on every log group.
            disable_waiter_state_machine_logging=True,
        )
        # Named and referenced by ARN, not GetAtt: the waiter invokes a function that runs as the role
        # that starts the waiter, and a reference would close a cycle.
        self.waiter_name = Names.unique_resource_name(self, max_length=80, separator="-")
        self.waiter_arn = Stack.of(self).format_arn(
            service="states",
            resource="stateMachine",
            resource_name=self.waiter_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.waiter = self._waiter()
        self.grant(["states:StartExecution"], [self.waiter_arn])
        self._acknowledge()
        self.node.add_validation(_InlinePolicySize(self))

    @property
    def service_token(self) -> str:
        return self.provider.service_token

    def grant(self, actions: Sequence[str], resources: Sequence[str], conditions: dict[str, Any] | None = None) -> None:
        """Allow the handlers ``actions`` on ``resources`` (a construct's own ARNs), in the role's own policy."""
        statement = iam.PolicyStatement(actions=list(actions), resources=list(resources), conditions=conditions)
        self.role.add_to_principal_policy(statement)

    def grant_pass_role(self, role: iam.IRole) -> None:
        """Allow the handlers to hand ``role`` to SageMaker, and to nothing else."""
        self.grant(
            ["iam:PassRole"], [role.role_arn], {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
        )

    def claim_job(self, client: Construct, name: str) -> Construct:
        """The construct of the stack that names the job ``name``: the first to claim it."""
        return self._jobs.setdefault(name, client)

    def grant_through_delete(self, client: Construct, actions: Sequence[str], resources: Sequence[str]) -> None:
        """Allow the handlers ``actions`` on ``resources`` until ``client``'s resource is deleted: what its
        Delete needs (stop and delete a job, unpublish a gate's parameters), in ``client``'s own policy."""
        statement = iam.PolicyStatement(actions=list(actions), resources=list(resources))
        self.grants_of(client).add_statements(statement)

    def grants_of(self, client: Construct) -> iam.Policy:
        """``client``'s policy on the provider's role (created on first use, under ``client``)."""
        policy = self._grants.get(client)
        if policy is None:
            policy = iam.Policy(client, GRANTS_ID, roles=[self.role])
            INLINE_POLICY_WAIVER.apply(policy)
            self._grants[client] = policy
        return policy

    def serve(self, client: Construct, resource: Construct) -> None:
        """Make ``client``'s custom ``resource`` wait for the role's policies and for ``client``'s own (granted
        before this), so that it is created after them and deleted before them."""
        depend_on_policy(resource, self.role)
        policy = self._grants.get(client)
        if policy is not None:
            resource.node.add_dependency(policy)

    def inline_policies(self) -> list[iam.Policy]:
        """The role's inline policies: its own (what CDK keeps inline of it), then each construct's."""
        own = self.role.node.try_find_child("DefaultPolicy")
        return [*([own] if isinstance(own, iam.Policy) else []), *self._grants.values()]

    def _function(self, id: str, handler: str, code: lambda_.Code) -> lambda_.Function:
        return lambda_.Function(
            self,
            id,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=handler,
            code=code,
            role=self.role,
            timeout=Duration.minutes(10),  # reading a benchmark's output.tar.gz streams up to hundreds of MB
            memory_size=512,
            log_group=self._log_group,
            description="cdk-genai-inference: SageMaker AI jobs for CloudFormation",
        )

    def _waiter(self) -> sfn.StateMachine:
        """Polls a job until it ends or its bound passes, then signals the wait condition."""
        poll = tasks.LambdaInvoke(
            self,
            "PollJob",
            lambda_function=self.poll,
            payload_response_only=True,
            retry_on_service_exceptions=True,
        )
        # A poll that keeps failing (permissions, a broken handle) must not leave the deployment
        # waiting for hours: retry, then signal the failure through the same function.
        poll.add_retry(errors=["States.ALL"], interval=Duration.seconds(30), max_attempts=3, backoff_rate=2)
        report = tasks.LambdaInvoke(
            self, "SignalWaiterFailure", lambda_function=self.poll, payload_response_only=True
        ).next(sfn.Fail(self, "WaiterFailed", error="WaiterFailed", cause="polling failed; the deployment was told"))
        poll.add_catch(report, errors=["States.ALL"], result_path="$.Error")
        wait = sfn.Wait(self, "WaitBeforeNextPoll", time=sfn.WaitTime.seconds_path("$.PollSeconds"))
        done = sfn.Succeed(self, "Signalled")
        definition = poll.next(
            sfn.Choice(self, "JobDone")
            .when(sfn.Condition.boolean_equals("$.Done", True), done)
            .otherwise(wait.next(poll))
        )
        return sfn.StateMachine(
            self,
            "Waiter",
            state_machine_name=self.waiter_name,
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            timeout=MAX_WAIT.plus(Duration.hours(1)),
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self._log_group, level=sfn.LogLevel.ALL, include_execution_data=False),
        )

    def _acknowledge(self) -> None:
        function_type = lambda_.CfnFunction.CFN_RESOURCE_TYPE_NAME
        waive(self, *FUNCTION_WAIVERS, cloudformation_type=function_type)
        FRAMEWORK_VARIABLES_WAIVER.apply(self.provider, cloudformation_type=function_type)
        LOG_WAIVER.apply(self._log_group)
        INLINE_POLICY_WAIVER.apply(self)  # the handlers' role, and the roles of the framework and waiter
        acknowledge(
            self.provider,
            "AwsSolutions-IAM4",
            "aws-cdk's provider framework gives its functions AWSLambdaBasicExecutionRole (their own logs only).",
            policy="arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        )
        waive(self.provider, *FRAMEWORK_WAIVERS)
        functions = [c for c in self.node.find_all() if isinstance(c, lambda_.Function)]
        acknowledge_wildcards(
            self,
            [f"{fn.function_arn}:*" for fn in functions],
            "Generated by aws-cdk: invoking a function's versions and aliases (<function ARN>:*).",
        )
        acknowledge_wildcards(
            self,
            ["*"],
            "No resource ARNs exist for X-Ray trace writes, Step Functions' log delivery, or "
            "cloudwatch:PutMetricData (which a benchmark's results may use, limited to its namespace by a condition).",
        )


@jsii.implements(IValidation)
class _InlinePolicySize:
    """Fails the synth when the provider's role would hold more inline policies than IAM allows a role,
    which CloudFormation would find only when the deployment creates the last of them."""

    def __init__(self, provider: AiJobsProvider) -> None:
        self._provider = provider

    def validate(self) -> list[str]:
        stack = Stack.of(self._provider)
        known = [None if unresolved(v) else v for v in (stack.region, stack.account, stack.stack_name)]
        pseudo = pseudo_lengths(*known)
        own, *clients = stack.resolve([p.document for p in self._provider.inline_policies()])
        # CDK has moved what outgrew the role's own policy into managed policies by now (an aspect).
        total = resolved_length(own, pseudo) + sum(resolved_length(d, pseudo) for d in clients)
        if total <= ROLE_INLINE_LIMIT:
            return []
        return [
            f"the AI-jobs provider's role would hold up to {total} characters of inline policies, over IAM's "
            f"{ROLE_INLINE_LIMIT} per role: each job and gate of the stack keeps what its Delete needs in a policy of "
            f"its own ({len(clients)} here); put some of them in another stack"
        ]
