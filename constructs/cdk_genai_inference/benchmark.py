"""``BenchmarkJob`` and ``BenchmarkResults``: AIPerf benchmarks as part of a deployment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from aws_cdk import ArnFormat, CfnOutput, CustomResource, Duration, Resource, Stack, Token
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker

from constructs import Construct, IDependable

from ._ai_jobs import AiJobsProvider
from ._arns import sagemaker_arn
from ._asset import handler_module
from ._roles import depend_on_policy, grant_image_pull, sagemaker_execution_role
from ._scanners import acknowledge_wildcards
from ._validate import check_range, unresolved
from .endpoint import IInstancePoolEndpoint, InstancePoolEndpoint
from .errors import ValidationError
from .jobs import (
    JobWait,
    MlflowTracking,
    S3Location,
    check_job_name_prefix,
    grant_s3,
    job_name,
    job_resource,
    validate_request,
)
from .metrics import INVOCATION_NAMESPACE
from .workload import IWorkloadConfig

HEADLINE_FIGURES: tuple[str, ...] = tuple(handler_module("aiperf_results").FIGURES)
"""The figures a results resource exposes (latencies in ms, throughput per second, error rate a
fraction), as the results handler computes them; ``n/a`` when the run did not produce one."""


@dataclass(frozen=True)
class BenchmarkSla:
    """Thresholds a benchmark must meet; a breach fails (and rolls back) the deployment.

    Equality passes. A threshold on a metric the run did not produce (TTFT without streaming, say)
    fails with a message rather than passing silently.

    Args:
        request_latency_p50_ms: Default: - none
        request_latency_p90_ms: Default: - none
        request_latency_p99_ms: Default: - none
        time_to_first_token_p50_ms: Default: - none
        time_to_first_token_p90_ms: Default: - none
        inter_token_latency_p50_ms: Default: - none
        inter_token_latency_p90_ms: Default: - none
        min_output_tokens_per_second: Default: - none
        min_requests_per_second: Default: - none
        max_error_rate: Failed requests as a fraction, e.g. 0.01. Default: - none
    """

    request_latency_p50_ms: float | None = None
    request_latency_p90_ms: float | None = None
    request_latency_p99_ms: float | None = None
    time_to_first_token_p50_ms: float | None = None
    time_to_first_token_p90_ms: float | None = None
    inter_token_latency_p50_ms: float | None = None
    inter_token_latency_p90_ms: float | None = None
    min_output_tokens_per_second: float | None = None
    min_requests_per_second: float | None = None
    max_error_rate: float | None = None

    _FIGURES = {
        "request_latency_p50_ms": ("RequestLatencyP50", True),
        "request_latency_p90_ms": ("RequestLatencyP90", True),
        "request_latency_p99_ms": ("RequestLatencyP99", True),
        "time_to_first_token_p50_ms": ("TimeToFirstTokenP50", True),
        "time_to_first_token_p90_ms": ("TimeToFirstTokenP90", True),
        "inter_token_latency_p50_ms": ("InterTokenLatencyP50", True),
        "inter_token_latency_p90_ms": ("InterTokenLatencyP90", True),
        "min_output_tokens_per_second": ("OutputTokenThroughput", False),
        "min_requests_per_second": ("RequestThroughput", False),
        "max_error_rate": ("ErrorRate", True),
    }

    def validate(self, arg: str) -> None:
        for name in self._FIGURES:
            check_range(f"{arg}.{name}", getattr(self, name), 0, None)
        check_range(f"{arg}.max_error_rate", self.max_error_rate, 0, 1)

    def thresholds(self) -> list[dict[str, Any]]:
        """As the results handler reads them."""
        return [
            {"Metric": metric, "Limit": getattr(self, name), "AtMost": at_most}
            for name, (metric, at_most) in self._FIGURES.items()
            if getattr(self, name) is not None
        ]


@dataclass(frozen=True)
class CapacityMeasurement:
    """Derive the concurrency one instance sustains from a concurrency sweep or an SLA search.

    Args:
        sla: Picks the highest sweep level that meets it (an SLA search already answers).
            Default: - none (an SLA search is then required)
        instances: Instances the benchmarked endpoint ran; the result is divided by it. Default: 1
    """

    sla: BenchmarkSla | None = None
    instances: int = 1


@dataclass(frozen=True)
class ResultsPublishing:
    """Where results go besides the resource's attributes and the stack's outputs.

    Args:
        metric_namespace: Publish each figure as a CloudWatch metric (dimension ``Benchmark``).
            Default: - no metrics
        parameter_prefix: Write each figure to SSM Parameter Store under this path, e.g.
            ``/genai/benchmarks/nightly``. Default: - no parameters
    """

    metric_namespace: str | None = None
    parameter_prefix: str | None = None


@dataclass(frozen=True)
class BenchmarkNetwork:
    """Run the benchmark inside a VPC (to reach a VPC-only endpoint).

    Args:
        subnets: 1-16 subnets.
        security_groups: 1-5 security groups.
    """

    subnets: Sequence[ec2.ISubnet]
    security_groups: Sequence[ec2.ISecurityGroup]


@runtime_checkable
class IBenchmarkJob(Protocol):
    """An AI benchmark job, created by this stack or elsewhere."""

    @property
    def job_name(self) -> str: ...

    @property
    def job_arn(self) -> str: ...

    @property
    def output(self) -> S3Location: ...


class BenchmarkJob(Resource):
    """An AI benchmark job: NVIDIA AIPerf against an endpoint, results in S3.

    Runs after the endpoint is in service (it depends on it). The job is named after its definition,
    including the endpoint's configuration, so a changed endpoint is benchmarked again; ``run_token``
    forces a new run without any change (a pipeline can pass its execution id to benchmark every
    deploy). Delete stops a running job and deletes it; a job already gone is fine.

    With ``JobWait.in_deployment`` (the default, 2 hours) the deployment waits, then ``results``
    reads the output: its figures become attributes and stack outputs, and a breach of ``sla``
    fails the deployment (CloudFormation rolls the stack back, endpoint update included).

    Args:
        endpoint: The endpoint to benchmark; its inference component, if any, is listed for the job.
        workload_config: The traffic to send.
        output: Where the job writes ``output.tar.gz``.
        sla: Thresholds that gate the deployment. Default: - no gate
        capacity: Derive the concurrency one instance sustains. Default: - none
        publish: CloudWatch metrics and/or SSM parameters. Default: - none
        allow_failed_job: Report a job AIPerf's validity gate failed instead of failing the
            deployment (its figures are complete). Default: False
        network: Subnets and security groups for a VPC endpoint. Default: - no VPC
        mlflow: Stream results to SageMaker MLflow. Default: - none
        role: The job's execution role. Default: - a least-privilege role
        job_name_prefix: Stem of the job name. Default: - from the construct path
        run_token: Any value; a new one starts a new benchmark. Default: - none
        wait: Default: - wait up to 2 hours
        tags: Tags of the job. Default: - none
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint: IInstancePoolEndpoint,
        workload_config: IWorkloadConfig,
        output: S3Location,
        sla: BenchmarkSla | None = None,
        capacity: CapacityMeasurement | None = None,
        publish: ResultsPublishing | None = None,
        allow_failed_job: bool = False,
        network: BenchmarkNetwork | None = None,
        mlflow: MlflowTracking | None = None,
        role: iam.IRole | None = None,
        job_name_prefix: str | None = None,
        run_token: str | None = None,
        wait: JobWait | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        check_job_name_prefix(job_name_prefix)
        _check_results_options(sla, capacity, publish)
        if run_token is not None and unresolved(run_token):
            raise ValidationError(
                "run_token must be known at synth (it names the job); pass it with -c or an environment "
                "variable, not a CloudFormation parameter"
            )
        if capacity is not None and capacity.sla is None and not _searches(workload_config):
            raise ValidationError(
                "capacity without an sla needs a workload with sla_search (the search answers it); give "
                "capacity=CapacityMeasurement(sla=...) to pick from a concurrency sweep"
            )
        if network is not None and not (1 <= len(network.subnets) <= 16 and 1 <= len(network.security_groups) <= 5):
            raise ValidationError(
                f"network needs 1-16 subnets and 1-5 security groups, got {len(network.subnets)} and "
                f"{len(network.security_groups)}"
            )
        wait = wait or JobWait.in_deployment(Duration.hours(2))
        super().__init__(scope, id)
        self.role: iam.IRole = role or self._default_role(endpoint, workload_config, output, network, mlflow)
        target: dict[str, Any] = {"Identifier": endpoint.endpoint_name}
        if endpoint.inference_component_name:
            target["InferenceComponents"] = [{"Identifier": endpoint.inference_component_name}]
        request: dict[str, Any] = {
            "BenchmarkTarget": {"Endpoint": target},
            "OutputConfig": {"S3OutputLocation": output.uri, **({"MlflowConfig": mlflow.request()} if mlflow else {})},
            "AIWorkloadConfigIdentifier": workload_config.workload_config_name,
            "RoleArn": self.role.role_arn,
        }
        if network is not None:
            request["NetworkConfig"] = {
                "VpcConfig": {
                    "SecurityGroupIds": [g.security_group_id for g in network.security_groups],
                    "Subnets": [s.subnet_id for s in network.subnets],
                }
            }
        if tags:
            request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        identity = {k: v for k, v in request.items() if k != "Tags"}  # tags change in place
        definition = {**identity, "RunToken": run_token, "EndpointDefinition": _endpoint_definition(endpoint)}
        name = job_name(self, job_name_prefix, definition)
        request = {"AIBenchmarkJobName": name, **request}
        validate_request("CreateAIBenchmarkJob", request)

        self.job_name = name
        self.job_arn = sagemaker_arn(self, "ai-benchmark-job", name)
        self.output = output
        provider = AiJobsProvider.of(self)
        provider.grant(
            [
                "sagemaker:CreateAIBenchmarkJob",
                "sagemaker:DescribeAIBenchmarkJob",
                "sagemaker:StopAIBenchmarkJob",
                "sagemaker:DeleteAIBenchmarkJob",
                "sagemaker:AddTags",
                "sagemaker:DeleteTags",
            ],
            [self.job_arn],
        )
        provider.grant(
            ["sagemaker:CreateAIBenchmarkJob"],
            [sagemaker_arn(self, "ai-workload-config", workload_config.workload_config_name), endpoint.endpoint_arn],
        )
        provider.grant_pass_role(self.role)
        self.resource, self.completion = job_resource(
            self, kind="BenchmarkJob", resource_type="Custom::AIBenchmarkJob", request=request, name=name, wait=wait
        )
        if isinstance(endpoint, Construct):
            self.resource.node.add_dependency(endpoint)  # benchmark an endpoint in service
        if isinstance(workload_config, Construct):
            self.resource.node.add_dependency(workload_config)
        depend_on_policy(self.resource, self.role)

        self.results: BenchmarkResults | None = None
        if wait.timeout is not None:
            self.results = BenchmarkResults(
                self,
                "Results",
                job=self,
                sla=sla,
                capacity=capacity,
                publish=publish,
                allow_failed_job=allow_failed_job,
                metric_name=job_name_prefix or name.rsplit("-", 1)[0],
            )
        elif sla or capacity or publish:
            raise ValidationError(
                "sla, capacity and publish apply to results read in this deployment; with JobWait.none() "
                "read them in a later stage with BenchmarkResults(job=BenchmarkJob.from_job_name(...))"
            )

    @staticmethod
    def from_job_name(scope: Construct, id: str, job_name: str, *, output: S3Location) -> IBenchmarkJob:
        """A job created elsewhere (another stack or pipeline stage); ``output`` is its output location."""
        return _ImportedBenchmarkJob(scope, id, job_name, output)

    def _default_role(
        self,
        endpoint: IInstancePoolEndpoint,
        workload: IWorkloadConfig,
        output: S3Location,
        network: BenchmarkNetwork | None,
        mlflow: MlflowTracking | None,
    ) -> iam.Role:
        role = sagemaker_execution_role(
            self, "ExecutionRole", "Execution role of an AI benchmark job (cdk-genai-inference)"
        )
        output.grant_read_write(role)
        grant_image_pull(role)  # AIPerf runs as a training job under this role
        endpoint.grant_invoke(role)
        for uri in getattr(workload, "dataset_uris", []):
            grant_s3(role, uri, write=False)
        secrets = list(getattr(workload, "secret_arns", []))
        if secrets:
            role.add_to_policy(iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=secrets))
        if mlflow is not None:
            mlflow.grant(role)
        if network is not None:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=[
                        "ec2:CreateNetworkInterface",
                        "ec2:CreateNetworkInterfacePermission",
                        "ec2:DeleteNetworkInterface",
                        "ec2:DeleteNetworkInterfacePermission",
                        "ec2:DescribeNetworkInterfaces",
                        "ec2:DescribeVpcs",
                        "ec2:DescribeDhcpOptions",
                        "ec2:DescribeSubnets",
                        "ec2:DescribeSecurityGroups",
                    ],
                    resources=["*"],
                )
            )
            acknowledge_wildcards(
                role,
                ["*"],
                "The job's network interfaces are created in the given subnets at run time; EC2 grants "
                "these interface actions on no narrower resource known before then.",
            )
        return role


class _ImportedBenchmarkJob(Resource):
    def __init__(self, scope: Construct, id: str, name: str, output: S3Location) -> None:
        super().__init__(scope, id)
        self.job_name = name
        self.output = output
        self.job_arn = sagemaker_arn(scope, "ai-benchmark-job", name)


class BenchmarkResults(Resource):
    """The results of a finished benchmark job: its headline figures as attributes and stack outputs,
    an SLA gate, a measured capacity, and optional CloudWatch metrics or SSM parameters.

    The handler lists the job's output location, finds ``output.tar.gz`` and reads
    ``profile_export_aiperf.json`` (and ``search_history.json`` or per-level ``concurrency_N/``
    folders). For a sweep the headline figures are the highest level's.

    Args:
        job: A ``BenchmarkJob`` (read after it finished) or one imported by name.
        sla: Thresholds; a breach fails the deployment with each metric, value and threshold.
            Default: - no gate
        capacity: Derive ``max_concurrency_per_instance``. Default: - none
        publish: CloudWatch metrics and/or SSM parameters. Default: - none
        allow_failed_job: Accept a job AIPerf's validity gate failed. Default: False
        outputs: Add the figures, the job's status and its failure reason to the stack's outputs.
            Default: True
        metric_name: Value of the ``Benchmark`` dimension of published metrics; keep it stable
            across runs so alarms and dashboards follow it. Default: - the job name without its hash
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        job: IBenchmarkJob,
        sla: BenchmarkSla | None = None,
        capacity: CapacityMeasurement | None = None,
        publish: ResultsPublishing | None = None,
        allow_failed_job: bool = False,
        outputs: bool = True,
        metric_name: str | None = None,
    ) -> None:
        _check_results_options(sla, capacity, publish)
        super().__init__(scope, id)
        provider = AiJobsProvider.of(self)
        provider.grant(["sagemaker:DescribeAIBenchmarkJob"], [job.job_arn])
        job.output.grant_read(provider.role)
        properties: dict[str, Any] = {
            "Kind": "BenchmarkResults",
            "JobName": job.job_name,
            "Thresholds": sla.thresholds() if sla else [],
            "AllowFailedJob": allow_failed_job,
        }
        if capacity is not None:
            properties["Capacity"] = {
                "Thresholds": capacity.sla.thresholds() if capacity.sla else [],
                "Instances": capacity.instances,
            }
        if publish is not None:
            stable = metric_name or job.job_name.rsplit("-", 1)[0]
            properties["Publish"] = self._grant_publishing(provider, publish, stable)
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            resource_type="Custom::AIBenchmarkResults",
            properties=properties,
        )
        completion: IDependable | None = getattr(job, "completion", None)
        if completion is not None:
            self.resource.node.add_dependency(completion)
        depend_on_policy(self.resource, provider.role)
        self._capacity = capacity
        if outputs:
            for figure in HEADLINE_FIGURES:
                CfnOutput(self, figure, value=self.figure(figure), description=f"Benchmark {figure}")
            CfnOutput(self, "JobStatus", value=self.job_status, description="Benchmark job status")
            CfnOutput(self, "FailureReason", value=self.failure_reason, description="Benchmark failure reason")

    def figure(self, name: str) -> str:
        """A headline figure (see ``HEADLINE_FIGURES``) as a deploy-time string."""
        if name not in HEADLINE_FIGURES:
            raise ValidationError(f"figure got {name!r}; allowed: {', '.join(HEADLINE_FIGURES)}")
        return self.resource.get_att_string(name)

    @property
    def job_status(self) -> str:
        """``Completed``, or ``Failed`` when ``allow_failed_job`` accepted a run AIPerf failed."""
        return self.resource.get_att_string("JobStatus")

    @property
    def failure_reason(self) -> str:
        """The job's (or AIPerf's) failure reason, or ``none``."""
        return self.resource.get_att_string("FailureReason")

    @property
    def max_concurrency_per_instance(self) -> float:
        """The measured concurrency one instance sustains under the SLA: a deploy-time number for
        ``InstancePool(max_concurrency=...)``."""
        if self._capacity is None:
            raise ValidationError("max_concurrency_per_instance needs capacity=CapacityMeasurement(...)")
        return Token.as_number(self.resource.get_att("MaxConcurrencyPerInstance"))

    def _grant_publishing(
        self, provider: AiJobsProvider, publish: ResultsPublishing, metric_name: str
    ) -> dict[str, Any]:
        settings: dict[str, Any] = {}
        if publish.metric_namespace:
            settings["Namespace"] = publish.metric_namespace
            settings["Dimensions"] = [{"Name": "Benchmark", "Value": metric_name}]
            provider.role.add_to_principal_policy(
                iam.PolicyStatement(
                    actions=["cloudwatch:PutMetricData"],
                    resources=["*"],
                    conditions={"StringEquals": {"cloudwatch:namespace": publish.metric_namespace}},
                )
            )
        if publish.parameter_prefix:
            prefix = publish.parameter_prefix.rstrip("/")
            settings["ParameterPrefix"] = prefix
            parameters = Stack.of(self).format_arn(
                service="ssm",
                resource="parameter",
                resource_name=f"{prefix.lstrip('/')}/*",
                arn_format=ArnFormat.SLASH_RESOURCE_NAME,
            )
            provider.grant(["ssm:PutParameter", "ssm:GetParameter", "ssm:DeleteParameters"], [parameters])
            acknowledge_wildcards(provider, [parameters], "The figures are written under this one parameter path.")
        return settings


def _check_results_options(
    sla: BenchmarkSla | None, capacity: CapacityMeasurement | None, publish: ResultsPublishing | None
) -> None:
    if sla is not None:
        sla.validate("sla")
    if capacity is not None:
        check_range("capacity.instances", capacity.instances, 1, None)
        if capacity.sla is not None:
            capacity.sla.validate("capacity.sla")
    if publish is not None:
        if not publish.metric_namespace and not publish.parameter_prefix:
            raise ValidationError("publish needs metric_namespace, parameter_prefix or both")
        namespace = publish.metric_namespace
        if (
            namespace
            and not unresolved(namespace)
            and (namespace.startswith("AWS/") or namespace == INVOCATION_NAMESPACE)
        ):
            raise ValidationError(f"publish.metric_namespace cannot be an AWS namespace, got {namespace!r}")
        prefix = publish.parameter_prefix
        if prefix and not unresolved(prefix) and not prefix.startswith("/"):
            raise ValidationError(f"publish.parameter_prefix must start with '/', got {prefix!r}")


def _endpoint_definition(endpoint: IInstancePoolEndpoint) -> Any:
    """What the endpoint serves, as synthesized: its variant, its models' containers and its inference
    component. A change to any of them names (and so runs) a new benchmark."""
    if not isinstance(endpoint, InstancePoolEndpoint):
        return endpoint.endpoint_name
    parts: list[Any] = [endpoint.endpoint_config.production_variants]
    for model in endpoint.models:
        cfn = model.node.default_child if isinstance(model, Construct) else None
        if isinstance(cfn, sagemaker.CfnModel):
            parts.append([cfn.primary_container, cfn.containers, cfn.execution_role_arn])
    component = endpoint.inference_component
    if component is not None:
        parts.append([component.specification, component.specifications, component.runtime_config])
    return Stack.of(endpoint).resolve(parts)


def _searches(workload: IWorkloadConfig) -> bool:
    """Whether the workload runs an SLA search (unknown for an imported one: assume it does)."""
    spec = getattr(workload, "spec", None)
    return spec is None or "search_recipe" in spec.get("parameters", {})
